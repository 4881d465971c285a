"""The watchlist's services: listing and extension, delisting, expiry, and the check."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.choices import Outcome
from audit.models import AuditEvent
from core.errors import Conflict, Forbidden, Invalid, NotFound
from privacy import blind_index
from privacy.choices import KeyPurpose
from privacy.keyring import keyring
from privacy.rotation import key_versions_add
from tests import factories
from tests.watchlist.service_matrix import ACCOUNT, PHONE, UNLISTED, bank_adapter, check, listed, met
from watchlist import selectors, services
from watchlist.audit_actions import WatchlistAction
from watchlist.choices import EntryStatus
from watchlist.models import WatchlistEntry, WatchlistListing, years_after
from watchlist.tasks import expire_entries


@pytest.fixture(autouse=True)
def fresh_keyring() -> Iterator[None]:
    """Keys added inside a test roll back with it; the keyring's cache must not outlive them."""
    keyring.reset()
    yield
    keyring.reset()


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_listing_keeps_the_value_encrypted_with_its_case_unit_and_five_years(world):
    before = timezone.now()
    entry = listed(world)
    entry.refresh_from_db()
    assert entry.value == ACCOUNT and entry.kind == "account" and entry.status == EntryStatus.ACTIVE
    assert entry.unit_id == world.unit_a.pk and entry.source_case_id == world.case_a.pk
    assert entry.listed_by_id == world.supervisor_a.pk
    assert entry.expires_at == years_after(entry.last_involved_at) and entry.last_involved_at >= before
    raw = WatchlistEntry.objects.filter(pk=entry.pk).values_list("value", flat=True).get()
    assert ACCOUNT.encode() not in raw.data
    (event,) = _events(WatchlistAction.ENTRY_LISTED)
    assert event.case_id == str(world.case_a.pk) and event.target_id == str(entry.pk)
    assert event.details["cases"] == 1 and ACCOUNT not in json.dumps(event.details)


def test_the_same_value_in_a_second_case_of_the_unit_extends_the_entry(world):
    first = listed(world, restriction="monitor")
    second_case = factories.case(world.officer_a, "A-0002")
    later = timezone.now() + timedelta(days=1)
    WatchlistEntry.objects.filter(pk=first.pk).update(
        last_involved_at=later - timedelta(days=400), expires_at=years_after(later - timedelta(days=400))
    )
    # Written differently (spaces), the same account once normalised.
    again = listed(world, "6222 0202 0011 2233 445", case=second_case, restriction="counter_only")
    assert again.pk == first.pk
    assert WatchlistEntry.objects.count() == 1
    again.refresh_from_db()
    assert again.restriction == "counter_only"  # the stricter of the two
    assert again.expires_at == years_after(again.last_involved_at)
    assert again.expires_at > years_after(later - timedelta(days=400))
    assert WatchlistListing.objects.filter(entry=again).count() == 2
    assert selectors.entry_get(actor=world.officer_a, entry_id=again.pk).cases == 2  # type: ignore[attr-defined]
    (event,) = _events(WatchlistAction.ENTRY_EXTENDED)
    assert event.details["cases"] == 2 and event.case_id == str(second_case.pk)
    # A looser restriction later never loosens it.
    listed(world, case=second_case, restriction="monitor")
    again.refresh_from_db()
    assert again.restriction == "counter_only" and again.listings.count() == 2


def test_another_unit_lists_the_same_value_in_an_entry_of_its_own(world):
    listed(world)
    supervisor_b = factories.person(world.unit_b, "supervisor")
    case_b = factories.case(world.officer_b, "B-0001")
    met(world, case=case_b)
    services.entry_list(
        actor=supervisor_b,
        case_id=case_b.pk,
        value=ACCOUNT,
        kind="account",
        reason="sold_card",
        restriction="block",
    )
    assert WatchlistEntry.objects.filter(status=EntryStatus.ACTIVE).count() == 2
    (result,) = services.watchlist_check(actor=bank_adapter(world), values=check([("account", ACCOUNT)]))
    assert result.listed and result.restriction == "block"  # the strictest of every unit's


def test_only_a_supervisor_of_the_cases_unit_lists(world):
    with pytest.raises(Forbidden):
        listed_by(world, world.officer_a)
    with pytest.raises(NotFound):
        listed_by(world, world.officer_b)
    assert not WatchlistEntry.objects.exists()
    denials = (
        AuditEvent.objects.filter(outcome=Outcome.DENIED).order_by("id").values_list("details", flat=True)
    )
    assert [d["status"] for d in denials] == [403, 404]


def listed_by(world, actor):
    return services.entry_list(
        actor=actor,
        case_id=world.case_a.pk,
        value=ACCOUNT,
        kind="account",
        reason="mule_account",
        restriction="counter_only",
    )


