"""The police's pages: Chinese first, English on request; masked values only; a lookup sent
through the exchange's service, its row polling until the answer; strict headers."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from audit.models import AuditEvent
from exchange.audit_actions import ExchangeAction
from exchange.models import Query
from tests.console.conftest import answer

LOCALE = Path(settings.BASE_DIR) / "locale"


@pytest.fixture
def officer_client(world) -> Client:
    client = Client()
    client.force_login(world.officer_a)
    return client


def test_pages_are_chinese_by_default_whatever_the_browser_asks(officer_client):
    response = officer_client.get("/console/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = response.content.decode()
    assert response.headers["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in page and "工作台" in page


def test_the_language_switch_turns_the_console_english(officer_client):
    switched = officer_client.post("/console/language/", {"language": "en", "next": "/console/"})
    assert switched.status_code == 302 and switched.headers["Location"] == "/console/"
    page = officer_client.get("/console/").content.decode()
    assert '<html lang="en">' in page and "Dashboard" in page and "工作台" not in page


def test_the_api_keeps_its_english_messages_under_a_chinese_console(officer_client):
    officer_client.post("/console/language/", {"language": "zh-hans"})
    response = officer_client.post("/api/v1/cases/", {}, content_type="application/json")
    assert "此" not in response.content.decode() and response.status_code in (400, 401, 403)


def test_headers_are_strict(officer_client, world):
    response = officer_client.get(f"/console/cases/{world.case_a.pk}/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "no-store" in response.headers["Cache-Control"]


def test_templates_hold_no_inline_script_or_style() -> None:
    for template in (Path(settings.BASE_DIR) / "console" / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert "<style" not in text and " style=" not in text and " on" + "click" not in text, template


def test_dashboard_counts_the_units_work(officer_client, world):
    page = officer_client.get("/console/").content.decode()
    assert re.search(r'data-testid="open-cases">1<', page)
    assert re.search(r'data-testid="queries-waiting">1<', page)


def test_case_page_shows_queries_masked_and_records_the_reading(officer_client, world):
    answer(world, world.query_a)
    page = officer_client.get(f"/console/cases/{world.case_a.pk}/").content.decode()
    assert "6222 **** **** 3445" in page and "李*" in page and "¥5,200.00" in page
    assert "0011 2233" not in page and "李四" not in page and "PX0000000001" not in page
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title is not None and world.case_a.number in title.group(1)
    assert AuditEvent.objects.filter(action=ExchangeAction.CASE_VIEWED, case_id=str(world.case_a.pk)).exists()
    assert 'data-testid="timeline"' in page and "收到答复" in page


def test_another_units_case_is_not_found(world):
    client = Client()
    client.force_login(world.officer_b)
    assert client.get(f"/console/cases/{world.case_a.pk}/").status_code == 404
    assert client.get(f"/console/queries/{world.query_a.pk}/row/").status_code == 404


def test_a_lookup_from_htmx_answers_a_row_that_polls_until_answered(officer_client, world):
    response = officer_client.post(
        f"/console/cases/{world.case_a.pk}/lookups/",
        {"partner": world.platform_x.code, "order_number": "PX0000000777", "amount": "99.50"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    row = response.content.decode()
    query = Query.objects.exclude(pk=world.query_a.pk).get(case=world.case_a)
    assert str(query.params.get("amount")) == "99.50"
    assert 'hx-trigger="every 1s"' in row and f"/console/queries/{query.pk}/row/" in row
    assert "PX0000000777" not in row
    answer(world, query)
    answered = officer_client.get(f"/console/queries/{query.pk}/row/").content.decode()
    assert "hx-trigger" not in answered and 'data-status="answered"' in answered
    assert "6222 **** **** 3445" in answered


def test_a_lookup_to_a_platform_without_grant_is_refused_on_the_form(officer_client, world):
    response = officer_client.post(
        f"/console/cases/{world.case_a.pk}/lookups/",
        {"partner": world.platform_y.code, "order_number": "PY0000000777"},
        HTTP_HX_REQUEST="true",
    )
    # platform Y is not granted to unit A, so it is not even offered: the form refuses it.
    assert response.headers["HX-Retarget"] == "#lookup-errors"
    assert 'data-testid="lookup-errors"' in response.content.decode()
    assert not Query.objects.filter(case=world.case_a).exclude(pk=world.query_a.pk).exists()


def test_a_bad_order_number_without_htmx_shows_the_case_again(officer_client, world):
    response = officer_client.post(
        f"/console/cases/{world.case_a.pk}/lookups/", {"partner": world.platform_x.code, "order_number": "x"}
    )
    assert response.status_code == 400
    assert "6 至 40 个字母" in response.content.decode()


def _entries(po: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of each entry but the header."""
    found = []
    for block in po.strip().split("\n\n")[1:]:
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in block.splitlines())
        msgid = "".join(re.findall(r'^msgid "(.*)"$', block, re.M))
        strings = re.findall(r'^msgstr(?:\[\d\])? "(.*)"$', block, re.M)
        found.append((msgid, "".join(strings) if all(strings) else "", fuzzy))
    return found


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_the_catalogues_are_complete(language):
    po = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    assert "#, fuzzy" not in po
    entries = _entries(po)
    assert entries
    assert [msgid for msgid, msgstr, fuzzy in entries if not msgstr or fuzzy] == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs gettext's msgfmt")
