"""The console in a real browser: Debian's Chromium driven by Playwright, against pytest-django's
live server (a thread of this process, sharing its test database).

Playwright's browser downloads do not work here, so Chromium is the system's
(`AFX_CHROMIUM`, default `/usr/bin/chromium`; `.ci/run` installs it with apt). Playwright's
sync API runs an event loop in the test's thread, so Django's guard against the ORM in async
code is lifted for these tests (`DJANGO_ALLOW_ASYNC_UNSAFE`): the test thread only seeds
the world and answers as the adapter. The rows are committed (`transactional_db`), since the
server thread must see them; the audit log's append-only triggers are lifted for the flush
that empties the database afterwards, and put back after it (`pytest_runtest_teardown`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from pytest_django.plugin import blocking_manager_key

from audit import append_only
from tests.conftest import World, make_world
from tests.console.conftest import with_password

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("AFX_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM} (apt-get install -y chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After every fixture's teardown (the flush of `transactional_db` among them), the
    audit log's triggers return, for whatever test runs next (after the last test the test
    database is gone already)."""
    yield
    if nextitem is not None and "live_world" in getattr(item, "fixturenames", ()):
        with item.config.stash[blocking_manager_key].unblock():
            append_only.install(connection)


@pytest.fixture
def live_world(transactional_db: None) -> Iterator[World]:
    """The test world, committed, with unit A's officer knowing their password."""
    world = make_world()
    with_password(world.officer_a)
    yield world
    append_only.remove(connection)  # so the flush can empty the audit log


@pytest.fixture
def csp_violations(page: Any) -> list[str]:
    """Every message Chromium logs about the Content-Security-Policy while the test runs."""
    found: list[str] = []
    page.on(
        "console",
        lambda message: found.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return found
