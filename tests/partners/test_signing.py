"""Adapter request signing (RFC 9421, Ed25519) through the gateway: good, stale, replayed, wrong
key, revoked key, tampered body, escaped paths, signed path against routed path, hostile
headers, valid signatures of the wrong profile, and a signature made by the library alone;
every refusal is a 401 in the error shape, audited without the nonce, and attributed to a
key only when that key's holder made it."""

from __future__ import annotations

import base64
import secrets
import time
from datetime import UTC, datetime

import pytest
from django.test import RequestFactory
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms
from rest_framework.throttling import SimpleRateThrottle

from afx_sdk import signing
from api.authentication import signed_url
from audit.choices import AuditAction, Outcome
from audit.denials import AnonymousDenialThrottle
from audit.models import AuditEvent
from core.actors import SystemActor
from core.errors import Conflict
from partners.audit_actions import PartnerAction
from partners.choices import PartnerStatus
from partners.services import keys, registry
from tests.clients import SignedClient, signed_world_client

SYSTEM = SystemActor("tests")

ME = "/api/v1/adapter/me/"
INBOX = "/api/v1/adapter/inbox/"


def rejection(code: str) -> AuditEvent:
    event = AuditEvent.objects.filter(action=PartnerAction.SIGNATURE_REJECTED).latest("id")
    assert event.outcome == Outcome.DENIED
    assert event.details["reason"] == code
    return event


def refused(response, code: str) -> None:
    assert response.status_code == 401, response.content
    assert response.json() == {
        "error": {"code": code, "message": response.json()["error"]["message"], "fields": {}}
    }
    assert response["WWW-Authenticate"].startswith("Signature")
    rejection(code)


def signed(world, method: str, target: str, *, body: bytes = b"", **kwargs) -> dict[str, str]:
    """Signature headers for a request to the test server, as a header dict for the test client."""
    return signing.signed_headers(
        key_id=world.key_x.key.key_id,
        private_key=signing.load_private_key(world.key_x.private_key),
        method=method,
        url=f"http://testserver{target}",
        body=body,
        **kwargs,
    )


def test_good_signature_identifies_the_adapter_and_marks_the_key_used(world):
    response = signed_world_client(world.key_x).get(ME)
    assert response.status_code == 200
    assert response.json()["partner"]["code"] == world.platform_x.code
    assert response.json()["identity"] == f"adapter:{world.platform_x.code}/{world.key_x.key.key_id}"
    world.key_x.key.refresh_from_db()
    assert world.key_x.key.last_used_at is not None


def test_signature_covers_the_query_string(world):
    response = signed_world_client(world.key_x).get("/api/v1/grants/", {"active": "true"})
    assert response.status_code == 200
    assert [g["partner"] for g in response.json()["results"]] == [world.platform_x.code]


def test_a_changed_query_string_is_refused(world, client):
    headers = signed(world, "GET", "/api/v1/grants/?active=true")
    response = client.get(
        "/api/v1/grants/?active=false", headers=headers, RAW_URI="/api/v1/grants/?active=false"
    )
    refused(response, "signature_invalid")


def test_the_signed_query_must_be_the_query_views_read(world, client):
    """The raw target is verified, but `request.GET` is parsed from `QUERY_STRING`."""
    target = "/api/v1/adapter/inbox/?wait=0&limit=1"
    headers = signed(world, "GET", target)
    response = client.get("/api/v1/adapter/inbox/?wait=0&limit=100", headers=headers, RAW_URI=target)
    refused(response, "signature_invalid")


@pytest.mark.parametrize(
    "target",
    [
        "/api/v1/people/a%26b/",
        "/api/v1/people/a%2Ab/",
        "/api/v1/people/%E4%B8%AD%E6%96%87/",  # unicode in the path, UTF-8 escaped as clients send it
        "/api/v1/people/a*b/",
    ],
)
def test_escaped_and_unicode_paths_verify_over_the_raw_target(world, target):
    # The adapter may not list people: a 403 means its signature was accepted first.
    response = signed_world_client(world.key_x).get(target)
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "permission_denied"


