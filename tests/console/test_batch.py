"""The batch upload: a CSV of order numbers through `query_submit_batch`, a result row by row,
the refused row's value never sent back."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from exchange.models import Query
from exchange.services.queries import MAX_BATCH


def upload(client: Client, world, content: bytes, **headers):
    data = {"partner": world.platform_x.code, "file": SimpleUploadedFile("orders.csv", content, "text/csv")}
    return client.post(f"/console/cases/{world.case_a.pk}/batch/", data, **headers)


def officer(world) -> Client:
    client = Client()
    client.force_login(world.officer_a)
    return client


def test_each_row_is_accepted_or_refused_on_its_own(world):
    before = Query.objects.count()
    response = upload(
        officer(world),
        world,
        b"order_number\nPX0000000101\nbad value!\nPX0000000103\n",
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-accepted="true"') == 2 and page.count('data-accepted="false"') == 1
    assert 'data-code="invalid"' in page
    assert "bad value!" not in page and "PX0000000101" not in page
    assert Query.objects.count() == before + 2
    # The accepted rows poll themselves, like a single lookup's.
    assert page.count('hx-trigger="every 1s"') == 2


def test_without_htmx_the_case_page_shows_the_results(world):
    response = upload(officer(world), world, b"PX0000000201\n")
    assert response.status_code == 200 and 'data-testid="batch-results"' in response.content.decode()


def test_more_rows_than_the_apis_limit_are_refused_whole(world):
    content = "".join(f"PX{n:010d}\n" for n in range(MAX_BATCH + 1)).encode()
    before = Query.objects.count()
    response = upload(officer(world), world, content)
    assert response.status_code == 400 and 'data-testid="batch-errors"' in response.content.decode()
    assert Query.objects.count() == before


def test_an_empty_file_is_refused(world):
    response = upload(officer(world), world, b"order_number\n\n", HTTP_HX_REQUEST="true")
    assert 'data-testid="batch-errors"' in response.content.decode()


def test_another_units_case_is_404(world):
    client = Client()
    client.force_login(world.officer_b)
    assert upload(client, world, b"PX0000000301\n").status_code == 404
