"""Access where the act happens: the services themselves refuse what is out of the actor's scope.

Called directly (as the admin, a command, a task or a web page would call them), the services
answer another unit's officer as the API does: the case or query does not exist for them, the
refusal is audited once, and nothing is revealed, closed or filed.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent
from core.errors import Forbidden, NotFound
from exchange import selectors
from exchange.audit_actions import ExchangeAction
from exchange.delivery.inbox import inbox_lease
from exchange.models import Case, Query
from exchange.services import cases, disclosure, queries
from partners.identity import AdapterPrincipal
from tests import factories
from tests.clients import token_client
from tests.exchange.conftest import answer
from tests.permission_matrix import IDENTITIES
from tests.service_matrix import actor_of


def _denials() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(outcome=Outcome.DENIED).order_by("id"))


def _into_case_a(world) -> queries.Submission:
    return queries.Submission(
        case_id=world.case_a.pk,
        kind="order_lookup",
        partner=world.platform_y.code,
        input={"order_number": "PY00000009"},
    )


def test_another_units_officer_cannot_reveal_a_query(world):
    answer(world, world.query_a)
    with pytest.raises(NotFound):
        disclosure.query_reveal(actor=world.officer_b, query_id=world.query_a.pk, purpose="evidence")
    (denial,) = _denials()
    assert (denial.action, denial.target_id, denial.case_id) == (
        AuditAction.REQUEST_DENIED,
        str(world.query_a.pk),
        str(world.case_a.pk),
    )
    assert denial.details["reason"] == "out_of_scope"
    assert not AuditEvent.objects.filter(action=AuditAction.PLAINTEXT_REVEALED).exists()


def test_another_units_case_cannot_be_closed(world):
    with pytest.raises(NotFound):
        cases.case_close(actor=world.officer_b, case_id=world.case_a.pk)
    assert Case.objects.get(pk=world.case_a.pk).is_open
    assert not AuditEvent.objects.filter(action=ExchangeAction.CASE_CLOSED).exists()
    assert [d.target_id for d in _denials()] == [str(world.case_a.pk)]


def test_nothing_can_be_filed_into_another_units_case(world):
    before = Query.objects.filter(case=world.case_a).count()
    with pytest.raises(NotFound):
        queries.query_submit(actor=world.officer_b, submission=_into_case_a(world))
    assert Query.objects.filter(case=world.case_a).count() == before
    assert [d.target_id for d in _denials()] == [str(world.case_a.pk)]


def test_a_batch_refuses_an_item_for_another_units_case_alone_and_keeps_its_denial(world):
    case_b = factories.case(world.officer_b)
    own = queries.Submission(
        case_id=case_b.pk,
        kind="order_lookup",
        partner=world.platform_y.code,
        input={"order_number": "PY00000010"},
    )
    results = queries.query_submit_batch(actor=world.officer_b, submissions=[_into_case_a(world), own])
    assert [type(r.error) for r in results] == [NotFound, type(None)]
    assert [d.target_id for d in _denials()] == [str(world.case_a.pk)]


def test_an_act_that_names_no_object_is_forbidden_to_anyone_but_police_and_audited(world):
    with pytest.raises(Forbidden) as refused:
        disclosure.account_search(actor=world.auditor, account_number="6222020200112233445")
    assert refused.value.audited
    (denial,) = _denials()
    assert (denial.actor_id, denial.details["code"]) == ("person:auditor", "permission_denied")
    assert not AuditEvent.objects.filter(action=ExchangeAction.ACCOUNT_SEARCHED).exists()


def test_the_inbox_holds_only_what_its_caller_may_answer(world):
    """An operator of platform X sees its queries, and answers none: its inbox is empty."""
    operator_x = factories.person(world.platform_x, "operator")
    assert selectors.query_get(operator_x, world.query_a.pk) == world.query_a
    assert inbox_lease(adapter=operator_x, limit=10) == []
    assert Query.objects.get(pk=world.query_a.pk).status == "pending"
    assert [q.pk for q in inbox_lease(adapter=actor_of(world, "adapter_x"), limit=10)] == [world.query_a.pk]


# What each identity lists: its reach, as `restrict` states it.
LISTED = {
    "officer_a": (True, True),
    "supervisor_a": (True, True),
    "adapter_x": (False, True),
    "auditor": (True, True),
}


@pytest.mark.parametrize("identity", [*IDENTITIES, "system"])
def test_lists_hold_what_the_actor_reaches(world, identity):
    actor = actor_of(world, identity)
    listed = (
        list(selectors.case_list(actor)) == [world.case_a],
        list(selectors.query_list(actor, case_id=world.case_a.pk)) == [world.query_a],
    )
    assert listed == LISTED.get(identity, (False, False))
    assert list(selectors.case_list(actor)) in ([], [world.case_a])
    assert list(selectors.query_list(actor)) in ([], [world.query_a])


def test_reading_a_case_is_recorded_against_it_and_listing_is_not(world):
    token_client(world.auditor).get("/api/v1/cases/")
    assert token_client(world.auditor).get(f"/api/v1/cases/{world.case_a.pk}/").status_code == 200
    selectors.case_get(world.supervisor_a, world.case_a.pk)
    viewed = AuditEvent.objects.filter(action=ExchangeAction.CASE_VIEWED).order_by("id")
    assert [(e.actor_id, e.case_id, e.target_id) for e in viewed] == [
        ("person:auditor", str(world.case_a.pk), str(world.case_a.pk)),
        ("person:supervisor-a", str(world.case_a.pk), str(world.case_a.pk)),
    ]


def test_no_object_permission_is_answered_by_has_perm_even_for_an_active_grant(world):
    """Grants are read through `grants_active_for`, which knows expiry; `has_perm` knows
    nothing of them, so no code can rely on an answer that ignores expiry."""
    permission = world.grant_a_x.permission
    name = f"{permission.content_type.app_label}.{permission.codename}"
    assert world.grant_a_x.expires_at > timezone.now()
    assert world.officer_a.has_perm(name, world.platform_x) is False


def test_a_deactivated_officer_closes_nothing_and_a_suspended_units_officer_files_nothing(world):
    """Deactivation and suspension stop acts in the services, not only at the API's door."""
    world.officer_a.is_active = False
    world.officer_a.save(update_fields=["is_active"])
    with pytest.raises(NotFound):
        cases.case_close(actor=world.officer_a, case_id=world.case_a.pk)
    assert Case.objects.get(pk=world.case_a.pk).is_open
    world.supervisor_a.partner.status = "suspended"
    world.supervisor_a.partner.save(update_fields=["status"])
    with pytest.raises(NotFound):
        queries.query_submit(actor=world.supervisor_a, submission=_into_case_a(world))
    assert Query.objects.filter(case=world.case_a).count() == 1


def test_a_suspended_partners_adapter_leases_nothing(world):
    adapter = AdapterPrincipal(key=world.key_x.key)
    adapter.partner.status = "suspended"
    adapter.partner.save(update_fields=["status"])
    assert inbox_lease(adapter=adapter, limit=10) == []
    assert Query.objects.get(pk=world.query_a.pk).status == "pending"
