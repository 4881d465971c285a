"""Each app owns its audit actions: registering one is all it takes to record it, find it and
filter on it, with no migration in `audit`; what nobody registered is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import models
from django.utils import timezone

from audit import vocabulary
from audit.anomalies import find_anomalies
from audit.models import AuditEvent
from audit.services import event_record
from audit.vocabulary import Trait
from core.actors import SystemActor

SYSTEM = SystemActor("tests")


class WatchlistAction(models.TextChoices):
    """The actions of an app that did not exist when the audit log's migrations were written."""

    NUMBER_WATCHED = "number_watched", "Number put on the watchlist"
    NUMBER_CHECKED = "number_checked", "Number checked against the watchlist"


@pytest.fixture
def registry(monkeypatch):
    """The registry as the apps left it, restored after the test: registering here leaks nowhere."""
    monkeypatch.setattr(vocabulary, "_registry", dict(vocabulary._registry))
    return vocabulary


@pytest.fixture
def watchlist(registry):
    registry.register("watchlist", WatchlistAction, {WatchlistAction.NUMBER_CHECKED: {Trait.SUBJECT_LOOKUP}})
    return WatchlistAction


@pytest.mark.django_db
def test_a_new_apps_action_is_recorded_with_no_migration_in_audit(watchlist):
    event = event_record(actor=SYSTEM, action=watchlist.NUMBER_WATCHED, target_type="watchlist.entry")
    assert AuditEvent.objects.get(pk=event.pk).action == "number_watched"
    assert ("number_watched", "Number put on the watchlist") in vocabulary.choices()
    call_command("makemigrations", "audit", check=True, dry_run=True, verbosity=0)  # SystemExit if not


@pytest.mark.django_db
def test_an_unregistered_action_is_refused(registry):
    with pytest.raises(ValueError, match="not registered"):
        event_record(actor=SYSTEM, action=WatchlistAction.NUMBER_WATCHED)
    assert not AuditEvent.objects.filter(action="number_watched").exists()


def test_one_value_registered_by_two_apps_fails(watchlist, registry):
    class Rival(models.TextChoices):
        NUMBER_WATCHED = "number_watched", "Number watched"

    with pytest.raises(ValueError, match="registered by watchlist already"):
        registry.register("rival", Rival)
    assert registry.spec("number_watched").app == "watchlist"


def test_traits_must_name_the_apps_own_actions(registry):
    with pytest.raises(ValueError, match="does not hold"):
        registry.register("watchlist", WatchlistAction, {"case_closed": {Trait.CASE_CLOSE}})


def test_an_app_registered_twice_the_same_way_is_accepted(watchlist, registry):
    """Django may run an app's `ready()` more than once (tests, `django.setup()` in a worker)."""
    registry.register("watchlist", WatchlistAction, {WatchlistAction.NUMBER_CHECKED: {Trait.SUBJECT_LOOKUP}})
    assert registry.with_trait(Trait.SUBJECT_LOOKUP) >= {"number_checked"}


@pytest.mark.django_db
def test_the_anomaly_reports_find_a_registered_action_by_its_trait(watchlist):
    now = timezone.now()
    checks = [
        event_record(
            actor=SYSTEM,
            action=watchlist.NUMBER_CHECKED,
            case_id=f"case-{n}",
            details={"subject_index": "idx-phone"},
        )
        for n in range(3)
    ]
    for n in range(3):  # the same subject in three cases, but the action has no trait: not a lookup
        event_record(
            actor=SYSTEM,
            action=watchlist.NUMBER_WATCHED,
            case_id=f"case-{n}",
            details={"subject_index": "idx-x"},
        )
    found = find_anomalies(
        events=AuditEvent.objects.all(), since=now - timedelta(minutes=1), until=now + timedelta(minutes=1)
    )
    assert [(f.kind, f.event_ids) for f in found] == [
        ("subject_across_cases", tuple(event.id for event in checks))
    ]
