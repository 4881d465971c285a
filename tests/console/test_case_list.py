"""The cases list: 50 a page, newest first, searched by case number by GET (the number is
the unit's own reference, no personal data); titles are encrypted and never searched."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.utils import timezone

from console.views.cases import CASES_SHOWN
from exchange.models import Case
from tests import factories
from tests.console.test_dashboard import english


def numbers(page: str) -> list[str]:
    return re.findall(r'data-testid="case-link">([^<]+)</a>', page)


def many_cases(world: Any, count: int) -> None:
    """`count` more cases of unit A, opened a minute apart (K-0000 the oldest)."""
    start = timezone.now() - timedelta(days=1)
    for index in range(count):
        case = factories.case(world.officer_a, f"K-{index:04d}")
        Case.objects.filter(pk=case.pk).update(opened_at=start + timedelta(minutes=index))


def test_the_list_pages_fifty_at_a_time_newest_first(world):
    many_cases(world, 55)
    client = english(world.officer_a)
    first = client.get("/console/cases/").content.decode()
    assert len(numbers(first)) == CASES_SHOWN == 50
    assert numbers(first)[:2] == [world.case_a.number, "K-0054"]
    assert "56 cases" in first and "page 1 of 2" in first
    assert 'href="?page=2"' in first and 'data-testid="page-previous"' not in first
    second = client.get("/console/cases/", {"page": "2"}).content.decode()
    assert numbers(second) == ["K-0005", "K-0004", "K-0003", "K-0002", "K-0001", "K-0000"]
    assert 'href="?page=1"' in second and 'data-testid="page-next"' not in second
    # A page past the end or not a number is the nearest real page, as Django's get_page does.
    assert numbers(client.get("/console/cases/", {"page": "99"}).content.decode()) == numbers(second)
    assert numbers(client.get("/console/cases/", {"page": "x"}).content.decode()) == numbers(first)


def test_the_search_by_number_keeps_the_pages_and_the_units_scope(world):
    many_cases(world, 55)
    factories.case(world.officer_b, "K-0001-B")
    client = english(world.officer_a)
    page = client.get("/console/cases/", {"number": "k-000"}).content.decode()
    assert numbers(page) == [f"K-000{n}" for n in range(9, -1, -1)]
    assert "10 cases" in page and "K-0001-B" not in page
    assert 'value="k-000"' in page
    wide = client.get("/console/cases/", {"number": "K-"}).content.decode()
    assert "55 cases" in wide and 'href="?number=K-&amp;page=2"' in wide
    assert numbers(client.get("/console/cases/", {"number": "K-", "page": "2"}).content.decode()) == [
        f"K-000{n}" for n in range(4, -1, -1)
    ]


def test_titles_are_not_searched_and_nothing_matches_says_so(world):
    page = english(world.officer_a).get("/console/cases/", {"number": "Refund"}).content.decode()
    assert numbers(page) == [] and "No case number matches." in page


def test_an_auditor_searches_every_units_cases(world):
    factories.case(world.officer_b, "B-0042")
    page = english(world.auditor).get("/console/cases/", {"number": "0042"}).content.decode()
    assert numbers(page) == ["B-0042"] and 'data-testid="case-open-form"' not in page
