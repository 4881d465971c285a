"""The watchlist's writes and its check: listing, delisting, expiry, checking values against
it, and sending a case's listed phone numbers to a telecom to block.

Listing and delisting are a supervisor's acts on their own unit's entries, with a reason
code, audited in the act's transaction; a value is listed only from a case that met it. A
value already on the unit's list is not listed twice: the new case extends the entry (its
last involvement, its expiry five years on, the stricter restriction) and is counted among
its listings. Entries past their expiry leave the list by themselves (`entries_expire`, a
periodic task). A check answers, value by value, only whether it is listed and the
strictest restriction asked: never which case or unit. The phone entries a case listed go
to a telecom in one step (`entries_block`), each a `number_block` query of the case.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast
from uuid import UUID

from django.db import models, transaction
from django.utils import timezone

from audit.choices import Outcome
from audit.services import event_record
from core.actors import Actor, SystemActor
from core.errors import Conflict, DomainError, Invalid
from core.locks import transaction_lock
from exchange.access import access_case_by_id
from exchange.case_values import case_met_value
from exchange.choices import QueryStatus
from exchange.kinds.number_block import SPEC as NUMBER_BLOCK
from exchange.kinds.number_block.schemas import (
    PERIOD_DEFAULT_DAYS,
    PERIOD_MAX_DAYS,
    PERIOD_MIN_DAYS,
    PHONE_MAX_DIGITS,
    PHONE_MAX_LENGTH,
    PHONE_MIN_DIGITS,
    PHONE_PATTERN,
    BlockReason,
)
from exchange.models import Case, Query
from exchange.services.queries import MAX_BATCH, Submission, case_submitter
from partners.models import Person
from privacy import blind_index
from privacy.choices import KeyPurpose
from privacy.keyring import keyring
from privacy.selectors import blind_index_filter

from .access import access_entry_by_id, checker_only, police_only, supervisor_only
from .audit_actions import WatchlistAction
from .choices import DelistReason, EntryKind, EntryStatus, ListingReason, Restriction, strictest
from .models import WatchlistEntry, WatchlistHit, WatchlistListing, years_after
from .querysets import CHANGE

MAX_VALUE_LENGTH = 64
MAX_CHECK_VALUES = 1000
EXPIRY_BATCH = 500
# Entries leave the list on the gateway's own authority, by the clock.
SYSTEM = SystemActor("watchlist")


class NotActive(Conflict):
    code = "not_active"


class NotMetInCase(Invalid):
    """The value is not one the case met: no answer of the case named it, no trace of the
    case reached it, no query of the case asked about it."""

    code = "not_in_case"


def _code(value: str, choices: type[models.TextChoices], field: str) -> None:
    """Refuse a value that is not one of `choices`, without quoting it."""
    if value not in choices.values:
        raise Invalid(f"Unknown {field}.", fields={field: [f"One of {', '.join(choices.values)}."]})


def _value_problem(kind: str, value: object) -> str | None:
    """Why `value` cannot be a value of `kind` (said without quoting it), or None."""
    if kind not in EntryKind.values:
        return f"A kind is one of {', '.join(EntryKind.values)}."
    if not isinstance(value, str) or len(value) > MAX_VALUE_LENGTH:
        return f"A value is text of at most {MAX_VALUE_LENGTH} characters."
    if not blind_index.normalise(kind, value):
        return "A value must contain digits."
    return None


def _lock_value(unit_id: int, kind: str, value: str) -> None:
    """Serialize listings of one value by one unit until the transaction ends.

    A PostgreSQL advisory lock keyed by the unit and the value's blind index (keyed, so the
    lock key reveals nothing); the partial unique constraint stays the last word. SQLite's
    IMMEDIATE transactions serialize writers anyway.
    """
    key = keyring.current(KeyPurpose.INDEX)
    transaction_lock("watchlist", unit_id, blind_index.digest(key.secret, key.version, kind, value) or b"")


def _active_entry_locked(unit_id: int, kind: str, value: str) -> WatchlistEntry | None:
    """The unit's active entry of this value, under any active index key version, locked."""
    return (
        WatchlistEntry.objects.select_for_update()
        .filter(unit_id=unit_id, kind=kind, status=EntryStatus.ACTIVE)
        .filter(blind_index_filter(WatchlistEntry, "value", value, kind=kind))
        .first()
    )


