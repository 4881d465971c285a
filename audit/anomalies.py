"""Anomaly reports over the audit log: findings for an auditor to look into, each with its events.

Six detectors read the events of a time window (thresholds in `conf.AnomalySettings`,
setting ``AFX_AUDIT_ANOMALIES``). They know actions only by their traits
(`audit.vocabulary.Trait`), asked of the registry when a report runs, so an app or a
request kind that registers a new action with a trait is read here without a change:

* ``off_hours``: any act of a person outside their unit's working hours, in the
  exchange's time zone (``working_hours`` per partner code, ``default`` otherwise; a
  range such as 20:00-08:00 wraps past midnight). One finding per person and day.
* ``volume``: an officer whose reads of case data (``CASE_ACCESS``) exceed
  ``volume_factor`` times the median of the other officers of the same unit in the
  window, and at least ``volume_min_events``; a unit needs two other active officers to
  have a norm.
* ``reveal_without_action``: a ``REVEAL`` (allowed) not followed, within
  ``reveal_follow_up_minutes``, by any act of the same person that is not ``PASSIVE``
  (another reveal, a view, a sign-in or token event) and that concerns the same case when
  the reveal names one. Reveals whose follow-up time has not yet passed are not judged.
* ``closed_case_query``: a read of case data naming a case (``case_id``) after that
  case's ``CASE_CLOSE``; nothing reopens a closed case.
* ``subject_across_cases``: the same ``details.subject_index`` (a blind index, never the
  value) in ``SUBJECT_LOOKUP`` events of at least ``subject_min_cases`` cases.
* ``denied_burst``: at least ``denied_burst_count`` denied requests of one actor (or one
  address, for anonymous callers) within ``denied_burst_seconds``.
"""

from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Min, QuerySet
from django.utils import timezone

from core.errors import Invalid

from .choices import ActorType, Outcome
from .conf import AnomalySettings, anomaly_settings
from .models import AuditEvent
from .vocabulary import Trait, with_trait

MAX_WINDOW = timedelta(days=7)
DEFAULT_WINDOW = timedelta(days=1)

_FIELDS = ("id", "created_at", "actor_type", "actor_id", "actor_partner", "actor_role", "action", "case_id")


@dataclass(frozen=True)
class Finding:
    """One anomaly: what kind, about whom, in words, and the events behind it (oldest first)."""

    kind: str
    actor_id: str
    partner: str
    summary: str
    first_at: datetime
    event_ids: tuple[int, ...]

    @property
    def sort_key(self) -> tuple[str, str, str, int]:
        """Findings are listed oldest first; this key is unique and stable for cursor paging."""
        return (self.first_at.isoformat(), self.kind, self.actor_id, self.event_ids[0])


@dataclass(frozen=True)
class _Event:
    id: int
    created_at: datetime
    actor_type: str
    actor_id: str
    actor_partner: str
    actor_role: str
    action: str
    case_id: str


def _events(events: QuerySet[AuditEvent], *extra: str) -> list[Any]:
    return list(events.order_by("created_at", "id").values_list(*_FIELDS, *extra))


