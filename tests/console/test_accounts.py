"""The police's account search in the console: the unit's cases that involve the account and
the count of other units' cases, the number never in a URL nor shown back, each search
recorded as the API's is."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.test import Client

from audit.models import AuditEvent
from exchange.audit_actions import ExchangeAction
from exchange.services import answers, cases, queries
from partners.identity import AdapterPrincipal
from tests.console.conftest import ANSWER, ANSWER_ACCOUNT, answer

SEARCH = "/console/accounts/search/"
ACCOUNT = ANSWER_ACCOUNT  # "6222 0202 0011 2233 445"


def _client(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    return client


def _unit_b_meets_the_account(world: Any) -> None:
    """Unit B's case, whose lookup at platform Y is answered with the same account."""
    case_b = cases.case_open(
        actor=world.officer_b,
        number="B-1",
        title="t",
        fraud_type="loan",
        legal_basis="x",
        victim_loss=Decimal(1),
    )
    query_b = queries.query_submit(
        actor=world.officer_b,
        submission=queries.Submission(
            case_id=case_b.pk,
            kind="order_lookup",
            partner=world.platform_y.code,
            input={"order_number": "PY0000001"},
        ),
    )
    answers.answer_record(actor=AdapterPrincipal(key=world.key_y.key), query_id=query_b.pk, payload=ANSWER)


def test_an_officer_finds_the_units_cases_and_the_count_of_others(world):
    answer(world, world.query_a)
    _unit_b_meets_the_account(world)
    response = _client(world.officer_a).post(SEARCH, {"account_number": "6222-0202-0011-2233-445"})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-testid="account-case"') == 1
    assert f"/console/cases/{world.case_a.pk}/" in page and world.case_a.number in page
    assert 'data-testid="other-units-cases" data-count="1"' in page
    assert "6222 **** **** 3445" in page
    # Neither typed form of the number comes back: not in the results, not in the form.
    for typed in ("0202 0011 2233 445", "0202-0011-2233-445", "62220202"):
        assert typed not in page


def test_each_search_is_recorded_with_the_blind_index_only(world):
    answer(world, world.query_a)
    before = AuditEvent.objects.filter(action=ExchangeAction.ACCOUNT_SEARCHED).count()
    _client(world.officer_a).post(SEARCH, {"account_number": ACCOUNT})
    events = AuditEvent.objects.filter(action=ExchangeAction.ACCOUNT_SEARCHED).order_by("id")[before:]
    (event,) = list(events)
    assert event.case_id == str(world.case_a.pk)
    assert event.details["own_cases"] == 1 and event.details["other_units_cases"] == 0
    assert event.details["subject_index"] and "6222" not in str(event.details)


def test_another_units_officer_sees_only_the_count(world):
    answer(world, world.query_a)
    page = _client(world.officer_b).post(SEARCH, {"account_number": ACCOUNT}).content.decode()
    assert 'data-testid="no-own-cases"' in page and world.case_a.number not in page
    assert 'data-testid="other-units-cases" data-count="1"' in page


def test_a_number_that_is_not_one_is_a_400_not_echoed_and_not_searched(world):
    before = AuditEvent.objects.filter(action=ExchangeAction.ACCOUNT_SEARCHED).count()
    response = _client(world.officer_a).post(SEARCH, {"account_number": "6222 02x2 0011"})
    assert response.status_code == 400
    assert 'data-testid="account-search-error"' in response.content.decode()
    assert "02x2" not in response.content.decode()
    assert AuditEvent.objects.filter(action=ExchangeAction.ACCOUNT_SEARCHED).count() == before


def test_the_form_posts_so_the_number_is_never_in_a_url(world):
    page = _client(world.officer_a).get(SEARCH).content.decode()
    assert '<form method="post" action="/console/accounts/search/"' in page
    # A number in the query string is ignored: a GET searches nothing.
    ignored = _client(world.officer_a).get(SEARCH, {"account_number": ACCOUNT}).content.decode()
    assert 'data-testid="account-search-results"' not in ignored