@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_the_compiled_catalogues_are_up_to_date(language, tmp_path):
    folder = LOCALE / language / "LC_MESSAGES"
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(folder / "django.po")], check=True)  # noqa: S607
    assert compiled.read_bytes() == (folder / "django.mo").read_bytes()


def test_every_translatable_string_of_the_console_is_in_the_catalogue():
    known = {
        msgid for msgid, _, _ in _entries((LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text())
    }
    for template in (Path(settings.BASE_DIR) / "console" / "templates").rglob("*.html"):
        for text in re.findall(r'{% translate "([^"]+)" %}', template.read_text()):
            assert text in known, (template.name, text)


def test_a_reveal_shows_the_plaintext_once_names_its_purpose_and_is_not_stored(officer_client, world):
    answer(world, world.query_a)
    page = officer_client.get(f"/console/cases/{world.case_a.pk}/").content.decode()
    assert 'data-testid="reveal-form"' in page and "案卷及法庭证据" in page
    response = officer_client.post(f"/console/queries/{world.query_a.pk}/reveal/", {"purpose": "evidence"})
    shown = response.content.decode()
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    assert "李四" in shown and "PX0000000001" in shown and "6222" in shown
    reveals = AuditEvent.objects.filter(case_id=str(world.case_a.pk), details__purpose="evidence")
    assert reveals.count() >= 3 and all("李四" not in str(event.details) for event in reveals)
    # The case page itself still shows only the masked values.
    assert "李四" not in officer_client.get(f"/console/cases/{world.case_a.pk}/").content.decode()


def test_a_reveal_needs_a_purpose_of_the_list(officer_client, world):
    answer(world, world.query_a)
    response = officer_client.post(f"/console/queries/{world.query_a.pk}/reveal/", {"purpose": "curiosity"})
    assert response.status_code == 400 and "李四" not in response.content.decode()


def test_a_closed_case_takes_no_lookup(officer_client, world):
    assert officer_client.post(f"/console/cases/{world.case_a.pk}/close/").status_code == 302
    page = officer_client.get(f"/console/cases/{world.case_a.pk}/").content.decode()
    assert (
        "已结案" in page
        and 'data-testid="lookup-form"' not in page
        and 'data-testid="case-close"' not in page
    )
    response = officer_client.post(
        f"/console/cases/{world.case_a.pk}/lookups/",
        {"partner": world.platform_x.code, "order_number": "PX0000000999"},
        HTTP_HX_REQUEST="true",
    )
    assert "不能再提交新的查询" in response.content.decode()


def test_an_officer_opens_a_case_and_goes_to_it(officer_client, world):
    new_case = {
        "number": "A-0002",
        "title": "王五 called about a refund",
        "fraud_type": "online_shopping",
        "legal_basis": "Criminal Procedure Law art. 54",
        "victim_loss": "5200.00",
    }
    response = officer_client.post("/console/cases/", new_case)
    assert response.status_code == 302 and re.match(
        r"^/console/cases/[0-9a-f-]{36}/$", response.headers["Location"]
    )
    page = officer_client.get(response.headers["Location"]).content.decode()
    assert "A-0002" in page and "王五" not in page  # the title is masked, as the API masks it
    again = officer_client.post("/console/cases/", new_case)
    assert again.status_code == 400 and "您的单位已有相同编号的案件" in again.content.decode()