def test_an_escape_decoded_in_transit_is_refused(world, client):
    headers = signed(world, "GET", "/api/v1/people/a%2Ab/")
    response = client.get("/api/v1/people/a*b/", headers=headers, RAW_URI="/api/v1/people/a*b/")
    refused(response, "signature_invalid")


def test_repeated_query_keys_and_unicode_values_are_signed_as_sent(world, client):
    target = "/api/v1/grants/?active=true&a=1&a=2&q=%E4%B8%AD"
    assert client.get(target, headers=signed(world, "GET", target), RAW_URI=target).status_code == 200
    reordered = "/api/v1/grants/?active=true&a=2&a=1&q=%E4%B8%AD"
    response = client.get(reordered, headers=signed(world, "GET", target), RAW_URI=reordered)
    refused(response, "signature_invalid")


def test_without_a_raw_target_the_escaped_path_is_rebuilt(world, client):
    """Servers that pass no RAW_URI (Django's test client here) still verify canonical escapes."""
    target = "/api/v1/people/%E4%B8%AD/?q=%E4%B8%AD&q=2"
    assert client.get(target, headers=signed(world, "GET", target)).status_code == 403


@pytest.mark.parametrize("offset", [-310, 310])
def test_stale_signature_is_refused(world, offset):
    client = signed_world_client(world.key_x)
    client.clock = time.time() + offset
    refused(client.get(ME), "signature_stale")


def test_signature_within_five_minutes_is_accepted(world):
    client = signed_world_client(world.key_x)
    client.clock = time.time() - 280
    assert client.get(ME).status_code == 200


def test_replayed_signature_is_refused_and_its_nonce_not_audited(world, client):
    headers = signed(world, "GET", ME)
    assert client.get(ME, headers=headers).status_code == 200
    refused(client.get(ME, headers=headers), "signature_replayed")
    nonce = headers["Signature-Input"].split('nonce="')[1].split('"')[0]
    assert nonce not in str(list(AuditEvent.objects.values_list("details", flat=True)))
    # Anyone who saw the request can replay it: the refusal is not the adapter's act.
    replay = rejection("signature_replayed")
    assert (replay.actor_id, replay.actor_partner) == ("", "")
    assert replay.details["key_id"] == world.key_x.key.key_id


def test_a_push_signature_is_not_accepted_from_an_adapter(world, client):
    refused(client.get(ME, headers=signed(world, "GET", ME, tag=signing.PUSH_TAG)), "signature_invalid")


def test_another_private_key_under_the_key_id_is_refused_as_an_anonymous_caller(world):
    response = SignedClient(world.key_x.key.key_id, signing.generate_private_key()).get(ME)
    refused(response, "signature_invalid")
    event = rejection("signature_invalid")
    assert (event.actor_id, event.actor_partner) == ("", "")
    assert event.details["key_id"] == world.key_x.key.key_id


def test_unknown_key_is_refused_and_its_id_not_recorded(world):
    # An unknown key id is whatever the caller typed (a phone number fits the syntax).
    response = SignedClient("13800138000", signing.generate_private_key()).get(ME)
    refused(response, "signature_invalid")
    event = rejection("signature_invalid")
    assert event.actor_id == "" and "key_id" not in event.details
    assert "13800138000" not in str(event.details)


def test_bad_signatures_naming_a_real_key_id_stay_within_the_anonymous_budget(world):
    """Key ids are not secret: flooding with one must not fill the log in the adapter's name."""
    rate, _ = AnonymousDenialThrottle().parse_rate(AnonymousDenialThrottle().get_rate())
    assert rate is not None
    forger = SignedClient(world.key_x.key.key_id, signing.generate_private_key())
    for _ in range(rate + 20):
        assert forger.get(ME).status_code == 401
    events = AuditEvent.objects.filter(action=PartnerAction.SIGNATURE_REJECTED)
    assert events.count() == rate + 1
    assert not events.exclude(actor_id="").exists()


