"""A time window of the event search is cut to its id range first (`audit.selectors`): the
rows found must be exactly those the time filters alone find, even where an event's time
and its id disagree (a writer that took its time between the clock and the insert)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from audit.exporters import events_csv, events_jsonl
from audit.models import AuditEvent
from audit.selectors import EventFilters, event_list

START = datetime(2026, 11, 1, tzinfo=UTC)


def _event(minutes: int, action: str = "case_viewed") -> int:
    event = AuditEvent.objects.create(
        created_at=START + timedelta(minutes=minutes),
        actor_type="person",
        actor_id="person:officer-a",
        action=action,
    )
    return event.id


@pytest.mark.django_db
def test_a_window_finds_the_same_events_as_the_time_filters_alone(world):
    # Ids rise 0..5 while the times go 0, 30, 10, 20, 40, 50: the event at 30 came before two older ones.
    ids = [_event(minutes) for minutes in (0, 30, 10, 20, 40, 50)]
    since, until = START + timedelta(minutes=10), START + timedelta(minutes=40)

    found = list(event_list(actor=world.auditor, filters=EventFilters(since=since, until=until)))
    assert [event.id for event in found] == [ids[3], ids[2], ids[1]]  # newest id first, all three
    plain = AuditEvent.objects.filter(created_at__gte=since, created_at__lt=until).order_by("-id")
    assert [event.id for event in found] == [event.id for event in plain]

    upto = list(event_list(actor=world.auditor, filters=EventFilters(until=START + timedelta(minutes=15))))
    assert [event.id for event in upto if event.id in ids] == [ids[2], ids[0]]


@pytest.mark.django_db
def test_a_window_with_no_event_finds_nothing_and_others_see_nothing(world):
    _event(0)
    empty = EventFilters(since=START + timedelta(days=1), until=START + timedelta(days=2))
    assert list(event_list(actor=world.auditor, filters=empty)) == []
    window = EventFilters(since=START - timedelta(days=1), until=START + timedelta(days=1))
    assert len(event_list(actor=world.auditor, filters=window)) == 1
    assert list(event_list(actor=world.officer_a, filters=window)) == []  # officers read no event


@pytest.mark.django_db
def test_an_empty_window_exports_nothing_in_either_format(world):
    """A window before every event selects nothing: the export is empty (a header for CSV),
    not a 500 (the fuzzer found `until=2000-01-01` failing to compile the empty selection)."""
    _event(0)
    empty = event_list(actor=world.auditor, filters=EventFilters(until=START - timedelta(days=9000)))
    assert list(events_jsonl(empty)) == []
    assert len(list(events_csv(empty))) == 1
