"""Every console page a person can open passes axe-core's WCAG 2 A and AA rules, in Chinese
and in English, as Chromium renders it.

The pages come from the permission matrix (`tests/console/matrix.py`): each GET row that some
identity opens with 200, seen as the first such identity (the sign-in page as a visitor,
the audit pages as the auditor), so a page that gains a row is checked here without a
change. Axe is vendored (`tests/browser/vendor/`, MPL-2.0): a test tool, never served by the
console. Playwright injects it as an inline script, which the console's CSP refuses (no
`unsafe-inline`, which is the point of the CSP), so this module's browser contexts bypass the
CSP (`bypass_csp`); `test_console.py` checks the CSP itself, with no bypass.

A fragment (an htmx partial such as a lookup's row, no `<!DOCTYPE html>`) is checked too,
but without the rules about a whole document (its language, title), which are the page's
that embeds it: the case page, checked here whole with its rows. A JSON answer (an event's
proof, which the event page fetches) is no page, nor is an export (a file to download):
skipped, with the reason. Pages no matrix row opens with 200 are checked by their own tests:
the sign-in's code step (and a wrong code), and the error page.

Only WCAG 2.0/2.1/2.2 A and AA rules count (axe's tags); its best-practice rules (landmarks,
one h1) passed on the first slice's pages too when this was written, but are advice, not a
failing test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from tests.conftest import World
from tests.console.conftest import PASSWORD, answer
from tests.console.matrix import ANONYMOUS, ROWS, SequencedLog
from tests.factories import query
from tests.permission_matrix import IDENTITIES, Row

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG2_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# What a document has and a fragment, inserted into one, does not.
DOCUMENT_RULES = ["html-has-lang", "html-lang-valid", "document-title", "bypass"]
LANGUAGES = ("zh-hans", "en")


# The console's URLs that answer a document, not a page: a proof or a consistency document
# (JSON the pages fetch) and the exports (files). The pages that offer them are checked.
NOT_PAGES = frozenset(
    {"audit-event-proof", "audit-head-consistency", "audit-export", "audit-head-export", "trace-export"}
)


def pages() -> list[tuple[Row, str]]:
    """Each GET row some identity opens (200), with the first identity that does, but documents."""
    found = []
    for row in ROWS:
        if row.method != "GET" or row.route.removeprefix("console:") in NOT_PAGES:
            continue
        identity = next((who for who in IDENTITIES if row.expected[who] == 200), None)
        if identity is not None:
            found.append((row, identity))
    return found


def page_id(page: tuple[Row, str]) -> str:
    row, identity = page
    query_string = "&".join(f"{key}={value}" for key, value in row.query.items())
    return f"{row.route}{'?' + query_string if query_string else ''}-as-{identity}"


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """Axe goes in as an inline script, which the console's CSP refuses (see the docstring)."""
    return {**browser_context_args, "bypass_csp": True}


def session_cookies(world: World, identity: str, language: str, base: str) -> list[dict[str, Any]]:
    """What a sign-in (with its second factor, if any) and the language switch leave in a browser."""
    cookies: list[dict[str, Any]] = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base}]
    if identity not in ANONYMOUS:
        client = Client()
        client.force_login(getattr(world, identity))
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base})
    return cookies


def violations_text(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {json.dumps(node['target'])}: {node['failureSummary']!r}")
    return "\n".join(lines)


def axe_violations(page: Page, fragment: bool = False) -> list[dict[str, Any]]:
    """Axe's WCAG 2 A/AA violations on the page as it stands."""
    page.add_script_tag(path=str(AXE))
    options: dict[str, Any] = {"runOnly": {"type": "tag", "values": WCAG2_A_AA}}
    if fragment:
        options["rules"] = {rule: {"enabled": False} for rule in DOCUMENT_RULES}
    results = page.evaluate("options => window.axe.run(document, options)", options)
    assert results["passes"], "axe checked nothing: it did not run"
    return results["violations"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page_and_identity", pages(), ids=page_id)
def test_the_page_has_no_wcag_violation(
    page: Page, live_server: Any, live_world: World, page_and_identity: tuple[Row, str], language: str
) -> None:
    row, identity = page_and_identity
    # The case page with a lookup answered and one waiting, so both kinds of row are checked.
    answer(live_world, live_world.query_a)
    query(live_world.officer_a, live_world.case_a, live_world.platform_x, "PX0000000002")
    base = live_server.url
    page.context.add_cookies(session_cookies(live_world, identity, language, base))  # type: ignore[arg-type]
    path = row.path.format(world=live_world, log=SequencedLog())
    query_string = "&".join(f"{key}={value}" for key, value in row.query.items())
    url = f"{base}{path}{'?' + query_string if query_string else ''}"
    # Asked first without navigating (the same cookies): a download is no page to load.
    probe = page.request.get(url, max_redirects=0)
    assert probe.status == 200, (row.id, identity, probe.status)
    kind = probe.headers.get("content-type", "")
    attachment = "attachment" in probe.headers.get("content-disposition", "")
    assert kind.startswith("text/html") and not attachment, f"{row.route} is a document: add it to NOT_PAGES"
    response = page.goto(url)
    assert response is not None and response.status == 200, (row.id, identity)
    fragment = not response.text().lstrip().lower().startswith("<!doctype html")
    if not fragment:
        assert page.locator("html").get_attribute("lang") == language
    violations = axe_violations(page, fragment)
    assert violations == [], f"{path} in {language}:\n{violations_text(violations)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_code_step_of_the_sign_in_and_its_wrong_code_have_no_wcag_violation(
    page: Page, live_server: Any, live_world: World, language: str
) -> None:
    """The page between the password and the session, reached only through a sign-in."""
    person = live_world.officer_a
    TOTPDevice.objects.create(user=person, name="console", confirmed=True)
    base = live_server.url
    page.context.add_cookies(session_cookies(live_world, "anonymous", language, base))  # type: ignore[arg-type]
    page.goto(f"{base}/console/sign-in/")
    page.fill("#id_username", person.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("sign-in").click()
    expect(page).to_have_url(re.compile(r"/console/sign-in/code/"))
    assert (violations := axe_violations(page)) == [], violations_text(violations)
    page.fill("#id_code", "000000")  # one in a million that it is the right one
    page.get_by_test_id("code-submit").click()
    expect(page.locator("p.error")).to_be_visible()
    assert (violations := axe_violations(page)) == [], violations_text(violations)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_not_found_page_has_no_wcag_violation(
    page: Page, live_server: Any, live_world: World, language: str
) -> None:
    """What unit B's officer sees of unit A's case: the console's error page."""
    base = live_server.url
    page.context.add_cookies(session_cookies(live_world, "officer_b", language, base))  # type: ignore[arg-type]
    response = page.goto(f"{base}/console/cases/{live_world.case_a.pk}/")
    assert response is not None and response.status == 404
    assert (violations := axe_violations(page)) == [], violations_text(violations)
