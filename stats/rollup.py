"""Rolling up the centre's settled days, so that figures over a month read a few thousand
rows (`stats.models`), not every query.

A centre day is rolled up once it ended `SETTLED_AFTER` ago: by then its queries have
reached their deadlines and their answers (a stop-payment's bank may answer late, within
the hold). A rolled day of the last `RECHECK_DAYS` whose queries changed after its roll-up
(a late answer, an expiry swept late) is rolled up again, each run of the periodic task.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.locks import transaction_lock
from exchange.models import Query

from .models import DayFigures, RolledDay
from .tallies import tallies

CENTRE_TIME_ZONE = ZoneInfo("Asia/Shanghai")
SETTLED_AFTER = timedelta(days=2)
RECHECK_DAYS = 14
# A change's time is taken before its transaction commits: a roll-up that reads while such a
# transaction is open must still see it as later than itself, so it stamps itself this much
# earlier than it reads (longer than any transaction of the exchange lasts).
IN_FLIGHT = timedelta(minutes=10)


def day_instants(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """The first and one-past-last instants of the centre days from `first_day` to `last_day`."""
    start = datetime.combine(first_day, time.min, tzinfo=CENTRE_TIME_ZONE)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=CENTRE_TIME_ZONE)
    return start, end


def last_settled_day(now: datetime) -> date:
    """The latest centre day that ended at least `SETTLED_AFTER` before `now`."""
    return (now - SETTLED_AFTER).astimezone(CENTRE_TIME_ZONE).date() - timedelta(days=1)


def day_roll_up(day: date, *, now: datetime | None = None) -> RolledDay:
    """Count `day`'s queries into `DayFigures`, replacing an earlier roll-up of it, one run at a
    time per day. It is stamped `IN_FLIGHT` before it reads, so a change committed while it
    reads, or time-stamped before and committed after, is seen as a change after it."""
    now = now or timezone.now()
    start, end = day_instants(day, day)
    with transaction.atomic():
        transaction_lock("stats.roll_up", day.isoformat())  # one roll-up of a day at a time
        RolledDay.objects.filter(day=day).delete()
        rolled = RolledDay.objects.create(day=day, rolled_at=now - IN_FLIGHT)
        found = tallies(Query.objects.filter(created_at__gte=start, created_at__lt=end))
        DayFigures.objects.bulk_create(
            DayFigures(
                rolled=rolled,
                unit_id=unit_id,
                partner_id=partner_id,
                kind=kind,
                status=status,
                outcome=outcome,
                count=tally.count,
                sent=tally.sent,
                answer_buckets={str(index): count for index, count in sorted(tally.buckets.items())},
            )
            for (unit_id, partner_id, kind, status, outcome), tally in found.items()
        )
    return rolled


def days_roll_up(*, now: datetime | None = None) -> int:
    """Roll up every settled day not rolled up yet, from the first query's, and again each
    recent rolled day whose queries changed since; how many days were rolled up."""
    now = now or timezone.now()
    last = last_settled_day(now)
    first_query = Query.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if first_query is None:
        return 0
    rolled = dict(RolledDay.objects.filter(day__lte=last).values_list("day", "rolled_at"))
    due = []
    day = first_query.astimezone(CENTRE_TIME_ZONE).date()
    while day <= last:
        if day not in rolled or (day > last - timedelta(days=RECHECK_DAYS) and _changed(day, rolled[day])):
            due.append(day)
        day += timedelta(days=1)
    for day in due:
        day_roll_up(day, now=timezone.now())
    return len(due)


def _changed(day: date, since: datetime) -> bool:
    start, end = day_instants(day, day)
    moved = Q(answered_at__gte=since) | Q(closed_at__gte=since) | Q(dispatched_at__gte=since)
    return Query.objects.filter(moved, created_at__gte=start, created_at__lt=end).exists()