def _entry_details(entry: WatchlistEntry, **extra: object) -> dict[str, object]:
    return {
        "entry": str(entry.pk),
        "kind": entry.kind,
        "reason": entry.reason,
        "restriction": entry.restriction,
        "expires_at": entry.expires_at.isoformat(),
        **extra,
    }


def entry_list(
    *, actor: Actor, case_id: UUID | str, value: str, kind: str, reason: str, restriction: str
) -> WatchlistEntry:
    """List `value` (an account or a phone number of case `case_id`) for the case's unit.

    Only a supervisor of the case's unit lists (another unit's case is `NotFound`, anyone
    else `Forbidden`, both audited), and only a value the case met (`case_met_value`: named in
    its answers, reached by its traces, asked by its queries), so no number goes on the list
    under a case that never saw it: any other is refused (`not_in_case`), audited, never
    quoted. A value the unit already lists is not listed again: the entry is extended by this
    case (last involvement now, expiry five years on, the stricter of the two restrictions)
    and the case counted among its listings.
    """
    _code(kind, EntryKind, "kind")
    _code(reason, ListingReason, "reason")
    _code(restriction, Restriction, "restriction")
    problem = _value_problem(kind, value)
    if problem:
        raise Invalid("The value is not valid.", fields={"value": [problem]})
    police_only(actor, "Only a supervisor of the case's unit lists a value.")
    case = access_case_by_id(actor, case_id, CHANGE)
    supervisor_only(actor, "Only a supervisor lists a value.", target=case, case_id=str(case.pk))
    person = cast(Person, actor)
    if not case_met_value(case_id=case.pk, kind=kind, value=value):
        _refuse_unmet(person, case, kind)
    now = timezone.now()
    with transaction.atomic():
        _lock_value(case.unit_id, kind, value)
        entry = _active_entry_locked(case.unit_id, kind, value)
        if entry is None:
            entry = _entry_create(person, case, value, kind, reason, restriction, now)
        else:
            _entry_extend(person, entry, case, restriction, now)
    return entry


def _refuse_unmet(person: Person, case: Case, kind: str) -> None:
    """Refuse a listing of a value the case did not meet, recorded as a denied listing of the
    case (the kind, never the value), in a transaction of its own that the refusal outlives."""
    refusal = NotMetInCase(
        "The case has not met this value.",
        fields={"value": ["Not an account or phone number the case's answers, traces or queries named."]},
    )
    with transaction.atomic():
        event_record(
            actor=person,
            action=WatchlistAction.ENTRY_LISTED,
            outcome=Outcome.DENIED,
            target=case,
            case_id=str(case.pk),
            details={"kind": kind, "status": 400, "code": refusal.code},
        )
    refusal.audited = True
    raise refusal


def _entry_create(
    person: Person, case: Case, value: str, kind: str, reason: str, restriction: str, now: datetime
) -> WatchlistEntry:
    entry = WatchlistEntry.objects.create(
        kind=kind,
        value=value,
        reason=reason,
        restriction=restriction,
        unit_id=case.unit_id,
        source_case=case,
        listed_by=person,
        listed_at=now,
        last_involved_at=now,
        expires_at=years_after(now),
    )
    WatchlistListing.objects.create(entry=entry, case=case, listed_by=person, listed_at=now)
    event_record(
        actor=person,
        action=WatchlistAction.ENTRY_LISTED,
        target=entry,
        case_id=str(case.pk),
        details=_entry_details(entry, cases=1),
    )
    return entry


