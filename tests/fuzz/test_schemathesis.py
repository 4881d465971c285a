"""Schemathesis over the whole live schema, as every kind of caller: the API does what it says.

A real gateway (`tests/fuzz/live.py`: gunicorn, production settings, PostgreSQL, the demo
world) serves `/api/v1/schema/`; Schemathesis generates valid and invalid requests for every
operation in it and checks each response with `not_a_server_error`, `status_code_conformance`,
`content_type_conformance` and `response_schema_conformance`. It runs as each identity in
turn: anonymous, an officer, an auditor, an adapter signing its requests (RFC 9421) and an
administrator. One more check holds for every identity that has credentials: where the
schema lists its security scheme, it is never answered 401 (its token or signature is
accepted whatever the URL and body), except for a refused sign-in on `POST /auth/token/`.

Run by `.ci/run` with `-m fuzz` (about 4 minutes on two cores). Nothing is skipped or
expected to fail; what is left out is listed below with the reason. The run is the same every
time (`AFX_FUZZ_SEED`, `AFX_FUZZ_MAX_EXAMPLES` per operation and phase change it); the
gateway's tracebacks are in `var/fuzz-gateway.log`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from afx_sdk import signing
from tests.fuzz.live import LiveGateway, live_gateway

pytestmark = pytest.mark.fuzz

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
TOKEN_ROUTE = "/api/v1/auth/token/"
INBOX_ROUTE = "/api/v1/adapter/inbox/"
# A long poll on an empty inbox holds its request for `wait` seconds by design (up to 25);
# the run sends at most this, so that generated waits do not take it past its time budget.
# Invalid waits (negative, too large, not a number) are sent as generated.
INBOX_LONGEST_WAIT = 1.0

# Left out, and why: each person signs in once, and signing out would end its run.
SIGN_OUT = {"include-path": TOKEN_ROUTE, "include-method": "DELETE", "enabled": False}


@dataclass(frozen=True)
class Identity:
    name: str
    username: str = ""  # a demo person who signs in with a token
    adapter: bool = False  # signs its requests with a freshly registered adapter key
    excluded: list[dict[str, Any]] = field(default_factory=list)


IDENTITIES = [
    Identity("anonymous"),
    Identity("officer", username="cq.officer", excluded=[SIGN_OUT]),
    Identity("auditor", username="auditor", excluded=[SIGN_OUT]),
    Identity("adapter", adapter=True),
    # Last: it may suspend the partners the others belong to, which stops all their traffic.
    Identity("administrator", username="admin", excluded=[SIGN_OUT]),
]


class SignedRequests(requests.auth.AuthBase):
    """Signs the final prepared request, with its exact URL and body, as an adapter does."""

    def __init__(self, key_id: str, private_key: Ed25519PrivateKey) -> None:
        self.key_id = key_id
        self.private_key = private_key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        assert isinstance(body, bytes), "Schemathesis never streams a body"
        headers = signing.signed_headers(
            key_id=self.key_id,
            private_key=self.private_key,
            method=request.method or "GET",
            url=request.url or "",
            body=body,
        )
        request.headers.update(headers)
        return request


@dataclass
class Caller:
    """How one identity calls the gateway: its session, and the scheme its credentials use."""

    identity: Identity
    session: requests.Session
    auth: SignedRequests | None = None
    scheme: str = ""

    def send(self, case: schemathesis.Case) -> Any:
        return case.call_and_validate(session=self.session, checks=CHECKS, auth=self.auth)

    def assert_credentials_accepted(self, case: schemathesis.Case, response: Any) -> None:
        if not self.scheme or response.status_code != 401:
            return
        security = case.operation.definition.raw.get("security", [])
        if not any(self.scheme in requirement for requirement in security):
            return
        code = response.json()["error"]["code"]
        assert code == "invalid_credentials" and case.operation.path == TOKEN_ROUTE, (
            f"{self.identity.name}'s credentials were refused ({code}) by {case.method} {case.formatted_path}"
        )


@pytest.fixture(scope="module")
def gateway() -> Iterator[LiveGateway]:
    with live_gateway() as running:
        yield running


def _adapter_auth(gateway: LiveGateway) -> SignedRequests:
    """A new key pair for SwiftPay (a pull platform, so the inbox answers); AFX gets the public half."""
    private_key = signing.generate_private_key()
    printed = gateway.manage(
        "key_create", "swiftpay", "--label", "fuzz", f"--public-key={signing.public_key_text(private_key)}"
    )
    key_id = next(line.split("=", 1)[1] for line in printed.split() if line.startswith("AFX_KEY_ID="))
    return SignedRequests(key_id.strip(), private_key)


@pytest.fixture(scope="module")
def tokens(gateway: LiveGateway) -> dict[str, str]:
    """Every person signs in before any fuzzing: sign-ins share one throttle (30 a minute per
    address), which the fuzzed `POST /auth/token/` soon uses up."""
    return {username: gateway.sign_in(username) for username in {i.username for i in IDENTITIES} if username}


@pytest.fixture(params=IDENTITIES, ids=lambda identity: identity.name)
def caller(request: pytest.FixtureRequest, gateway: LiveGateway, tokens: dict[str, str]) -> Iterator[Caller]:
    identity: Identity = request.param
    session = requests.Session()
    caller = Caller(identity=identity, session=session)
    if identity.username:
        session.headers["Authorization"] = f"Token {tokens[identity.username]}"
        caller.scheme = "tokenAuth"
    if identity.adapter:
        caller.auth = _adapter_auth(gateway)
        caller.scheme = "httpMessageSignature"
        me = session.get(f"{gateway.url}/api/v1/adapter/me/", auth=caller.auth, timeout=30)
        assert me.status_code == 200, me.text[:300]
    yield caller
    session.close()


def _config(identity: Identity) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": int(os.environ.get("AFX_FUZZ_SEED", "20250601")),
            "suppress-health-check": ["all"],
            "request-timeout": 30,
            "generation": {
                "mode": "all",
                "max-examples": int(os.environ.get("AFX_FUZZ_MAX_EXAMPLES", "25")),
                "no-shrink": True,
                "database": "none",
                "with-security-parameters": False,
            },
            "phases": {"stateful": {"enabled": False}},
            "operations": identity.excluded,
        }
    )


@pytest.fixture
def live_schema(gateway: LiveGateway, caller: Caller) -> Any:
    return schemathesis.openapi.from_url(f"{gateway.url}/api/v1/schema/", config=_config(caller.identity))


schema = schemathesis.pytest.from_fixture("live_schema")


def _short_poll(case: schemathesis.Case) -> None:
    """Cap a valid inbox `wait` at `INBOX_LONGEST_WAIT` (see there)."""
    if case.operation.path != INBOX_ROUTE or not isinstance(case.query, dict) or "wait" not in case.query:
        return
    try:
        wait = float(case.query["wait"])
    except (TypeError, ValueError):
        return
    if INBOX_LONGEST_WAIT < wait <= 25:
        case.query["wait"] = INBOX_LONGEST_WAIT


@schema.parametrize()
def test_api_keeps_its_schema(case: schemathesis.Case, caller: Caller) -> None:
    _short_poll(case)
    response = caller.send(case)
    caller.assert_credentials_accepted(case, response)
