"""The OpenAPI schema tells the truth: errors, security, pages, media types and bounds.

The live run (`tests/fuzz`) checks responses against the schema; these tests check that the
schema says what the code does in the first place, for every operation at once.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from rest_framework.test import APIClient

from api.errors import error_body

ERROR_REF = "#/components/schemas/Error"
# The health reports answer 503 with their own report (which checks failed), not an error.
HEALTH_REPORTS = {("/api/v1/health/", "503"), ("/api/v1/health/ready/", "503")}
STATUS_ROUTES = ("/api/v1/partners/{code}/suspend/", "/api/v1/partners/{code}/reactivate/")


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op) for path, item in schema["paths"].items() for method, op in item.items()
    ]


def _statuses(operation: dict[str, Any]) -> set[int]:
    return {int(code) for code in operation["responses"]}


def _is_public(operation: dict[str, Any]) -> bool:
    return {} in operation.get("security", [{}])


def test_the_error_component_is_the_one_error_shape(schema):
    component = schema["components"]["schemas"]["Error"]
    jsonschema.validate(error_body("invalid", "The request is not valid.", {"page_size": ["No."]}), component)
    jsonschema.validate(error_body("not_found", "Not found."), component)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"detail": "Not found."}, component)


def test_every_operation_documents_the_errors_it_can_return(schema):
    for method, path, operation in operations(schema):
        where = {parameter["in"] for parameter in operation.get("parameters", [])}
        body = "requestBody" in operation
        expected = {500}
        if body or "query" in where:
            expected.add(400)
        if operation.get("security", [{}]) != [{}]:
            expected.add(401)
        if not _is_public(operation):
            expected.add(403)
        if "path" in where:
            expected.add(404)
        if body:
            expected |= {413, 415}
        assert expected <= _statuses(operation), (method, path, sorted(expected - _statuses(operation)))
        for status, response in operation["responses"].items():
            if (path, status) in HEALTH_REPORTS:
                continue
            if int(status) >= 400:
                assert response["content"] == {"application/json": {"schema": {"$ref": ERROR_REF}}}, (
                    method,
                    path,
                    status,
                )


def test_throttled_sign_in_documents_429(schema):
    for method in ("post", "delete"):
        assert 429 in _statuses(schema["paths"]["/api/v1/auth/token/"][method])
    assert 429 not in _statuses(schema["paths"]["/api/v1/me/"]["get"])


def test_lists_document_404_for_a_bad_cursor_and_the_page_size_bounds(schema):
    operation = schema["paths"]["/api/v1/people/"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 500}
    assert "cursor" in parameters
    assert {400, 404} <= _statuses(operation)


def test_security_schemes_are_token_and_rfc_9421_signatures(schema):
    schemes = schema["components"]["securitySchemes"]
    assert (
        schemes["tokenAuth"]["name"] == "Authorization"
        and "Token <token>" in schemes["tokenAuth"]["description"]
    )
    signature = schemes["httpMessageSignature"]
    assert signature["in"] == "header" and signature["name"] == "Signature"
    for named in ("RFC 9421", "Ed25519", "Signature-Input", "Content-Digest"):
        assert named in signature["description"]


def test_security_follows_the_roles_an_operation_admits(schema):
    paths = schema["paths"]
    assert paths["/api/v1/adapter/inbox/"]["get"]["security"] == [{"httpMessageSignature": []}]
    assert {"httpMessageSignature": []} in paths["/api/v1/me/"]["get"]["security"]
    assert {"tokenAuth": []} in paths["/api/v1/me/"]["get"]["security"]
    for path in ("/api/v1/cases/", "/api/v1/audit/events/"):
        assert {"httpMessageSignature": []} not in paths[path]["get"]["security"]
    assert paths["/api/v1/health/"]["get"]["security"] == [{}]
    for method, path, operation in operations(schema):
        assert operation.get("security"), (method, path)


def test_suspend_and_reactivate_are_post_only(schema):
    for path in STATUS_ROUTES:
        assert set(schema["paths"][path]) == {"post"}


def test_anomalies_are_documented_as_the_page_they_return(schema):
    operation = schema["paths"]["/api/v1/audit/anomalies/"]["get"]
    assert {"cursor", "page_size", "since", "until"} <= {p["name"] for p in operation["parameters"]}
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert set(page["required"]) == {"next", "previous", "results"}
    assert page["properties"]["results"]["items"] == {"$ref": "#/components/schemas/FindingOutput"}
    assert "7 days" in operation["description"]


def test_the_export_documents_both_of_its_media_types(schema):
    content = schema["paths"]["/api/v1/audit/export/"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/jsonl", "text/csv"}
    assert set(schema["paths"]["/api/v1/audit/heads/export/"]["get"]["responses"]["200"]["content"]) == {
        "application/jsonl"
    }


@pytest.mark.parametrize("page_size", ["null", "", "0", "-1", "abc", "1.5", "501", " 5"])
def test_a_page_size_that_is_given_must_be_valid(world, page_size):
    response = world.client("administrator").get("/api/v1/people/", {"page_size": page_size})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"page_size": ["A whole number from 1 to 500."]}


def test_the_largest_page_size_is_accepted(world):
    response = world.client("administrator").get("/api/v1/people/", {"page_size": "500"})
    assert response.status_code == 200


def test_an_unknown_cursor_is_a_404(world):
    response = world.client("administrator").get("/api/v1/people/", {"cursor": "not-a-cursor"})
    assert response.status_code == 404