def test_revoked_key_is_refused_in_its_own_name(world):
    keys.adapter_key_revoke(actor=SYSTEM, key_id=world.key_x.key.key_id)
    refused(signed_world_client(world.key_x).get(ME), "key_revoked")
    event = rejection("key_revoked")
    assert event.actor_partner == world.platform_x.code  # only its holder could sign this


def test_refusals_of_a_revoked_key_are_recorded_in_its_name_within_a_budget_per_key(world, monkeypatch):
    """Whoever holds a leaked, revoked key must not be able to fill the log in its name."""
    rate = 5
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "revoked_key_denials", f"{rate}/minute")
    keys.adapter_key_revoke(actor=SYSTEM, key_id=world.key_x.key.key_id)
    holder = signed_world_client(world.key_x)
    for _ in range(rate + 20):
        assert holder.get(ME).status_code == 401
    events = AuditEvent.objects.filter(action=PartnerAction.SIGNATURE_REJECTED)
    assert events.count() == rate + 1
    assert set(events.values_list("actor_partner", "details__reason")) == {
        (world.platform_x.code, "key_revoked")
    }
    assert events.latest("id").details["recording_suspended"] is True


def test_a_revoked_key_id_with_a_wrong_signature_looks_unknown(world):
    keys.adapter_key_revoke(actor=SYSTEM, key_id=world.key_x.key.key_id)
    forged = SignedClient(world.key_x.key.key_id, signing.generate_private_key()).get(ME)
    unknown = SignedClient("0000000000000000", signing.generate_private_key()).get(ME)
    refused(forged, "signature_invalid")
    assert forged.json() == unknown.json()
    assert rejection("signature_invalid").actor_id == ""


def test_a_replayed_request_of_a_revoked_key_is_anonymous(world, client):
    keys.adapter_key_revoke(actor=SYSTEM, key_id=world.key_x.key.key_id)
    headers = signed(world, "GET", ME)
    refused(client.get(ME, headers=headers), "key_revoked")
    refused(client.get(ME, headers=headers), "signature_replayed")
    assert rejection("signature_replayed").actor_id == ""


def test_a_target_holding_a_scheme_separator_is_a_path_not_a_url(world):
    """`/x://y/<inbox>` is verified as what Django routes, not as the inbox."""
    routed = "/x://y" + INBOX
    request = RequestFactory().get(routed, RAW_URI=routed)
    assert signed_url(request) == f"http://testserver{routed}"


def test_the_signed_path_must_be_the_routed_path(world, client):
    # A raw target in absolute form names the adapter's `me`; Django routes the grants list.
    headers = signed(world, "GET", ME)
    response = client.get("/api/v1/grants/", headers=headers, RAW_URI=f"http://testserver{ME}")
    refused(response, "signature_invalid")


def test_an_absolute_form_target_verifies_as_its_path(world, client):
    response = client.get(ME, headers=signed(world, "GET", ME), RAW_URI=f"http://testserver{ME}")
    assert response.status_code == 200, response.content


def test_tampered_body_is_refused(world, client):
    headers = signed(world, "POST", ME, body=b'{"a": 1}')
    response = client.post(ME, data='{"a": 2}', content_type="application/json", headers=headers)
    refused(response, "signature_invalid")


def test_missing_signature_input_is_refused(world, client):
    refused(client.get(ME, headers={"Signature": "afx=:AAAA:"}), "signature_missing")


def _spoil(headers: dict[str, str], name: str, value: str) -> dict[str, str]:
    return {**headers, name: value}