def test_delisting_takes_a_reason_code_and_is_audited(world):
    entry = listed(world)
    with pytest.raises(Invalid):
        services.entry_delist(actor=world.supervisor_a, entry_id=entry.pk, reason="he paid it back")
    done = services.entry_delist(
        actor=world.supervisor_a, entry_id=entry.pk, reason="cleared_by_investigation"
    )
    done.refresh_from_db()
    assert done.status == EntryStatus.DELISTED and done.delist_reason == "cleared_by_investigation"
    assert done.delisted_by_id == world.supervisor_a.pk and done.delisted_at is not None
    (event,) = _events(WatchlistAction.ENTRY_DELISTED)
    assert event.outcome == Outcome.ALLOWED and event.details["reason"] == "cleared_by_investigation"
    assert event.case_id == str(world.case_a.pk) and ACCOUNT not in json.dumps(event.details)
    with pytest.raises(Conflict):
        services.entry_delist(actor=world.supervisor_a, entry_id=entry.pk, reason="listed_in_error")
    assert _events(WatchlistAction.ENTRY_DELISTED)[-1].outcome == Outcome.DENIED
    (result,) = services.watchlist_check(actor=world.officer_b, values=check([("account", ACCOUNT)]))
    assert not result.listed
    # Listed again after a delisting: a new entry (the constraint holds for active ones only).
    assert listed(world).pk != entry.pk


def test_another_units_officer_neither_sees_nor_delists_the_entry(world):
    entry = listed(world)
    supervisor_b = factories.person(world.unit_b, "supervisor")
    for actor in (world.officer_b, supervisor_b):
        with pytest.raises(NotFound):
            selectors.entry_get(actor=actor, entry_id=entry.pk)
        with pytest.raises(NotFound):
            services.entry_delist(actor=actor, entry_id=entry.pk, reason="listed_in_error")
        assert list(selectors.entries_of_unit(actor=actor)) == []
    assert [e.pk for e in selectors.entries_of_unit(actor=world.auditor)] == [entry.pk]
    entry.refresh_from_db()
    assert entry.status == EntryStatus.ACTIVE


def test_adapters_neither_list_nor_delist(world):
    entry = listed(world)
    adapter = bank_adapter(world)
    with pytest.raises(Forbidden):
        listed_by(world, adapter)
    with pytest.raises(NotFound):
        services.entry_delist(actor=adapter, entry_id=entry.pk, reason="listed_in_error")
    with pytest.raises(NotFound):
        selectors.entry_get(actor=adapter, entry_id=entry.pk)


def test_entries_expire_by_themselves_five_years_after_the_last_involvement(world):
    entry = listed(world)
    kept = listed(world, PHONE, kind="phone", reason="fraud_number", restriction="block")
    WatchlistEntry.objects.filter(pk=kept.pk).update(expires_at=years_after(timezone.now(), 6))
    assert services.entries_expire(now=timezone.now() + timedelta(days=4 * 365)) == 0
    in_five_years = years_after(entry.last_involved_at) + timedelta(seconds=1)
    assert services.entries_expire(now=in_five_years) == 1
    assert services.entries_expire(now=in_five_years) == 0  # once
    entry.refresh_from_db()
    kept.refresh_from_db()
    assert entry.status == EntryStatus.EXPIRED and kept.status == EntryStatus.ACTIVE
    (event,) = _events(WatchlistAction.ENTRY_EXPIRED)
    assert event.actor_type == "system" and event.actor_id == "system:watchlist"
    assert event.target_id == str(entry.pk) and event.case_id == str(world.case_a.pk)