def _entry_extend(person: Person, entry: WatchlistEntry, case: Case, restriction: str, now: datetime) -> None:
    entry.last_involved_at = now
    entry.expires_at = max(entry.expires_at, years_after(now))
    entry.restriction = strictest(entry.restriction, restriction)
    entry.save(update_fields=["last_involved_at", "expires_at", "restriction"])
    _, added = WatchlistListing.objects.get_or_create(
        entry=entry, case=case, defaults={"listed_by": person, "listed_at": now}
    )
    event_record(
        actor=person,
        action=WatchlistAction.ENTRY_EXTENDED,
        target=entry,
        case_id=str(case.pk),
        details=_entry_details(entry, cases=entry.listings.count(), new_case=added),
    )


def entry_delist(*, actor: Actor, entry_id: UUID | str, reason: str) -> WatchlistEntry:
    """Take an active entry off the list, for a reason code: a supervisor of its unit only
    (`NotFound` for other units and non-police, `Forbidden` for its officers, audited); an
    entry already delisted or expired is a conflict (`not_active`), recorded."""
    _code(reason, DelistReason, "reason")
    reached = access_entry_by_id(actor, entry_id, CHANGE)
    case_id = str(reached.source_case_id)
    supervisor_only(actor, "Only a supervisor takes a value off the list.", target=reached, case_id=case_id)
    person = cast(Person, actor)
    refusal: NotActive | None = None
    with transaction.atomic():
        entry = WatchlistEntry.objects.select_for_update().get(pk=reached.pk)
        if entry.status != EntryStatus.ACTIVE:
            refusal = NotActive("The entry is no longer on the list.")
            event_record(
                actor=person,
                action=WatchlistAction.ENTRY_DELISTED,
                outcome=Outcome.DENIED,
                target=entry,
                case_id=case_id,
                details={"entry": str(entry.pk), "status": entry.status, "code": refusal.code},
            )
            refusal.audited = True
        else:
            entry.status, entry.delisted_at = EntryStatus.DELISTED, timezone.now()
            entry.delisted_by, entry.delist_reason = person, reason
            entry.save(update_fields=["status", "delisted_at", "delisted_by", "delist_reason"])
            event_record(
                actor=person,
                action=WatchlistAction.ENTRY_DELISTED,
                target=entry,
                case_id=case_id,
                details={"entry": str(entry.pk), "kind": entry.kind, "reason": reason},
            )
    if refusal is not None:
        raise refusal
    return entry


def entries_expire(*, now: datetime | None = None) -> int:
    """End every active entry whose expiry has passed (as of `now`), one audit event each, by
    the system; how many. Batched over the (status, expires_at) index, each entry re-read
    locked, so a sweep run twice, or two at once, ends each entry once."""
    now = now or timezone.now()
    due = WatchlistEntry.objects.filter(status=EntryStatus.ACTIVE, expires_at__lte=now)
    expired, seen = 0, set()
    while True:
        batch = [pk for pk in due.order_by("expires_at").values_list("pk", flat=True)[:EXPIRY_BATCH]]
        batch = [pk for pk in batch if pk not in seen]
        if not batch:
            return expired
        seen.update(batch)
        for pk in batch:
            with transaction.atomic():
                entry = due.select_for_update().filter(pk=pk).first()
                if entry is None:
                    continue
                entry.status = EntryStatus.EXPIRED
                entry.save(update_fields=["status"])
                event_record(
                    actor=SYSTEM,
                    action=WatchlistAction.ENTRY_EXPIRED,
                    target=entry,
                    case_id=str(entry.source_case_id),
                    details={
                        "entry": str(entry.pk),
                        "kind": entry.kind,
                        "expires_at": entry.expires_at.isoformat(),
                    },
                )
                expired += 1


@dataclass(frozen=True)
class CheckValue:
    """One value to check: an account or a phone number."""

    kind: str
    value: str


@dataclass(frozen=True)
class CheckResult:
    """The answer for the value at `index`: listed or not, and the strictest restriction asked."""

    index: int
    listed: bool
    restriction: str | None


