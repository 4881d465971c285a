"""The pages of an answering partner's operators (a bank, a payment platform, a telecom): the
queries addressed to their partner, masked, with each one's deadline; how fast the partner
answers against its deadlines; and the state of the partner's keys.

Each reads through the exchange's and the registry's selectors with the signed-in person,
as the API's `GET /queries/` and `GET /adapter-keys/` do: `Query.objects.restrict` leaves an
operator their partner's queries that the gateway sent (never one refused or awaiting
approval), `AdapterKey.objects.restrict` their partner's keys. The answer times are counted
from that same restricted list by the figures' own tallies and buckets (`stats.tallies`,
`stats.buckets`): an operator may not read a police unit's figures (`centre_figures`), and
needs no other partner's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.db.models import Count, F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.roles import Role
from exchange import selectors
from exchange.choices import ANSWER_STATUSES, NOT_SENT_STATUSES, OPEN_QUERY_STATUSES, QueryStatus
from exchange.kinds import spec_for
from exchange.models import Query
from exchange.push_key import published_keys
from partners.selectors import adapter_key_list
from stats.buckets import percentiles
from stats.tallies import tallies

from .. import reading
from ..access import ConsoleView

OPERATORS = frozenset({Role.OPERATOR})
QUEUE_SHOWN = 100
FIGURES_DAYS = 30
# What an operator ever sees of a query: everything the gateway sent (`restrict`).
VISIBLE_STATUSES: list[tuple[str, Any]] = [
    (code, label) for code, label in QueryStatus.choices if code not in NOT_SENT_STATUSES
]


class QueueFilterForm(forms.Form):
    """`?state=`: one status of those an operator sees, or all of them."""

    state = forms.ChoiceField(choices=[("", _("All")), *VISIBLE_STATUSES], required=False)


@dataclass(frozen=True)
class QueueRow:
    """One query of the queue: masked as the API shows it, with its timing against its deadline."""

    shown: reading.QueryShown
    late: bool  # answered after its deadline, expired without an answer, or still open past it

    @property
    def query(self) -> Query:
        return self.shown.query


def _late(query: Query, now: datetime) -> bool:
    if query.status == QueryStatus.EXPIRED:
        return True
    if query.answered_at is not None:
        return query.answered_at > query.deadline
    return query.status in OPEN_QUERY_STATUSES and now > query.deadline


def queue_rows(actor: Any, state: str | None) -> list[QueueRow]:
    """The newest queries addressed to the operator's partner, in one status when given."""
    found = selectors.query_list(actor, status=state or None).order_by("-created_at")[:QUEUE_SHOWN]
    now = timezone.now()
    shown = reading.queries_shown(actor, list(found), police=False)
    return [QueueRow(shown=one, late=_late(one.query, now)) for one in shown]


class OperatorQueueView(ConsoleView):
    """`GET` the queue (`?state=` to keep one status). The table polls itself (htmx, every
    2 s) through the same page, which answers an htmx request with the table alone."""

    allowed_roles = OPERATORS

    def get(self, request: HttpRequest) -> HttpResponse:
        form = QueueFilterForm(request.GET)
        if not form.is_valid():
            return render(request, "console/operator_queue.html", {"form": form, "rows": []}, status=400)
        state = form.cleaned_data["state"]
        context = {"form": form, "rows": queue_rows(self.person, state), "state": state}
        if request.headers.get("HX-Request") == "true":
            return render(request, "console/_operator_queue.html", context)
        return render(request, "console/operator_queue.html", context)


@dataclass
class KindTimes:
    """One request kind's answer times over the window, against its default deadline."""

    kind: str
    deadline: timedelta | None
    answered: int = 0
    open: int = 0
    expired: int = 0
    answered_late: int = 0
    buckets: Counter[int] = field(default_factory=Counter)
    p50_ms: int = 0
    p95_ms: int = 0

    @property
    def p50_seconds(self) -> float:
        return self.p50_ms / 1000

    @property
    def p95_seconds(self) -> float:
        return self.p95_ms / 1000

    @property
    def deadline_seconds(self) -> int | None:
        return int(self.deadline.total_seconds()) if self.deadline is not None else None

    @property
    def deadline_label(self) -> str:
        seconds = self.deadline_seconds
        if seconds is None:
            return "—"
        if seconds >= 3600 and seconds % 3600 == 0:
            hours = seconds // 3600
            return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}

    @property
    def breaches(self) -> int:
        """Deadlines missed: expired unanswered, or answered after the deadline."""
        return self.expired + self.answered_late

    @property
    def p95_within_deadline(self) -> bool | None:
        if self.deadline is None or not self.answered:
            return None
        return self.p95_ms <= self.deadline.total_seconds() * 1000


def answer_times(actor: Any, since: datetime) -> list[KindTimes]:
    """Per kind, the partner's queries received since `since`: answered (p50/p95 of received
    to answered, nearest rank within 1 %, as the centre's figures count them), still open,
    expired, and answered after their deadline. Two grouped queries and one count; no row
    is loaded."""
    received: QuerySet[Query] = selectors.query_list(actor).filter(created_at__gte=since)
    groups: dict[str, KindTimes] = {}

    def group(kind: str) -> KindTimes:
        if kind not in groups:
            spec = spec_for(kind)
            groups[kind] = KindTimes(kind=kind, deadline=spec.default_deadline if spec else None)
        return groups[kind]

    for (_unit, _partner, kind, status, _outcome), tally in tallies(received).items():
        times = group(kind)
        if status in ANSWER_STATUSES:
            times.answered += tally.count
            times.buckets.update(tally.buckets)
        elif status == QueryStatus.EXPIRED:
            times.expired += tally.count
        elif status in OPEN_QUERY_STATUSES:
            times.open += tally.count
    late = received.filter(answered_at__gt=F("deadline")).values("kind").annotate(n=Count("pk")).order_by()
    for row in late:
        group(row["kind"]).answered_late = row["n"]
    for times in groups.values():
        times.p50_ms, times.p95_ms = percentiles(times.buckets, (0.5, 0.95))
    return sorted(groups.values(), key=lambda times: times.kind)


class OperatorAnswerTimesView(ConsoleView):
    """`GET` the partner's answer times of the last 30 days, per kind, against the deadline."""

    allowed_roles = OPERATORS

    def get(self, request: HttpRequest) -> HttpResponse:
        since = timezone.now() - timedelta(days=FIGURES_DAYS)
        context = {"times": answer_times(self.person, since), "days": FIGURES_DAYS}
        return render(request, "console/operator_answer_times.html", context)


class OperatorKeysView(ConsoleView):
    """`GET` the partner's adapter keys (its own `GET /adapter-keys/`: created, revoked, last
    used) and the gateway's public push keys its adapter verifies pushes with (what
    `GET /signing-keys/` publishes): the current one, and the next one during a rotation."""

    allowed_roles = OPERATORS

    def get(self, request: HttpRequest) -> HttpResponse:
        keys = adapter_key_list(actor=self.person).order_by("-created_at")
        push = [key for key in published_keys() if key["use"] == "push"]
        return render(request, "console/operator_keys.html", {"keys": keys, "push_keys": push})
