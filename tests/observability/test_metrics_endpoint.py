"""`/metrics` serves a scraper holding the token and nobody else, in the one error shape."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

TOKEN = "s3cret-scrape-token-of-the-test"


def _get(authorization: str | None = None, method: str = "get") -> Any:
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    return getattr(Client(), method)("/metrics", **headers)


@override_settings(AFX_METRICS_TOKEN="")
def test_without_a_configured_token_the_endpoint_does_not_exist(db):
    for authorization in (None, "Bearer ", f"Bearer {TOKEN}"):
        response = _get(authorization)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


@override_settings(AFX_METRICS_TOKEN=TOKEN)
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong",
        f"Token {TOKEN}",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
    ],
)
def test_without_the_token_or_with_another_it_is_401_and_never_quotes_it(db, authorization):
    response = _get(authorization)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert response.json() == {
        "error": {"code": "not_authenticated", "message": "A valid metrics token is required.", "fields": {}}
    }
    assert TOKEN not in response.content.decode()


@override_settings(AFX_METRICS_TOKEN=TOKEN)
def test_a_non_ascii_token_is_refused_not_an_error(db):
    assert _get("Bearer \u00e9t\u00e9").status_code == 401


@override_settings(AFX_METRICS_TOKEN=TOKEN)
def test_the_token_holder_gets_the_metrics(db):
    response = _get(f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    for name in (
        "django_http_requests_latency_seconds_by_view_method",
        "afx_query_round_trip_seconds",
        "afx_signature_rejections_total",
        "afx_outbox_depth",
        "afx_queries_waiting",
        "afx_query_deadline_breaches_total",
        "afx_audit_sequencer_lag_seconds",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text, name


@override_settings(AFX_METRICS_TOKEN=TOKEN)
def test_only_get_is_served_and_only_to_the_token_holder(db):
    assert _get(method="post").status_code == 401
    refused = _get(f"Bearer {TOKEN}", method="post")
    assert refused.status_code == 405 and refused.json()["error"]["code"] == "method_not_allowed"
