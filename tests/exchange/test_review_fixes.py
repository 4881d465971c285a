"""Edge cases found in review: suspension stops queued pushes, partners never see refused
queries, out-of-scope cases are audited denials, odd bytes in paths, webhook and format checks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from audit.choices import AuditAction
from audit.models import AuditEvent
from core.actors import SystemActor
from core.errors import Invalid
from exchange.delivery.push import push_attempt
from exchange.models import Query
from exchange.sending import NoGrant
from exchange.services import cases, queries
from partners.choices import PartnerKind, PartnerStatus
from partners.identity import AdapterPrincipal
from partners.services import registry
from tests.clients import token_client
from tests.exchange.conftest import grant_another_kind


def push_query_to_y(world) -> Query:
    case_b = cases.case_open(
        actor=world.officer_b,
        number="B-7",
        title="t",
        fraud_type="loan",
        legal_basis="x",
        victim_loss=Decimal(1),
    )
    return queries.query_submit(
        actor=world.officer_b,
        submission=queries.Submission(
            case_id=case_b.pk,
            kind="order_lookup",
            partner=world.platform_y.code,
            input={"order_number": "PY00000001"},
        ),
    )


def test_suspension_stops_pushes_already_queued(world):
    query = push_query_to_y(world)
    registry.partner_set_status(
        actor=SystemActor("tests"), code=world.platform_y.code, status=PartnerStatus.SUSPENDED
    )
    assert push_attempt(str(query.pk)).done
    query.refresh_from_db()
    assert (query.status, query.reason, query.delivery_attempts) == ("failed", "partner_suspended", 0)


def test_partners_never_see_refused_queries(world):
    grant_another_kind(world)
    with pytest.raises(NoGrant):
        queries.query_submit(
            actor=world.officer_a,
            submission=queries.Submission(
                case_id=world.case_a.pk,
                kind="order_lookup",
                partner=world.platform_y.code,
                input={"order_number": "PY00000002"},
            ),
        )
    adapter_y = AdapterPrincipal(key=world.key_y.key)
    assert Query.objects.filter(partner=world.platform_y, status="refused").count() == 1
    assert not Query.objects.restrict(adapter_y).filter(status="refused").exists()


def test_another_units_case_is_an_audited_denial(world):
    body = {
        "case": str(world.case_a.pk),
        "kind": "order_lookup",
        "partner": world.platform_y.code,
        "input": {"order_number": "PY00000003"},
    }
    assert token_client(world.officer_b).post("/api/v1/queries/", body, format="json").status_code == 404
    denial = AuditEvent.objects.filter(action=AuditAction.REQUEST_DENIED).latest("id")
    assert denial.details["reason"] == "out_of_scope"
    assert denial.target_id == str(world.case_a.pk)


def test_odd_bytes_in_a_path_are_a_404_and_recorded_by_route(world):
    response = token_client(world.administrator).get("/api/v1/people/%00/")
    assert response.status_code == 404
    anonymous = APIClient().get("/api/v1/people/%00/")
    assert anonymous.status_code == 401
    denials = AuditEvent.objects.filter(action=AuditAction.REQUEST_DENIED).order_by("id")
    assert [d.details["route"] for d in denials] == ["api/v1/people/<str:username>/"] * 2
    assert not any("path" in d.details or "\x00" in str(d.details) for d in denials)


@override_settings(AFX_ALLOW_HTTP_WEBHOOKS=False)
def test_webhooks_must_be_https_outside_the_embedded_default(db):
    with pytest.raises(Invalid, match="HTTPS"):
        registry.partner_create(
            actor=SystemActor("tests"),
            code="p",
            name="P",
            kind=PartnerKind.PAYMENT_PLATFORM,
            delivery="push",
            webhook_url="http://platform.example/hook",
            answers=["order_lookup"],
        )
    registry.partner_create(
        actor=SystemActor("tests"),
        code="q",
        name="Q",
        kind=PartnerKind.PAYMENT_PLATFORM,
        delivery="push",
        webhook_url="https://platform.example/hook",
        answers=["order_lookup"],
    )


def test_input_formats_must_be_regular_expressions(db):
    with pytest.raises(Invalid):
        registry.partner_create(
            actor=SystemActor("tests"),
            code="p",
            name="P",
            kind=PartnerKind.PAYMENT_PLATFORM,
            delivery="pull",
            answers=["order_lookup"],
            input_formats={"order_number": "(["},
        )