def test_an_entry_past_its_expiry_is_not_a_hit_even_before_the_sweep(world):
    entry = listed(world)
    WatchlistEntry.objects.filter(pk=entry.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    (result,) = services.watchlist_check(actor=world.officer_a, values=check([("account", ACCOUNT)]))
    assert not result.listed


def test_a_check_answers_hits_and_misses_and_nothing_more(world):
    listed(world)
    listed(world, PHONE, kind="phone", reason="fraud_number", restriction="block")
    results = services.watchlist_check(
        actor=bank_adapter(world),
        values=check(
            [("account", UNLISTED), ("account", ACCOUNT), ("phone", "+86 139 1234 5678"), ("phone", ACCOUNT)]
        ),
    )
    assert [(r.index, r.listed, r.restriction) for r in results] == [
        (0, False, None),
        (1, True, "counter_only"),
        (2, True, "block"),  # the same number with its country code
        (3, False, None),  # the account's digits as a phone number: another kind, no link
    ]


def test_a_check_finds_entries_under_both_index_key_versions_during_a_rotation(world):
    old_entry = listed(world)
    old_version = blind_index.version_of(WatchlistEntry.objects.get(pk=old_entry.pk).value_index)
    key_versions_add(purposes=KeyPurpose.values)
    new_entry = listed(world, PHONE, kind="phone", reason="fraud_number", restriction="block")
    new_version = blind_index.version_of(WatchlistEntry.objects.get(pk=new_entry.pk).value_index)
    assert new_version == old_version + 1
    results = services.watchlist_check(
        actor=world.officer_a, values=check([("account", ACCOUNT), ("phone", PHONE), ("account", UNLISTED)])
    )
    assert [(r.listed, r.restriction) for r in results] == [
        (True, "counter_only"),
        (True, "block"),
        (False, None),
    ]
    # Listing the old-version value again extends its entry instead of adding one.
    second_case = factories.case(world.officer_a, "A-0002")
    assert listed(world, case=second_case).pk == old_entry.pk
    assert WatchlistEntry.objects.filter(status=EntryStatus.ACTIVE).count() == 2


def test_a_batch_of_1000_values_is_one_lookup_query(world):
    for number in range(20):
        listed(world, f"6222020200{number:09d}")
    few = check([("account", f"6222020200{n:09d}") for n in range(10)])
    many = check(
        [("account", f"6222020200{n:09d}") for n in range(990)]
        + [("phone", f"1391234{n:04d}") for n in range(10)]
    )
    services.watchlist_check(actor=world.officer_a, values=few)  # warm the keyring
    counts, lookups = [], []
    for batch in (few, many):
        with CaptureQueriesContext(connection) as captured:
            results = services.watchlist_check(actor=world.officer_a, values=batch)
        counts.append(len(captured))
        lookups.append([q for q in captured if "watchlist_watchlistentry" in q["sql"]])
        assert sum(r.listed for r in results) == (20 if batch is many else 10)
    assert counts[0] == counts[1]
    assert [len(found) for found in lookups] == [1, 1]
    assert " IN (" in lookups[1][0]["sql"]


def test_the_audit_event_of_a_check_holds_counts_and_a_keyed_digest_never_a_value(world):
    listed(world)
    values = check([("account", ACCOUNT), ("phone", PHONE), ("account", UNLISTED)])
    services.watchlist_check(actor=bank_adapter(world), values=values)
    (event,) = _events(WatchlistAction.CHECKED)
    recorded = json.dumps([event.details, event.target_id, event.case_id])
    for value in (ACCOUNT, PHONE, UNLISTED):
        assert value not in recorded
    assert event.details["count"] == 3 and event.details["listed"] == 1
    assert event.actor_type == "adapter" and event.case_id == ""
    # Not a plain SHA-256 of the values, which anyone could recompute by trying numbers.
    plain = "\n".join(sorted(f"{v.kind}\0{blind_index.normalise(v.kind, v.value)}" for v in values))
    assert event.details["values_digest"] != hashlib.sha256(plain.encode()).hexdigest()
    # The same batch in another order has the same digest.
    services.watchlist_check(actor=world.officer_a, values=list(reversed(values)))
    assert _events(WatchlistAction.CHECKED)[-1].details["values_digest"] == event.details["values_digest"]


def test_a_check_refuses_bad_values_without_quoting_them(world):
    with pytest.raises(Invalid) as refused:
        services.watchlist_check(
            actor=world.officer_a, values=check([("account", ACCOUNT), ("account", "x")])
        )
    assert set(refused.value.fields["values"]) == {"1"} and "x" not in json.dumps(refused.value.fields)
    with pytest.raises(Invalid):
        services.watchlist_check(actor=world.officer_a, values=[])
    telecom = factories.answering_partner("telecom-z", kind="telecom", answers=())
    with pytest.raises(Forbidden):
        services.watchlist_check(actor=bank_adapter(world, telecom), values=check([("phone", PHONE)]))
    assert not _events(WatchlistAction.CHECKED)


def test_the_database_holds_one_active_entry_per_value_and_unit(world):
    entry = listed(world)
    duplicate = WatchlistEntry(
        kind="account",
        value=ACCOUNT,
        reason="sold_card",
        restriction="block",
        unit=world.unit_a,
        source_case=world.case_a,
        listed_by=world.supervisor_a,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()
    WatchlistEntry.objects.filter(pk=entry.pk).update(status=EntryStatus.EXPIRED)
    duplicate.save()  # an ended entry does not count
    assert duplicate.expires_at == years_after(duplicate.last_involved_at)


def test_the_periodic_task_expires_entries(world):
    entry = listed(world)
    WatchlistEntry.objects.filter(pk=entry.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert expire_entries.run() == 1
    assert WatchlistEntry.objects.get(pk=entry.pk).status == EntryStatus.EXPIRED
