"""No command sets a password for somebody else (issue 8, item 1)."""

import pytest
from django.core.management import CommandError, call_command


@pytest.mark.django_db
@pytest.mark.parametrize("command", ["changepassword", "createsuperuser"])
def test_credential_commands_of_django_auth_are_refused(world, command: str) -> None:
    officer = world.officer_a
    before = officer.password
    with pytest.raises(CommandError, match="Refused"):
        call_command(command, officer.username)
    officer.refresh_from_db()
    assert officer.password == before
