"""The raw request target, as both the push receiver and the gateway read it."""

from __future__ import annotations

import pytest

from afx_sdk.wsgi import request_target, target_path


@pytest.mark.parametrize(
    ("raw", "target"),
    [
        ("/api/v1/adapter/inbox/?wait=1", "/api/v1/adapter/inbox/?wait=1"),
        ("/x://y/api/v1/adapter/inbox/", "/x://y/api/v1/adapter/inbox/"),  # a path, not a URL
        ("/a?next=http://b/c", "/a?next=http://b/c"),
        ("http://gateway.example/api/v1/adapter/me/?a=%2A", "/api/v1/adapter/me/?a=%2A"),
        ("HTTPS://gateway.example", "/"),
    ],
)
def test_only_an_http_url_is_taken_for_the_absolute_form(raw, target):
    assert request_target({"RAW_URI": raw, "PATH_INFO": "/ignored"}) == target


def test_without_a_raw_target_the_decoded_path_is_escaped_canonically():
    environ = {"PATH_INFO": "/people/a*b/中".encode().decode("latin-1"), "QUERY_STRING": "q=%2A"}
    assert request_target(environ) == "/people/a*b/%E4%B8%AD?q=%2A"


def test_the_target_path_is_decoded_as_a_router_sees_it():
    assert target_path("/people/a%2Ab/%E4%B8%AD?q=1") == "/people/a*b/中"
    assert target_path("/bad/%FF") != "/bad/%FF"