def anomaly_window(*, since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """The window `[since, until)` a report reads: `until` defaults to now, `since` to
    `DEFAULT_WINDOW` before it; it must be positive and at most `MAX_WINDOW` long, since every
    detector reads the whole window. The API and the console both ask this, so they refuse
    the same windows; `Invalid` otherwise."""
    until = until or timezone.now()
    try:
        since = since or until - DEFAULT_WINDOW
    except OverflowError:  # the default window would start before the calendar does
        raise Invalid(
            "Required for a window this early.", fields={"since": ["Required for a window this early."]}
        ) from None
    if not timedelta(0) < until - since <= MAX_WINDOW:
        raise Invalid("The window must be positive and at most 7 days.")
    return since, until


def find_anomalies(*, events: QuerySet[AuditEvent], since: datetime, until: datetime) -> list[Finding]:
    """Every finding about events in [since, until), oldest first; `events` is already restricted."""
    config = anomaly_settings()
    window = events.filter(created_at__gte=since, created_at__lt=until)
    detectors: list[Callable[[], Iterable[Finding]]] = [
        lambda: off_hours(window, config),
        lambda: volume(window, config),
        lambda: reveals_without_action(events, since, until, config),
        lambda: closed_case_queries(events, window),
        lambda: subjects_across_cases(window, config),
        lambda: denied_bursts(window, config),
    ]
    findings = [finding for detector in detectors for finding in detector()]
    return sorted(findings, key=lambda finding: finding.sort_key)


def _finding(kind: str, summary: str, evidence: list[_Event]) -> Finding:
    first = evidence[0]
    return Finding(
        kind=kind,
        actor_id=first.actor_id,
        partner=first.actor_partner,
        summary=summary,
        first_at=first.created_at,
        event_ids=tuple(event.id for event in evidence),
    )


def _within(moment: time, start: time, end: time) -> bool:
    return start <= moment < end if start <= end else moment >= start or moment < end


def off_hours(window: QuerySet[AuditEvent], config: AnomalySettings) -> Iterable[Finding]:
    zone = ZoneInfo(config.time_zone)
    groups: dict[tuple[str, str], list[_Event]] = defaultdict(list)
    for values in _events(window.filter(actor_type=ActorType.PERSON)):
        event = _Event(*values)
        local = event.created_at.astimezone(zone)
        start, end = config.hours_of(event.actor_partner)
        if not _within(local.time(), start, end):
            groups[(event.actor_id, local.date().isoformat())].append(event)
    for (actor_id, day), evidence in groups.items():
        start, end = config.hours_of(evidence[0].actor_partner)
        yield _finding(
            "off_hours",
            f"{actor_id} acted {len(evidence)} time(s) on {day} outside {start:%H:%M}-{end:%H:%M} "
            f"({config.time_zone})",
            evidence,
        )


def volume(window: QuerySet[AuditEvent], config: AnomalySettings) -> Iterable[Finding]:
    queries = window.filter(actor_role="officer", action__in=with_trait(Trait.CASE_ACCESS))
    by_officer: dict[str, list[_Event]] = defaultdict(list)
    for values in _events(queries):
        event = _Event(*values)
        by_officer[event.actor_id].append(event)
    by_unit: dict[str, list[str]] = defaultdict(list)
    for officer, evidence in by_officer.items():
        by_unit[evidence[0].actor_partner].append(officer)
    for unit, officers in by_unit.items():
        for officer in officers:
            others = [len(by_officer[other]) for other in officers if other != officer]
            if len(others) < 2:
                continue
            norm = statistics.median(others)
            count = len(by_officer[officer])
            if count >= config.volume_min_events and count > config.volume_factor * max(norm, 1):
                yield _finding(
                    "volume",
                    f"{officer} made {count} queries; the norm of {unit}'s other officers is {norm:g}",
                    by_officer[officer],
                )


def reveals_without_action(
    events: QuerySet[AuditEvent], since: datetime, until: datetime, config: AnomalySettings
) -> Iterable[Finding]:
    follow_up = timedelta(minutes=config.reveal_follow_up_minutes)
    judged_until = min(until, timezone.now() - follow_up)
    reveals = [
        _Event(*values)
        for values in _events(
            events.filter(
                action__in=with_trait(Trait.REVEAL),
                outcome=Outcome.ALLOWED,
                created_at__gte=since,
                created_at__lt=judged_until,
            )
        )
    ]
    if not reveals:
        return
    acts = events.filter(
        actor_id__in={reveal.actor_id for reveal in reveals},
        outcome=Outcome.ALLOWED,
        created_at__gt=reveals[0].created_at,
        created_at__lte=reveals[-1].created_at + follow_up,
    ).exclude(action__in=with_trait(Trait.PASSIVE))
    acted: dict[str, list[_Event]] = defaultdict(list)
    for values in _events(acts):
        event = _Event(*values)
        acted[event.actor_id].append(event)
    moments = {actor_id: [event.created_at for event in later] for actor_id, later in acted.items()}
    unanswered: dict[str, list[_Event]] = defaultdict(list)
    for reveal in reveals:
        later = acted[reveal.actor_id]
        first = bisect.bisect_right(moments.get(reveal.actor_id, []), reveal.created_at)
        answered = any(
            event.created_at <= reveal.created_at + follow_up
            and (not reveal.case_id or event.case_id == reveal.case_id)
            for event in later[first:]
        )
        if not answered:
            unanswered[reveal.actor_id].append(reveal)
    for actor_id, evidence in unanswered.items():
        yield _finding(
            "reveal_without_action",
            f"{actor_id} revealed plaintext {len(evidence)} time(s) and did nothing with it "
            f"within {config.reveal_follow_up_minutes} minutes",
            evidence,
        )


def closed_case_queries(events: QuerySet[AuditEvent], window: QuerySet[AuditEvent]) -> Iterable[Finding]:
    reads = window.filter(action__in=with_trait(Trait.CASE_ACCESS)).exclude(case_id="")
    queries = [_Event(*values) for values in _events(reads)]
    if not queries:
        return
    closed_at = dict(
        events.filter(
            action__in=with_trait(Trait.CASE_CLOSE), case_id__in={query.case_id for query in queries}
        )
        .order_by()
        .values("case_id")
        .annotate(first=Min("created_at"))
        .values_list("case_id", "first")
    )
    flagged: dict[tuple[str, str], list[_Event]] = defaultdict(list)
    for query in queries:
        closed = closed_at.get(query.case_id)
        if closed is not None and closed < query.created_at:
            flagged[(query.actor_id, query.case_id)].append(query)
    for (actor_id, case_id), evidence in flagged.items():
        yield _finding(
            "closed_case_query", f"{actor_id} queried closed case {case_id} {len(evidence)} time(s)", evidence
        )


def subjects_across_cases(window: QuerySet[AuditEvent], config: AnomalySettings) -> Iterable[Finding]:
    lookups = window.filter(action__in=with_trait(Trait.SUBJECT_LOOKUP)).exclude(case_id="")
    by_subject: dict[str, list[_Event]] = defaultdict(list)
    for *values, subject in _events(lookups, "details__subject_index"):
        if isinstance(subject, str) and subject:
            by_subject[subject].append(_Event(*values))
    for subject, evidence in by_subject.items():
        cases = {event.case_id for event in evidence}
        if len(cases) >= config.subject_min_cases:
            yield _finding(
                "subject_across_cases",
                f"subject {subject} was looked up in {len(cases)} cases "
                f"by {len({event.actor_id for event in evidence})} actor(s)",
                evidence,
            )


def denied_bursts(window: QuerySet[AuditEvent], config: AnomalySettings) -> Iterable[Finding]:
    span = timedelta(seconds=config.denied_burst_seconds)
    by_caller: dict[str, list[_Event]] = defaultdict(list)
    for *values, address in _events(window.filter(outcome=Outcome.DENIED), "source_address"):
        event = _Event(*values)
        by_caller[event.actor_id or f"anonymous@{address or 'unknown'}"].append(event)
    need = config.denied_burst_count
    for caller, denials in by_caller.items():
        start = 0
        while start + need <= len(denials):
            if denials[start + need - 1].created_at - denials[start].created_at > span:
                start += 1
                continue
            end = start + need - 1  # grow the burst while each last `need` denials fit in the span
            while (
                end + 1 < len(denials)
                and denials[end + 1].created_at - denials[end + 2 - need].created_at <= span
            ):
                end += 1
            evidence = denials[start : end + 1]
            seconds = (evidence[-1].created_at - evidence[0].created_at).total_seconds()
            yield _finding(
                "denied_burst", f"{caller} was refused {len(evidence)} times in {seconds:.0f} s", evidence
            )
            start = end + 1
