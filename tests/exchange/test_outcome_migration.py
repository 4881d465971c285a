"""Answers stored before `Query.outcome` existed get it from their encrypted answer when the
migration runs, so the figures count them; answers without one stay empty."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps as live_apps

from exchange.models import Query
from tests import factories

fill = importlib.import_module("exchange.migrations.0007_fill_query_outcome")


def test_old_answers_get_their_outcome_from_the_answer(world: Any) -> None:
    block = factories.query(world.officer_a, world.case_a, world.platform_x)
    Query.objects.filter(pk=block.pk).update(kind="number_block", status="answered")
    stored = Query.objects.get(pk=block.pk)
    stored.set_answer_document({"phone_number": "13812345678", "outcome": "already_blocked", "until": None})
    stored.save()
    lookup = world.query_a
    Query.objects.filter(pk=lookup.pk).update(status="answered")
    assert Query.objects.get(pk=block.pk).outcome == ""
    fill.fill_outcomes(live_apps, None)
    assert Query.objects.get(pk=block.pk).outcome == "already_blocked"
    assert Query.objects.get(pk=lookup.pk).outcome == ""  # a lookup's answer has no outcome