def watchlist_check(*, actor: Actor, values: Sequence[CheckValue]) -> list[CheckResult]:
    """Which of `values` (1 to 1,000) are listed by any unit, and the strictest restriction.

    Police and the adapters of banks and payment platforms check (anyone else `Forbidden`,
    audited). One indexed `IN` query over the values' blind indexes under every active index
    key version (a rotation in progress finds entries of either version); nothing is
    decrypted, and nothing says which case or unit listed a value. The check is one audit
    event: the count, the hits, and a keyed digest of the sorted normalised values (never a
    value: an unkeyed digest of one phone number could be reversed by trying them all).
    """
    checker_only(actor)
    if not 1 <= len(values) <= MAX_CHECK_VALUES:
        raise Invalid(
            "Too few or too many values.", fields={"values": [f"From 1 to {MAX_CHECK_VALUES} values."]}
        )
    problems = {
        str(index): [problem]
        for index, item in enumerate(values)
        if (problem := _value_problem(item.kind, item.value))
    }
    if problems:
        raise Invalid("Some values are not valid.", fields={"values": problems})
    keys = [(key.version, key.secret) for key in keyring.active(KeyPurpose.INDEX)]
    wanted: dict[bytes, list[int]] = {}
    for index, item in enumerate(values):
        for digest in blind_index.digests(keys, item.kind, item.value):
            wanted.setdefault(digest, []).append(index)
    now = timezone.now()
    found: dict[int, str] = {}
    by_unit: Counter[int] = Counter()  # entries hit, per unit: a value checked twice counts once
    rows = (
        WatchlistEntry.objects.filter(
            value_index__in=list(wanted), status=EntryStatus.ACTIVE, expires_at__gt=now
        )
        .order_by()
        .values_list("value_index", "restriction", "unit_id")
    )
    for value_index, restriction, unit_id in rows:
        for index in wanted.get(bytes(value_index), []):
            found[index] = strictest(found[index], restriction) if index in found else restriction
        by_unit[unit_id] += 1
    with transaction.atomic():
        event_record(actor=actor, action=WatchlistAction.CHECKED, details=_check_details(values, len(found)))
        WatchlistHit.objects.bulk_create(
            WatchlistHit(unit_id=unit_id, checked_at=now, hits=hits) for unit_id, hits in by_unit.items()
        )
    return [CheckResult(index, index in found, found.get(index)) for index in range(len(values))]


def _check_details(values: Sequence[CheckValue], listed: int) -> dict[str, object]:
    """What the audit log keeps of a check: counts and a keyed digest of the batch."""
    key = keyring.current(KeyPurpose.INDEX)
    normalised = sorted(f"{item.kind}\0{blind_index.normalise(item.kind, item.value)}" for item in values)
    message = b"watchlist-check\0" + "\n".join(normalised).encode()
    return {
        "count": len(values),
        "listed": listed,
        "values_digest": hmac.new(key.secret, message, hashlib.sha256).hexdigest(),
        "digest_key_version": key.version,
    }


@dataclass(frozen=True)
class BlockSent:
    """A phone entry sent to a telecom: the entry and the `number_block` query made of it."""

    entry: WatchlistEntry
    query: Query


@dataclass(frozen=True)
class BlocksSent:
    """What one `entries_block` sent: a query per phone entry, and how many entries were left
    out because no operator could block them (more digits than a phone number holds)."""

    case: Case
    sent: list[BlockSent]
    skipped: int


def _phone_entries_of_case(case: Case) -> list[WatchlistEntry]:
    """The unit's active phone entries the case listed (first or as an extension), oldest
    listing first; an entry past its expiry is off the list even before the sweep."""
    return list(
        WatchlistEntry.objects.filter(
            unit_id=case.unit_id,
            kind=EntryKind.PHONE,
            status=EntryStatus.ACTIVE,
            expires_at__gt=timezone.now(),
            listings__case=case,
        ).order_by("listed_at", "pk")
    )


