"""Odd input never echoes and never crashes: every endpoint, every field, nested and deep.

The walk reads the API's own OpenAPI schema, so an endpoint or a field added later is
walked too: a marker (a phone number) goes into every path parameter, query parameter and
body field, in several shapes, for several identities; no 4xx body, no error object inside
a 2xx body (a batch's items) and no audit row may hold it, and nothing may answer 5xx.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

from api.parsers import MAX_DEPTH
from audit.choices import AuditAction
from audit.models import AuditEvent
from tests.clients import token_client

MARKER = "13800138000"
SHAPES = {
    "text": MARKER,
    "number": int(MARKER),
    "object": {MARKER: MARKER},
}
IDENTITIES = ("anonymous", "officer_a", "administrator", "adapter_x")


def _schema() -> dict[str, Any]:
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return dict(json.loads(response.content))


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _fill(schema: dict[str, Any], node: dict[str, Any], leaf: Any, depth: int = 0) -> Any:
    """A value for `node` with `leaf` at every field, following objects and arrays down."""
    node = _resolve(schema, node)
    if depth < 4 and node.get("properties"):
        return {name: _fill(schema, child, leaf, depth + 1) for name, child in node["properties"].items()}
    if depth < 4 and node.get("type") == "array" and "items" in node:
        return [_fill(schema, node["items"], leaf, depth + 1)]
    return leaf


def _paths(template: str, parameters: list[dict[str, Any]], world: Any) -> list[str]:
    """The path with the marker in each text parameter, existing ids in the others."""
    ids: dict[str, list[str]] = {
        "uuid": [str(world.case_a.pk), str(world.query_a.pk)],
        "integer": [str(world.grant_a_x.pk), MARKER],
    }
    paths = [template]
    for parameter in (p for p in parameters if p["in"] == "path"):
        schema = parameter.get("schema", {})
        kind = "uuid" if schema.get("format") == "uuid" else schema.get("type", "string")
        values = ids.get(kind, [MARKER])
        paths = [p.replace("{" + parameter["name"] + "}", v) for p in paths for v in values]
    return paths


def _errors_in(body: Any) -> list[Any]:
    """Every `error` object anywhere in a JSON body (a batch answers 200 with refused items)."""
    found, pending = [], [body]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            found += [v for k, v in item.items() if k == "error"]
            pending += list(item.values())
        elif isinstance(item, list):
            pending += item
    return found


def _check(response: Any, where: str) -> None:
    assert response.status_code < 500, where
    if response.streaming:  # an export's lines: events, not errors
        b"".join(response.streaming_content)
    elif response.status_code >= 400:
        assert MARKER not in response.content.decode(errors="replace"), where
    elif response.get("Content-Type", "").startswith("application/json") and response.content:
        assert MARKER not in json.dumps(_errors_in(response.json())), where


def test_no_endpoint_echoes_a_field_or_crashes(world):
    schema = _schema()
    calls = 0
    for template, operations in schema["paths"].items():
        for method, operation in operations.items():
            if (template, method) == ("/api/v1/auth/token/", "delete"):
                continue  # signs the client out: nothing to send in it
            parameters = operation.get("parameters", [])
            query = {p["name"]: MARKER for p in parameters if p["in"] == "query"}
            body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json")
            for path in _paths(template, parameters, world):
                for shape, leaf in SHAPES.items():
                    body = _fill(schema, body_schema["schema"], leaf) if body_schema else None
                    for identity in IDENTITIES:
                        response = world.client(identity).generic(
                            method.upper(),
                            path,
                            json.dumps(body) if body is not None else "",
                            content_type="application/json",
                            QUERY_STRING=urlencode(query),
                        )
                        _check(response, f"{method.upper()} {path} {shape} as {identity}")
                        calls += 1
    assert calls > 500
    # The export's own event records the filters an auditor chose, by design (see the report).
    recorded = AuditEvent.objects.exclude(action=AuditAction.AUDIT_EXPORTED).values_list(
        "details", "target_id", "case_id", "actor_id"
    )
    assert MARKER not in json.dumps(list(recorded))


def test_a_batch_never_quotes_its_items(world):
    item = {"case": str(world.case_a.pk), "kind": MARKER, "partner": MARKER, "input": {"order_number": "x"}}
    items = [
        item,
        {**item, "kind": "order_lookup"},
        {**item, "kind": "order_lookup", "partner": "platform-x", "input": {"order_number": MARKER + "!"}},
        {**item, "case": MARKER},
        MARKER,
    ]
    response = token_client(world.officer_a).post("/api/v1/queries/batch/", {"queries": items}, format="json")
    assert response.status_code == 400  # the last item is not an object
    assert MARKER not in response.content.decode()
    response = token_client(world.officer_a).post(
        "/api/v1/queries/batch/", {"queries": items[:-1]}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert [r["accepted"] for r in body["results"]] == [False] * 4
    assert body["results"][0]["error"]["fields"]["kind"] == ["Not one of the allowed values."]
    assert MARKER not in response.content.decode()


def test_media_types_and_methods_are_not_quoted(world):
    odd_type = token_client(world.officer_a).generic(
        "POST", "/api/v1/cases/", "{}", content_type=f"text/x-{MARKER}"
    )
    assert odd_type.status_code == 415 and MARKER not in odd_type.content.decode()
    odd_method = token_client(world.officer_a).generic(f"X{MARKER}", "/api/v1/cases/")
    assert odd_method.status_code == 405 and MARKER not in odd_method.content.decode()


def _deep(kind: str, depth: int) -> bytes:
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize("kind", ["array", "object"])
@pytest.mark.parametrize("depth", [50_000, 1_000, MAX_DEPTH + 1])
def test_deep_json_is_a_400_even_signed_out(db, kind, depth):
    response = APIClient().post("/api/v1/auth/token/", _deep(kind, depth), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.parametrize("kind", ["array", "object"])
def test_deep_json_is_a_400_on_every_body_endpoint(world, kind):
    """Deep input in the one free-form field (`input`, a JSONField) as much as in the body."""
    nested = _deep(kind, 1_000).decode()
    bodies = {
        "/api/v1/queries/": f'{{"case": "{world.case_a.pk}", "kind": "order_lookup", '
        f'"partner": "platform-x", "input": {nested}}}',
        "/api/v1/queries/batch/": f'{{"queries": [{{"input": {nested}}}]}}',
        "/api/v1/cases/": _deep(kind, 50_000).decode(),
        "/api/v1/accounts/search/": _deep(kind, 50_000).decode(),
    }
    for path, body in bodies.items():
        response = token_client(world.officer_a).post(path, body, content_type="application/json")
        assert (response.status_code, response.json()["error"]["code"]) == (400, "parse_error"), path
    answer = world.client("adapter_x").post(
        f"/api/v1/adapter/queries/{world.query_a.pk}/answer/",
        f'{{"status": "answered", "result": {nested}}}',
        content_type="application/json",
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "parse_error")


def test_nesting_the_api_takes_is_still_parsed(world):
    """The limit is far above any real body: a batch item's input is four levels down."""
    body: dict[str, Any] = {
        "queries": [{"case": str(world.case_a.pk), "kind": "order_lookup", "partner": "platform-x"}]
    }
    body["queries"][0]["input"] = {"order_number": "PX0000000042", "extra": [[{"a": [1]}]]}
    response = token_client(world.officer_a).post("/api/v1/queries/batch/", body, format="json")
    assert response.status_code == 200 and response.json()["accepted"] == 1


def test_the_parser_error_never_quotes_the_body(db):
    response = APIClient().post(
        "/api/v1/auth/token/", f'{{"username": "{MARKER}" ,,}}', content_type="application/json"
    )
    assert response.status_code == 400
    assert not re.search(MARKER, response.content.decode())


@pytest.mark.parametrize("path", ["/api/v1/audit/anomalies/", "/api/v1/audit/events/", "/api/v1/cases/"])
def test_a_deeply_nested_cursor_never_crashes(world, path):
    """Cursors are the one JSON a caller sends outside a body (base64 in the query string)."""
    import base64

    cursor = base64.urlsafe_b64encode(b"[" * 3_000).decode()
    response = token_client(world.auditor).get(path, {"cursor": cursor})
    assert response.status_code < 500
    if path == "/api/v1/audit/anomalies/":  # the one cursor that is JSON
        assert response.json()["error"]["code"] == "invalid_cursor"
