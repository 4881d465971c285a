"""Each anomaly detector finds its synthetic case, names its events, and leaves normal activity alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from audit.anomalies import find_anomalies
from audit.choices import AuditAction, Outcome
from audit.models import AuditEvent
from core.actors import SystemActor
from exchange.audit_actions import ExchangeAction
from partners.audit_actions import PartnerAction

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Order lookup's submission, registered by its request kind (traits CASE_ACCESS, SUBJECT_LOOKUP).
LOOKUP_SUBMITTED = "lookup_submitted"


@dataclass(frozen=True)
class Code:
    code: str


@dataclass(frozen=True)
class Someone:
    """A stand-in for a person: what `event_record` reads of an actor."""

    name: str
    unit: str = "unit-a"
    role: str = "officer"

    @property
    def partner(self) -> Code:
        return Code(self.unit)

    @property
    def actor_label(self) -> str:
        return f"person:{self.name}"


@pytest.fixture
def at(record):
    """`at(moment, **fields)`: an event recorded at a given time."""

    def make(moment: datetime, **fields) -> AuditEvent:
        event = record(**fields)
        AuditEvent.objects.filter(id=event.id).update(created_at=moment)  # test data, before any trigger
        event.created_at = moment
        return event

    return make


@pytest.fixture(autouse=True)
def _updatable_events(drop_triggers):
    """Synthetic events are back-dated after insert, which the append-only triggers refuse."""
    drop_triggers()


def findings(kind: str, since: datetime, until: datetime):
    return [
        f for f in find_anomalies(events=AuditEvent.objects.all(), since=since, until=until) if f.kind == kind
    ]


DAY = datetime(2026, 11, 2, tzinfo=SHANGHAI)


def test_off_hours_access_is_found_per_person_and_day(at):
    night = at(DAY.replace(hour=23), actor=Someone("late"), action=ExchangeAction.CASE_VIEWED)
    early = at(DAY.replace(hour=7, minute=59), actor=Someone("late"), action=LOOKUP_SUBMITTED)
    at(DAY.replace(hour=8), actor=Someone("punctual"), action=ExchangeAction.CASE_VIEWED)
    at(DAY.replace(hour=19, minute=59), actor=Someone("punctual"), action=ExchangeAction.CASE_VIEWED)
    at(DAY.replace(hour=23), actor=SystemActor("nightly-job"))
    (finding,) = findings("off_hours", DAY, DAY + timedelta(days=1))
    assert finding.actor_id == "person:late"
    assert finding.event_ids == (early.id, night.id)


def test_working_hours_are_set_per_unit(at, settings):
    settings.AFX_AUDIT_ANOMALIES = {
        "working_hours": {"default": ("08:00", "20:00"), "night-unit": ("20:00", "08:00")}
    }
    at(DAY.replace(hour=23), actor=Someone("shift", unit="night-unit"), action=ExchangeAction.CASE_VIEWED)
    noon = at(
        DAY.replace(hour=12), actor=Someone("shift", unit="night-unit"), action=ExchangeAction.CASE_VIEWED
    )
    (finding,) = findings("off_hours", DAY, DAY + timedelta(days=1))
    assert finding.event_ids == (noon.id,)


def _queries(at, officer: Someone, count: int) -> list[AuditEvent]:
    return [
        at(DAY.replace(hour=10) + timedelta(minutes=n), actor=officer, action=LOOKUP_SUBMITTED)
        for n in range(count)
    ]


def test_volume_far_above_the_units_norm_is_found(at):
    for name, count in (("a", 4), ("b", 5), ("c", 6)):
        _queries(at, Someone(name), count)
    _queries(at, Someone("other-unit", unit="unit-b"), 40)
    heavy = _queries(at, Someone("heavy"), 40)
    (finding,) = findings("volume", DAY, DAY + timedelta(days=1))
    assert finding.actor_id == "person:heavy"
    assert finding.event_ids == tuple(e.id for e in heavy)


def test_volume_within_the_norm_is_not_found(at):
    for name, count in (("a", 20), ("b", 25), ("c", 30), ("d", 35)):
        _queries(at, Someone(name), count)
    assert findings("volume", DAY, DAY + timedelta(days=1)) == []


def test_reveal_not_followed_by_any_action_is_found(at):
    idle = Someone("idle")
    busy = Someone("busy")
    start = timezone.now() - timedelta(hours=3)
    unused = at(start, actor=idle, action=AuditAction.PLAINTEXT_REVEALED, case_id="c1")
    at(start + timedelta(minutes=5), actor=idle, action=ExchangeAction.CASE_VIEWED, case_id="c1")
    at(
        start + timedelta(minutes=6),
        actor=idle,
        action=LOOKUP_SUBMITTED,
        case_id="another-case",
    )
    at(start, actor=busy, action=AuditAction.PLAINTEXT_REVEALED, case_id="c2")
    at(start + timedelta(minutes=10), actor=busy, action=LOOKUP_SUBMITTED, case_id="c2")
    (finding,) = findings("reveal_without_action", start - timedelta(hours=1), timezone.now())
    assert finding.event_ids == (unused.id,)


def test_a_recent_reveal_is_not_judged_yet(at):
    at(timezone.now() - timedelta(minutes=5), actor=Someone("x"), action=AuditAction.PLAINTEXT_REVEALED)
    assert findings("reveal_without_action", timezone.now() - timedelta(hours=1), timezone.now()) == []


def test_queries_on_a_closed_case_are_found(at):
    officer = Someone("o")
    at(DAY.replace(hour=9), actor=officer, action=LOOKUP_SUBMITTED, case_id="closed")
    at(DAY.replace(hour=9, minute=30), actor=officer, action=ExchangeAction.CASE_CLOSED, case_id="closed")
    late = at(DAY.replace(hour=10), actor=officer, action=ExchangeAction.CASE_VIEWED, case_id="closed")
    at(DAY - timedelta(days=3), actor=officer, action=ExchangeAction.CASE_CLOSED, case_id="long-closed")
    revealed = at(
        DAY.replace(hour=11), actor=officer, action=AuditAction.PLAINTEXT_REVEALED, case_id="long-closed"
    )
    at(DAY.replace(hour=10), actor=officer, action=ExchangeAction.CASE_VIEWED, case_id="open")
    found = findings("closed_case_query", DAY, DAY + timedelta(days=1))
    assert [f.event_ids for f in found] == [(late.id,), (revealed.id,)]


def _lookup(at, hour: int, case_id: str, subject: str, name: str = "o") -> AuditEvent:
    return at(
        DAY.replace(hour=hour),
        actor=Someone(name),
        action=LOOKUP_SUBMITTED,
        case_id=case_id,
        details={"subject_index": subject, "kind": "order_lookup"},
    )


def test_one_subject_across_unrelated_cases_is_found(at):
    spread = [
        _lookup(at, 9, "c1", "idx-1"),
        _lookup(at, 10, "c2", "idx-1", "p"),
        _lookup(at, 11, "c3", "idx-1"),
    ]
    _lookup(at, 9, "c1", "idx-2")
    _lookup(at, 9, "c1", "idx-2")
    (finding,) = findings("subject_across_cases", DAY, DAY + timedelta(days=1))
    assert finding.event_ids == tuple(e.id for e in spread)
    assert "idx-1" in finding.summary


def test_bursts_of_denied_requests_are_found(at):
    prober = Someone("prober")
    burst = [
        at(DAY.replace(hour=10) + timedelta(seconds=5 * n), actor=prober, outcome=Outcome.DENIED)
        for n in range(12)
    ]
    for n in range(9):  # slow refusals: one every two minutes
        at(DAY.replace(hour=14) + timedelta(minutes=2 * n), actor=prober, outcome=Outcome.DENIED)
    anonymous = [
        at(DAY.replace(hour=16) + timedelta(seconds=n), actor=None, outcome=Outcome.DENIED, details={"n": n})
        for n in range(10)
    ]
    found = findings("denied_burst", DAY, DAY + timedelta(days=1))
    assert [f.event_ids for f in found] == [tuple(e.id for e in burst), tuple(e.id for e in anonymous)]


def test_normal_activity_finds_nothing(at):
    for n, name in enumerate(("a", "b", "c", "d")):
        officer = Someone(name)
        at(DAY.replace(hour=9 + n), actor=officer, action=PartnerAction.SIGN_IN)
        at(
            DAY.replace(hour=9 + n, minute=5),
            actor=officer,
            action=LOOKUP_SUBMITTED,
            case_id=f"c{n}",
        )
        at(
            DAY.replace(hour=9 + n, minute=6),
            actor=officer,
            action=AuditAction.PLAINTEXT_REVEALED,
            case_id=f"c{n}",
        )
        at(
            DAY.replace(hour=9 + n, minute=9),
            actor=officer,
            action=LOOKUP_SUBMITTED,
            case_id=f"c{n}",
        )
        at(DAY.replace(hour=9 + n, minute=10), actor=officer, outcome=Outcome.DENIED)
    assert find_anomalies(events=AuditEvent.objects.all(), since=DAY, until=DAY + timedelta(days=1)) == []