def _blockable(entry: WatchlistEntry) -> str | None:
    """The entry's number as a number block takes it: as listed when the kind's input takes
    it so (a `+` and the country code kept for the operator), else its digits (the form its
    blind index reads: `(139) 1234-5678` is 13912345678); None if no number has so many."""
    listed = entry.value.strip()
    digits = blind_index.normalise(EntryKind.PHONE, listed)
    if not PHONE_MIN_DIGITS <= len(digits) <= PHONE_MAX_DIGITS:
        return None
    as_listed = len(listed) <= PHONE_MAX_LENGTH and re.fullmatch(PHONE_PATTERN, listed)
    return listed if as_listed else digits


def entries_block(
    *, actor: Actor, case_id: UUID | str, telecom: str, reason: str, period_days: int = PERIOD_DEFAULT_DAYS
) -> BlocksSent:
    """Send every active phone entry the case listed to the telecom `telecom` (a partner code)
    as a `number_block` query of the case, for `period_days`, for a reason code: one step
    instead of a query per number.

    The entries of the case, not of the unit: a block is a query of one case, under that
    case's legal basis, and an entry listed only by another of the unit's cases is that
    case's to send. Police of the case's unit send (another unit's case is `NotFound`,
    anyone else `Forbidden`, audited); each query goes through the submission path of every
    query (`case_submitter`): the grant, the case, the partner, each query's own audit event
    and outbox row. A refusal that holds for every query (no grant, a closed case, a
    suspended telecom) stops the act at the first: that query is kept refused, as a refused
    query is, and the refusal raised. The act is one audit event of the case, with the count.
    """
    _code(reason, BlockReason, "reason")
    if not PERIOD_MIN_DAYS <= period_days <= PERIOD_MAX_DAYS:
        raise Invalid(
            "The period is out of range.", fields={"days": [f"From {PERIOD_MIN_DAYS} to {PERIOD_MAX_DAYS}."]}
        )
    police_only(actor, "Only police of the case's unit send numbers to be blocked.")
    submitter = case_submitter(actor=actor, case_id=case_id)
    case = submitter.case
    entries = _phone_entries_of_case(case)
    if len(entries) > MAX_BATCH:
        raise Invalid(
            "Too many numbers for one step.", fields={"case": [f"At most {MAX_BATCH} phone entries at once."]}
        )
    numbers = [(entry, number) for entry in entries if (number := _blockable(entry)) is not None]
    if not numbers:  # nothing to send: no grant, telecom or open case is even asked
        raise Invalid(
            "Nothing to block.", fields={"case": ["The case lists no phone number that can be sent."]}
        )
    skipped = len(entries) - len(numbers)
    refusal: DomainError | None = None
    with transaction.atomic():
        sent: list[BlockSent] = []
        for entry, number in numbers:
            given = {"phone_number": number, "reason": reason, "period_days": period_days}
            query, refused = submitter.submit(
                Submission(case_id=case.pk, kind=NUMBER_BLOCK.name, partner=telecom, input=given)
            )
            if refused is not None and not sent:
                refusal = refused  # no grant, a closed case, a suspended telecom: so for all
                break
            sent.append(BlockSent(entry=entry, query=query))
        if refusal is None:
            _blocks_record(actor, case, sent, skipped=skipped, reason=reason, days=period_days)
    if refusal is not None:
        raise refusal
    return BlocksSent(case=case, sent=sent, skipped=skipped)


def _blocks_record(
    actor: Actor, case: Case, sent: list[BlockSent], *, skipped: int, reason: str, days: int
) -> None:
    """The act as one event of the case: counts and codes (each query has its own event)."""
    event_record(
        actor=actor,
        action=WatchlistAction.BLOCKS_SENT,
        target=case,
        case_id=str(case.pk),
        details={
            # The partner as the submission path found it: a code typed by the caller is
            # recorded only once it named a partner.
            "telecom": sent[0].query.partner.code if sent else "",
            "count": len(sent),
            "refused": sum(1 for item in sent if item.query.status == QueryStatus.REFUSED),
            "skipped": skipped,
            "reason": reason,
            "period_days": days,
        },
    )
