"""No command sets a password for somebody else (issue 8, item 1)."""

import pytest
from django.core.management import CommandError, call_command

from partners.choices import PartnerKind
from partners.models import Person
from tests import factories


@pytest.fixture
def officer(db) -> Person:
    return factories.person(factories.unit(), "officer", "officer-a")


@pytest.mark.parametrize("command", ["changepassword", "createsuperuser"])
def test_credential_commands_of_django_auth_are_refused(officer, command: str) -> None:
    before = officer.password
    with pytest.raises(CommandError, match="Refused"):
        call_command(command, officer.username)
    officer.refresh_from_db()
    assert officer.password == before


def test_the_refused_auth_commands_point_to_enrolment(officer):
    with pytest.raises(CommandError) as refused:
        call_command("changepassword", "officer-a")
    message = str(refused.value)
    assert "enrolment code" in message and "/api/v1/auth/enrol/" in message
    assert "one-time password" not in message


@pytest.mark.parametrize("path", ["/admin/password_change/", "/admin/password_change/done/"])
def test_the_admin_has_no_unaudited_password_form(db, client, path: str) -> None:
    exchange = factories.partner("exchange", PartnerKind.EXCHANGE)
    client.force_login(factories.person(exchange, "administrator"))
    assert client.get("/admin/").status_code == 200  # signed in to the admin
    response = client.post(path, {"old_password": "x", "new_password1": "y", "new_password2": "y"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
