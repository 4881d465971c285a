"""An auditor's proof checked in Chromium (WebCrypto), passing, and failing when the proof is
tampered with on its way (Playwright rewrites the response); an officer's batch upload with
one bad row, the accepted rows answering live."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from audit.models import AuditEvent
from audit.sequencer import sequence_events
from exchange.models import Query
from tests.conftest import World
from tests.console.conftest import PASSWORD, answer, with_password

pytestmark = pytest.mark.browser


def sign_in_as(page: Page, base: str, username: str, landing: str) -> None:
    page.goto(f"{base}/console/sign-in/?next={landing}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("sign-in").click()
    expect(page).to_have_url(f"{base}{landing}")


def first_event_sequenced() -> int:
    sequence_events()
    first = AuditEvent.objects.order_by("id").values_list("id", flat=True).first()
    assert first is not None
    return first


def flip(value: str) -> str:
    """A base64 value with one bit of its first byte changed."""
    raw = bytearray(base64.b64decode(value))
    raw[0] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def tampering(change: Any) -> Any:
    def handle(route: Route) -> None:
        document = route.fetch().json()
        change(document)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(document))

    return handle


def test_an_auditor_finds_an_event_and_its_proof_passes_in_the_browser(
    page: Page, live_server: Any, live_world: World, csp_violations: list[str]
) -> None:
    with_password(live_world.auditor)
    sign_in_as(page, live_server.url, live_world.auditor.username, "/console/audit/events/")
    expect(page.locator("h1")).to_have_text("审计日志")
    event = first_event_sequenced()
    page.get_by_test_id("event-search-submit").click()
    page.locator(f'a[href="/console/audit/events/{event}/"]').click()
    expect(page.get_by_test_id("proof-result")).to_have_attribute("data-outcome", "pass", timeout=10_000)
    for check in ("leaf", "path", "signature", "link"):
        expect(page.get_by_test_id(f"check-{check}")).to_have_attribute("data-outcome", "pass")
    expect(page.get_by_test_id("proof-result")).to_contain_text("已验证", timeout=10_000)
    page.get_by_test_id("language-en").click()
    expect(page.get_by_test_id("proof-result")).to_have_text(re.compile("^Verified"), timeout=10_000)
    assert csp_violations == []


@pytest.mark.parametrize(
    ("field", "failed"),
    [("proof", "path"), ("signature", "signature"), ("leaf_hash", "leaf")],
)
def test_a_tampered_proof_fails_and_says_which_check(
    page: Page, live_server: Any, live_world: World, field: str, failed: str
) -> None:
    with_password(live_world.auditor)
    event = first_event_sequenced()
    sign_in_as(page, live_server.url, live_world.auditor.username, "/console/audit/events/")
    page.get_by_test_id("language-en").click()

    def change(document: dict[str, Any]) -> None:
        if field == "proof":
            document["proof"][0] = flip(document["proof"][0])
        elif field == "signature":
            document["head"]["signature"] = flip(document["head"]["signature"])
        else:
            document["leaf_hash"] = flip(document["leaf_hash"])

    page.route(re.compile(r"/console/audit/events/\d+/proof/$"), tampering(change))
    page.goto(f"{live_server.url}/console/audit/events/{event}/")
    result = page.get_by_test_id("proof-result")
    expect(result).to_have_attribute("data-outcome", "fail", timeout=10_000)
    expect(page.get_by_test_id(f"check-{failed}")).to_have_attribute("data-outcome", "fail")
    label = page.get_by_test_id(f"check-{failed}").locator(".label").inner_text()
    expect(result).to_contain_text(f"Verification failed: {label}")
    others = {"leaf", "path", "signature", "link"} - {failed}
    for check in others:
        expect(page.get_by_test_id(f"check-{check}")).to_have_attribute("data-outcome", "pass")


def test_an_officer_uploads_a_batch_with_one_bad_row(
    page: Page, live_server: Any, live_world: World, tmp_path: Path, csp_violations: list[str]
) -> None:
    case = f"/console/cases/{live_world.case_a.pk}/"
    sign_in_as(page, live_server.url, live_world.officer_a.username, case)
    page.get_by_test_id("language-en").click()
    upload = tmp_path / "orders.csv"
    upload.write_text("order_number\nPX0000000701\nnot an order!\nPX0000000703\n")
    page.select_option("#id_batch_partner", live_world.platform_x.code)
    page.set_input_files("#id_batch_file", str(upload))
    page.get_by_test_id("batch-submit").click()
    rows = page.get_by_test_id("batch-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_have_attribute("data-accepted", "true")
    expect(rows.nth(1)).to_have_attribute("data-accepted", "false")
    expect(rows.nth(1).get_by_test_id("batch-error")).to_contain_text("Not an order number")
    expect(rows.nth(2)).to_have_attribute("data-accepted", "true")
    assert "not an order!" not in page.content() and "PX0000000701" not in page.content()

    live = page.get_by_test_id("batch-queries").get_by_test_id("query-row")
    expect(live).to_have_count(2)
    others = Query.objects.exclude(pk=live_world.query_a.pk).filter(case=live_world.case_a)
    answered = others.order_by("created_at").first()
    assert answered is not None
    answer(live_world, answered)
    # No reload: the accepted row polls itself until the platform's answer is there.
    row = page.get_by_test_id("batch-queries").locator(f"#query-{answered.pk}")
    expect(row).to_have_attribute("data-status", "answered", timeout=10_000)
    expect(row.get_by_test_id("query-answer")).to_contain_text("6222 **** **** 3445")
    assert csp_violations == []
