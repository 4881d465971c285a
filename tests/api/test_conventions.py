"""API conventions: one error shape, request ids, cursor pagination, schema and docs."""

import pytest
from rest_framework.test import APIClient

from core.actors import SystemActor
from tests.clients import token_client

SYSTEM = SystemActor("tests")


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    return body["error"]


def test_unknown_path_is_a_json_404(db):
    assert_error(APIClient().get("/api/v1/nothing-here/"), 404, "not_found")
    assert_error(APIClient().get("/not-an-api-path/"), 404, "not_found")


def test_out_of_scope_is_the_same_as_missing(world):
    api = token_client(world.officer_b)
    hidden = api.get(f"/api/v1/partners/{world.platform_x.code}/")
    missing = api.get("/api/v1/partners/no-such-partner/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_validation_errors_name_fields_without_echoing_values(db):
    error = assert_error(
        APIClient().post("/api/v1/auth/token/", {"username": "6222020200112233"}, format="json"),
        400,
        "invalid",
    )
    assert error["fields"] == {"password": ["This field is required."]}
    assert "6222020200112233" not in str(error)


def test_malformed_json_is_a_400(db):
    response = APIClient().post("/api/v1/auth/token/", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_wrong_method_is_a_405(world):
    assert_error(token_client(world.officer_a).delete("/api/v1/partners/"), 405, "method_not_allowed")


def test_every_response_has_a_request_id(world):
    response = token_client(world.officer_a).get("/api/v1/me/")
    assert len(response["X-Request-ID"]) == 32
    echoed = APIClient().get("/api/v1/health/", HTTP_X_REQUEST_ID="0123456789abcdef0123456789abcdef")
    assert echoed["X-Request-ID"] == "0123456789abcdef0123456789abcdef"


def test_denials_carry_the_request_id_into_the_audit_log(world):
    from audit.models import AuditEvent

    response = token_client(world.officer_a).post(f"/api/v1/partners/{world.bank.code}/suspend/")
    assert response.status_code == 403
    event = AuditEvent.objects.latest("id")
    assert event.action == "request_denied" and event.request_id == response["X-Request-ID"]
    assert event.source_address == "127.0.0.1"


def test_lists_are_cursor_paginated(world):
    from tests import factories

    for _ in range(5):
        factories.person(world.unit_a, "officer")
    api = token_client(world.administrator)
    first = api.get("/api/v1/people/", {"page_size": 4}).json()
    assert len(first["results"]) == 4 and "cursor=" in first["next"]
    second = api.get(first["next"]).json()
    seen = [p["username"] for p in first["results"] + second["results"]]
    assert len(seen) == len(set(seen)) == 8


def test_schema_and_docs_are_served(db):
    schema = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/partners/{code}/" in paths and "/api/v1/auth/token/" in paths
    docs = APIClient().get("/api/v1/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content


@pytest.mark.django_db
def test_unexpected_errors_are_a_json_500(monkeypatch):
    from api.registry import views

    def explode(self, request):
        raise RuntimeError("secret detail 6222020200112233")

    monkeypatch.setattr(views.MeApi, "get", explode)
    from tests import factories

    person = factories.person(factories.unit(), "officer")
    response = token_client(person).get("/api/v1/me/")
    error = assert_error(response, 500, "server_error")
    assert "6222" not in str(error)


def test_error_messages_never_quote_what_was_sent(world):
    api = token_client(world.officer_a)
    body = {"case": str(world.case_a.pk), "kind": "6222020200112233445", "partner": "x", "input": {}}
    error = api.post("/api/v1/queries/", body, format="json").json()["error"]
    assert error["fields"]["kind"] == ["Not one of the allowed values."]
    assert "6222020200112233445" not in str(error)
    garbled = api.post("/api/v1/queries/", b'{"a": "\xff"}', content_type="application/json")
    assert garbled.status_code == 400
    assert "xff" not in garbled.content.decode()


def test_reveal_purpose_is_a_code_not_free_text(world):
    path = f"/api/v1/queries/{world.query_a.pk}/reveal/"
    free_text = token_client(world.officer_a).post(
        path, {"purpose": "victim 王小明 6222020200112233445"}, format="json"
    )
    assert free_text.status_code == 400
    assert "王小明" not in free_text.content.decode()


def test_unimplemented_methods_are_405_for_everyone(world):
    assert token_client(world.officer_a).delete("/api/v1/queries/").status_code == 405
    assert token_client(world.auditor).put("/api/v1/cases/", {}, format="json").status_code == 405


@pytest.mark.django_db
def test_an_oversized_body_is_a_413(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "x" * 5000, "password": "y"}, format="json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
