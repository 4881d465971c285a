"""The watchlist in the centre's figures: its size now, and over the range the entries listed,
delisted and expired, and the checked values found on it, per unit and for every unit; a
check records its hits per unit listing them, never which values. At the end of retention
an entry that left the list loses its value once its case is erased; one still on it keeps it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from audit.models import AuditEvent
from exchange.models import Case
from exchange.retention import retention_period, retention_sweep
from exchange.services import cases
from stats.rollup import CENTRE_TIME_ZONE
from stats.selectors import centre_figures
from tests import factories
from tests.watchlist.service_matrix import ACCOUNT, listed, met
from watchlist import services
from watchlist.figures import WatchlistFigures
from watchlist.models import WatchlistEntry, WatchlistHit

OTHER = "6222029988776655"


def _today() -> date:
    return timezone.now().astimezone(CENTRE_TIME_ZONE).date()


def _listed_by_unit_b(world: Any, value: str) -> WatchlistEntry:
    case_b = factories.case(world.officer_b, "B-WL")
    met(world, value, case=case_b)
    return services.entry_list(
        actor=factories.person(world.unit_b, "supervisor"),
        case_id=case_b.pk,
        value=value,
        kind="account",
        reason="mule_account",
        restriction="monitor",
    )


def _check(world: Any, *values: str) -> None:
    checked = [services.CheckValue("account", value) for value in values]
    services.watchlist_check(actor=world.officer_a, values=checked)


def test_the_figures_count_the_list_and_its_hits(world: Any) -> None:
    listed(world)
    second = listed(world, OTHER)
    services.entry_delist(actor=world.supervisor_a, entry_id=second.pk, reason="cleared_by_investigation")
    _listed_by_unit_b(world, ACCOUNT)  # both units list the first value
    _check(world, ACCOUNT, OTHER, "6222020000000000")  # one listed value, one delisted, one never
    _check(world, ACCOUNT, ACCOUNT)  # the same value twice in one check: one hit per list
    assert sorted(WatchlistHit.objects.values_list("unit__code", "hits")) == sorted(
        [(world.unit_a.code, 1), (world.unit_b.code, 1)] * 2
    )
    today = _today()
    mine = centre_figures(world.officer_a, today, today).watchlist
    assert mine == WatchlistFigures(active=1, listed=2, delisted=1, expired=0, hits=2)
    theirs = centre_figures(world.officer_b, today, today).watchlist
    assert theirs == WatchlistFigures(active=1, listed=1, delisted=0, expired=0, hits=2)
    every = centre_figures(world.auditor, today, today).watchlist
    assert every == WatchlistFigures(active=2, listed=3, delisted=1, expired=0, hits=4)
    yesterday = today - timedelta(days=1)
    before = centre_figures(world.auditor, yesterday, yesterday).watchlist
    assert (before.active, before.listed, before.hits) == (2, 0, 0)  # the size is now's

    entry = WatchlistEntry.objects.get(unit=world.unit_a, status="active")
    WatchlistEntry.objects.filter(pk=entry.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert services.entries_expire() == 1
    assert centre_figures(world.officer_a, today, today).watchlist.expired == 1


def test_an_entry_off_the_list_loses_its_value_with_its_erased_case(world: Any) -> None:
    kept = listed(world)
    gone = listed(world, OTHER)
    services.entry_delist(actor=world.supervisor_a, entry_id=gone.pk, reason="cleared_by_investigation")
    cases.case_close(actor=world.officer_a, case_id=world.case_a.pk)
    Case.objects.filter(pk=world.case_a.pk).update(
        closed_at=timezone.now() - retention_period() - timedelta(days=1)
    )
    totals = retention_sweep()
    assert (totals["cases"], totals["watchlist_entry"]) == (1, 1)
    gone.refresh_from_db()
    kept.refresh_from_db()
    assert (gone.value, gone.value_index) == ("", None)
    assert kept.value == ACCOUNT and kept.value_index is not None  # still on the list: still found
    erased = AuditEvent.objects.get(action="watchlist_entry_erased")
    assert (erased.target_id, erased.actor_type, erased.details["status"]) == (
        str(gone.pk),
        "system",
        "delisted",
    )
    assert retention_sweep()["watchlist_entry"] == 0


def test_an_entry_a_younger_case_listed_too_keeps_its_value(world: Any) -> None:
    gone = listed(world, OTHER)
    younger = factories.case(world.officer_a, "A-YOUNG")
    listed(world, OTHER, case=younger)  # the same value from a newer case: one entry, two cases
    services.entry_delist(actor=world.supervisor_a, entry_id=gone.pk, reason="cleared_by_investigation")
    cases.case_close(actor=world.officer_a, case_id=world.case_a.pk)
    Case.objects.filter(pk=world.case_a.pk).update(
        closed_at=timezone.now() - retention_period() - timedelta(days=1)
    )
    assert retention_sweep()["watchlist_entry"] == 0  # the younger case still holds it
    gone.refresh_from_db()
    assert gone.value == OTHER