HOSTILE = {
    "non-ascii signature": ("Signature", "afx=:ÄÖÜ中文:"),
    "non-ascii input": ("Signature-Input", 'afx=("@method");created=1;keyid="é"'),
    "malformed structured field": ("Signature-Input", "afx=(((;;"),
    "not a dictionary": ("Signature", "just some words"),
    "duplicate labels": ("Signature", "afx=:AAAA:, afx=:BBBB:"),
    "huge value": ("Signature", "afx=:" + "A" * 100_000 + ":"),
    "huge digest": ("Content-Digest", "sha-256=:" + "A" * 100_000 + ":"),
    "bad digest": ("Content-Digest", "sha-256=:AAAA:"),
}


@pytest.mark.parametrize("spoil", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_signature_headers_are_a_clean_401(world, client, spoil):
    headers = _spoil(signed(world, "GET", ME), *spoil)
    refused(client.get(ME, headers=headers), "signature_invalid")


class _ParameterSigner(HTTPMessageSigner):
    """The library's signer, with the signature parameters edited before the signature base is
    built: the edited parameters are what `Signature-Input` carries and what is signed."""

    def __init__(self, edit, **kwargs) -> None:
        super().__init__(**kwargs)
        self._edit = edit

    def _build_signature_base(self, message, *, covered_component_ids, signature_params, **kwargs):
        return super()._build_signature_base(
            message,
            covered_component_ids=covered_component_ids,
            signature_params=self._edit(dict(signature_params)),
            **kwargs,
        )


def _validly_signed(world, *, edit=dict, components=signing.COVERED_COMPONENTS, tag="afx-adapter", **sign):
    """Headers of a GET of `me` signed validly with the adapter's own key, in another profile:
    the library prepares the signature base, the adapter's private key signs it."""

    class Message:
        method, url = "GET", f"http://testserver{ME}"

        def __init__(self) -> None:
            self.headers: dict[str, str] = {}

    message = Message()
    prepared = _ParameterSigner(edit, signature_algorithm=algorithms.ED25519).prepare(
        message,
        key_id=world.key_x.key.key_id,
        created=datetime.now(UTC),
        label="afx",
        tag=tag,
        covered_component_ids=components,
        **({"nonce": secrets.token_urlsafe(16), "body": b""} | sign),
    )
    signature = signing.load_private_key(world.key_x.private_key).sign(prepared.signature_base)
    return message.headers | {
        "Signature-Input": f"afx={prepared.signature_params}",
        "Signature": f"afx=:{base64.b64encode(signature).decode()}:",
    }


def _without(name: str):
    return lambda params: {key: value for key, value in params.items() if key != name}


def _fewer(component: str) -> tuple[str, ...]:
    return tuple(c for c in signing.COVERED_COMPONENTS if c != component)


FUTURE = int(time.time()) + 3600
PROFILES = {
    "no tag": ({"tag": None}, "signature_invalid"),
    "another tag": ({"tag": "afx-push"}, "signature_invalid"),
    "no nonce": ({"nonce": None}, "signature_invalid"),
    "a short nonce": ({"nonce": "1"}, "signature_invalid"),
    "no created": ({"edit": _without("created")}, "signature_invalid"),
    "created far in the future": (
        {"edit": lambda p: p | {"created": FUTURE}},
        "signature_stale",
    ),
    "an unknown parameter": ({"edit": lambda p: p | {"x": 1}}, "signature_invalid"),
    "another algorithm": ({"edit": lambda p: p | {"alg": "hmac-sha256"}}, "signature_invalid"),
    "no @query": ({"components": _fewer("@query")}, "signature_invalid"),
    "no content-digest": ({"components": _fewer("content-digest"), "body": None}, "signature_invalid"),
    "no @authority": ({"components": _fewer("@authority")}, "signature_invalid"),
    "no @path": ({"components": _fewer("@path")}, "signature_invalid"),
}


def test_the_profile_signer_makes_accepted_signatures(world, client):
    """The harness below signs validly: unedited, its signature is accepted."""
    assert client.get(ME, headers=_validly_signed(world)).status_code == 200


@pytest.mark.parametrize(("profile", "code"), PROFILES.values(), ids=PROFILES.keys())
def test_valid_signatures_outside_the_profile_are_refused(world, client, profile, code):
    refused(client.get(ME, headers=_validly_signed(world, **profile)), code)


def test_two_signatures_in_one_request_are_refused(world, client):
    first, second = signed(world, "GET", ME), signed(world, "GET", ME)
    both = {
        name: f"{first[name]}, {second[name].replace('afx=', 'two=', 1)}"
        for name in ("Signature-Input", "Signature")
    }
    headers = {**first, **both}
    refused(client.get(ME, headers=headers), "signature_invalid")


def test_a_request_signed_by_the_library_alone_is_accepted(world, client):
    """Interoperability: a partner using `http_message_signatures` directly, not our SDK."""

    class Message:
        def __init__(self) -> None:
            self.method, self.url = "POST", f"http://testserver{ME}?x=%2A"
            self.headers: dict[str, str] = {}

    message = Message()
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(
            public_keys={},
            private_keys={world.key_x.key.key_id: signing.load_private_key(world.key_x.private_key)},
        ),
    )
    signer.sign(
        message,
        key_id=world.key_x.key.key_id,
        created=datetime.now(UTC),
        nonce="interop-nonce-0123456789",
        label="partner-sig",
        tag="afx-adapter",
        covered_component_ids=("@method", "@authority", "@path", "@query", "content-digest"),
        body=b"{}",
    )
    response = client.post(
        f"{ME}?x=%2A",
        data="{}",
        content_type="application/json",
        headers=message.headers,
        RAW_URI=f"{ME}?x=%2A",
    )
    assert response.status_code == 405  # authenticated; `me` answers GET only
    assert not AuditEvent.objects.filter(action=PartnerAction.SIGNATURE_REJECTED).exists()


