"""Log lines carry the request id, the actor type and the partner, and no personal value.

Personal values go through the main paths (an officer's query, a platform's answer, a
bank's answer naming a holder and an ID number, a reveal, denials, bad requests) with
every logger at DEBUG and the SQL statements logged with their parameters; then no line
may hold any of them in plain text.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from django.db import connection
from rest_framework.test import APIClient

from tests import factories
from tests.clients import signed_world_client, token_client
from tests.conftest import BANK_BIN

ORDER_NUMBER = "PX88231907ZQ"
ACCOUNT = f"{BANK_BIN}0204417765"
HOLDER = "Ouyang Mingzhe"
ID_NUMBER = "110105198811237714"
PHONE = "13917264405"
ACCOUNT_TRANSFERS = "account_transfers"
PERSONAL = (ORDER_NUMBER, ACCOUNT, HOLDER, ID_NUMBER, PHONE)


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """Every record of every logger, at DEBUG, as production renders it (JSON)."""
    from observability.logs import formatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(json=True))
    loggers = [logging.getLogger(), *map(logging.getLogger, list(logging.root.manager.loggerDict))]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    connection.force_debug_cursor = True  # django.db.backends logs each statement and its parameters
    structlog.contextvars.clear_contextvars()
    try:
        yield stream
    finally:
        connection.force_debug_cursor = False
        logging.getLogger().removeHandler(handler)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


def _walk_the_paths(world) -> None:
    officer = token_client(world.officer_a)
    platform = signed_world_client(world.key_x)
    submitted = officer.post(
        "/api/v1/queries/",
        {
            "case": str(world.case_a.pk),
            "kind": "order_lookup",
            "partner": "platform-x",
            "input": {"order_number": ORDER_NUMBER},
        },
        format="json",
    )
    assert submitted.status_code == 202, submitted.content
    query_id = submitted.json()["id"]
    answer = {"bank": "Bank", "account_number": ACCOUNT, "holder_name": HOLDER}
    answered = platform.post(
        f"/api/v1/adapter/queries/{query_id}/answer/", {"status": "answered", "result": answer}, format="json"
    )
    assert answered.status_code == 200, answered.content
    conflict = platform.post(
        f"/api/v1/adapter/queries/{query_id}/answer/",
        {"status": "answered", "result": {**answer, "holder_name": f"{HOLDER} {PHONE}"}},
        format="json",
    )
    assert conflict.status_code == 409
    revealed = officer.post(f"/api/v1/queries/{query_id}/reveal/", {"purpose": "evidence"}, format="json")
    assert revealed.status_code == 200 and HOLDER in revealed.content.decode()

    factories.grant(world.unit_a, world.bank, ACCOUNT_TRANSFERS)
    to_bank = officer.post(
        "/api/v1/queries/",
        {
            "case": str(world.case_a.pk),
            "kind": ACCOUNT_TRANSFERS,
            "partner": "bank",
            "input": {"account_number": ACCOUNT},
        },
        format="json",
    )
    assert to_bank.status_code == 202, to_bank.content
    bank = signed_world_client(world.adapter_key(world.bank))
    bank_answer = {"holder_name": HOLDER, "holder_id_number": ID_NUMBER, "balance": "12.00", "transfers": []}
    answered = bank.post(
        f"/api/v1/adapter/queries/{to_bank.json()['id']}/answer/",
        {"status": "answered", "result": bank_answer},
        format="json",
    )
    assert answered.status_code == 200, answered.content
    found = officer.post("/api/v1/accounts/search/", {"account_number": ACCOUNT}, format="json")
    assert found.status_code == 200

    # Denials: a phone number where a username goes, another unit's query, an outsider.
    assert token_client(world.administrator).get(f"/api/v1/people/{PHONE}/").status_code == 404
    assert APIClient().get(f"/api/v1/people/{PHONE}/?account={ACCOUNT}").status_code == 401
    assert token_client(world.officer_b).get(f"/api/v1/queries/{query_id}/").status_code == 404
    # Bad requests, quoting personal values in wrong places and wrong shapes.
    bad = officer.post(
        "/api/v1/queries/",
        {
            "case": str(world.case_a.pk),
            "kind": "order_lookup",
            "partner": "platform-x",
            "input": {"order_number": f"{ORDER_NUMBER}!{PHONE}", HOLDER: ID_NUMBER},
        },
        format="json",
    )
    assert bad.status_code == 400
    assert (
        officer.post(
            "/api/v1/accounts/search/", {"account_number": f"{ACCOUNT}x{PHONE}"}, format="json"
        ).status_code
        == 400
    )
    wrong = platform.post(
        f"/api/v1/adapter/queries/{query_id}/answer/",
        {"status": "answered", "result": {"account_number": HOLDER, "holder_name": ID_NUMBER}},
        format="json",
    )
    assert wrong.status_code in (400, 409)


def test_no_personal_value_reaches_a_log_line(world, lines):
    _walk_the_paths(world)
    text = lines.getvalue()
    assert '"SQL statement"' in text and '"Bad Request"' in text  # the capture saw SQL and refusals
    for value in PERSONAL:
        assert value not in text, value


def test_every_line_names_the_request_and_actor(world, lines):
    _walk_the_paths(world)
    records = _records(lines)
    assert records and all(
        {"request_id", "actor_type", "level", "logger", "timestamp"} <= set(r) for r in records
    )
    refusals = [r for r in records if r["logger"] == "django.request"]
    assert {r["actor_type"] for r in refusals} >= {"person", "adapter", "anonymous"}
    assert all(r["request_id"] for r in refusals)
    assert {r.get("partner") for r in refusals if r["actor_type"] == "adapter"} == {"platform-x"}
    unknown_user = next(
        r for r in refusals if r["status"] == 404 and r["method"] == "GET" and r["actor_type"] == "person"
    )
    assert unknown_user["event"] == "Not Found" and unknown_user["route"] == "api/v1/people/<str:username>/"
    assert unknown_user["partner"] == "exchange"


def test_outside_a_request_the_system_is_acting(db, lines):
    logging.getLogger("afx.test").warning("Sweeping.")
    (record,) = (r for r in _records(lines) if r["logger"] == "afx.test")
    assert record["actor_type"] == "system" and record["event"] == "Sweeping."
