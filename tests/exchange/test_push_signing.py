"""Pushes are signed with the gateway's own Ed25519 key, which is published; a partner verifies
them with `http_message_signatures` alone and the published public key, and no adapter key
or secret is involved."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from http_message_signatures import HTTPMessageVerifier, MappingKeyResolver, algorithms
from rest_framework.test import APIClient

from afx_sdk import signing
from exchange.delivery import push as delivery
from exchange.models import Query
from exchange.push_key import push_key_id, push_signing_key
from exchange.services import queries


@pytest.fixture
def captured(monkeypatch) -> list[httpx.Request]:
    """The webhook calls the gateway makes, answered 202 (accepted, answer later)."""
    sent: list[httpx.Request] = []

    def post(url: str, *, content: bytes, headers: dict[str, str], timeout: Any) -> httpx.Response:
        request = httpx.Request("POST", url, content=content, headers=headers)
        sent.append(request)
        return httpx.Response(202, request=request)

    monkeypatch.setattr(delivery._webhooks, "post", post)
    return sent


def push_to_platform_y(world) -> Query:
    query = queries.query_submit(
        actor=world.officer_b,
        submission=queries.Submission(
            case_id=_case_b(world).pk,
            kind="order_lookup",
            partner=world.platform_y.code,
            input={"order_number": "PY0000000001"},
        ),
    )
    assert delivery.push_attempt(str(query.pk)).done
    return query


def _case_b(world):
    from decimal import Decimal

    from exchange.services import cases

    return cases.case_open(
        actor=world.officer_b,
        number="B-0001",
        title="Refund scam",
        fraud_type="online_shopping",
        legal_basis="Art. 31",
        victim_loss=Decimal("100.00"),
    )


class _Message:
    def __init__(self, request: httpx.Request) -> None:
        self.method, self.url, self.headers = request.method, str(request.url), dict(request.headers)


def test_the_published_key_is_the_push_key(world):
    keys = APIClient().get("/api/v1/signing-keys/").json()
    assert keys == [
        {
            "key_id": push_key_id(),
            "algorithm": "ed25519",
            "public_key": signing.public_key_text(push_signing_key()),
            "use": "push",
        }
    ]
    assert "private" not in str(keys).lower()


def test_a_push_verifies_with_the_library_alone_and_the_published_key(world, captured):
    push_to_platform_y(world)
    (request,) = captured
    (published,) = APIClient().get("/api/v1/signing-keys/").json()
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(
            public_keys={published["key_id"]: signing.load_public_key(published["public_key"])},
            private_keys={},
        ),
    )
    (result,) = verifier.verify(
        _Message(request),
        expect_tag="afx-push",
        require_components=("@method", "@authority", "@path", "@query", "content-digest"),
        body=request.content,
        max_age=timedelta(minutes=5),
    )
    assert result.parameters["keyid"] == published["key_id"]
    assert result.nonce and len(result.nonce) >= 22  # 128 random bits, base64url
    assert request.url == httpx.URL(world.platform_y.webhook_url)


def test_a_push_is_not_signed_with_the_partners_adapter_key(world, captured):
    push_to_platform_y(world)
    (request,) = captured
    assert world.key_y.key.key_id not in request.headers["Signature-Input"]
    with pytest.raises(signing.SignatureError):
        signing.verify_request(
            method="POST",
            url=str(request.url),
            headers=dict(request.headers),
            body=request.content,
            resolve_key=lambda key_id: signing.load_public_key(world.key_y.key.public_key),
            tag=signing.PUSH_TAG,
        )


def test_a_push_signature_is_refused_by_the_gateway_as_an_adapter_request(world, captured):
    push_to_platform_y(world)
    (request,) = captured
    response = APIClient().post(
        "/api/v1/adapter/me/",
        data=request.content,
        content_type="application/json",
        headers={name: request.headers[name] for name in ("Signature-Input", "Signature", "Content-Digest")},
    )
    assert response.status_code == 401


@pytest.fixture
def rotation(settings):
    """A rotation under way: a second gateway key set as `AFX_GATEWAY_SIGNING_KEY_NEXT`, given
    as the SDK prints private keys (unpadded base64url)."""
    next_key = signing.generate_private_key()
    settings.AFX_GATEWAY_SIGNING_KEY_NEXT = signing.private_key_text(next_key)
    return next_key


def test_during_a_rotation_both_keys_are_published_and_the_current_one_signs(world, captured, rotation):
    keys = APIClient().get("/api/v1/signing-keys/").json()
    assert [key["public_key"] for key in keys] == [
        signing.public_key_text(push_signing_key()),
        signing.public_key_text(rotation),
    ]
    assert [key["key_id"] for key in keys] == [push_key_id(), signing.key_fingerprint(rotation.public_key())]
    push_to_platform_y(world)
    (request,) = captured
    assert f'keyid="{push_key_id()}"' in request.headers["Signature-Input"]


def test_after_the_swap_pushes_are_signed_with_the_new_key(world, captured, settings, rotation):
    old = settings.AFX_GATEWAY_SIGNING_KEY
    settings.AFX_GATEWAY_SIGNING_KEY = signing.private_key_text(rotation)
    settings.AFX_GATEWAY_SIGNING_KEY_NEXT = old
    push_to_platform_y(world)
    (request,) = captured
    new_id = signing.key_fingerprint(rotation.public_key())
    assert f'keyid="{new_id}"' in request.headers["Signature-Input"]
    published = [key["key_id"] for key in APIClient().get("/api/v1/signing-keys/").json()]
    assert published == [new_id, signing.key_fingerprint(signing.load_private_key(old).public_key())]


def test_a_bad_next_key_fails_loudly_without_quoting_it(settings):
    from django.core.exceptions import ImproperlyConfigured

    from exchange.push_key import published_keys

    settings.AFX_GATEWAY_SIGNING_KEY_NEXT = "not-a-key-13800138000"
    with pytest.raises(ImproperlyConfigured, match="AFX_GATEWAY_SIGNING_KEY_NEXT") as failure:
        published_keys()
    assert "13800138000" not in str(failure.value)