def test_suspended_partner_is_refused_then_restored(world):
    client = signed_world_client(world.key_x)
    registry.partner_set_status(actor=SYSTEM, code=world.platform_x.code, status=PartnerStatus.SUSPENDED)
    response = client.get(ME)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "partner_suspended"
    denial = AuditEvent.objects.filter(action=AuditAction.REQUEST_DENIED).latest("id")
    assert denial.actor_partner == world.platform_x.code
    registry.partner_set_status(actor=SYSTEM, code=world.platform_x.code, status=PartnerStatus.ACTIVE)
    assert client.get(ME).status_code == 200


def test_two_keys_rotate_and_a_third_is_refused(world):
    partner_made = signing.generate_private_key()
    second = keys.adapter_key_create(
        actor=SYSTEM, partner_code=world.platform_x.code, public_key=signing.public_key_text(partner_made)
    )
    assert SignedClient(second.key_id, partner_made).get(ME).status_code == 200
    assert signed_world_client(world.key_x).get(ME).status_code == 200
    with pytest.raises(Conflict):
        world.adapter_key(world.platform_x)
    keys.adapter_key_revoke(actor=SYSTEM, key_id=world.key_x.key.key_id)
    world.adapter_key(world.platform_x)


def test_a_revoked_public_key_cannot_be_registered_again(world):
    keys.adapter_key_revoke(actor=SYSTEM, key_id=world.key_x.key.key_id)
    with pytest.raises(Conflict):
        keys.adapter_key_create(
            actor=SYSTEM, partner_code=world.platform_x.code, public_key=world.key_x.key.public_key
        )


def test_the_gateway_stores_only_the_public_key(world):
    world.key_x.key.refresh_from_db()
    private_key = signing.load_private_key(world.key_x.private_key)
    assert world.key_x.key.public_key == signing.public_key_text(private_key)
    stored = {f.name: str(getattr(world.key_x.key, f.attname)) for f in world.key_x.key._meta.concrete_fields}
    assert world.key_x.private_key not in str(stored)
    assert world.key_x.private_key not in str(list(AuditEvent.objects.values_list("details", flat=True)))
