"""Axes rows from before usernames became digests are deleted by migration (issue 8, item 1)."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = ("partners", "0005_person_enrolment")
PURGE = ("partners", "0006_axes_records_purge")


def migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])


def migrate_to_latest() -> None:
    """Every app's latest schema again, for the tests after this one."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_deletes_every_axes_row_that_may_hold_a_plaintext_username():
    migrate(BEFORE)
    try:
        phone = "13800138000"  # what somebody typed as a username, kept in clear by older axes settings
        seen = {"ip_address": "127.0.0.1", "user_agent": "test", "username": phone}
        AccessAttempt.objects.create(
            **seen, get_data="", post_data="", http_accept="*/*", path_info="/", failures_since_start=1
        )
        AccessFailureLog.objects.create(**seen, http_accept="*/*", path_info="/", locked_out=False)
        AccessLog.objects.create(**seen, http_accept="*/*", path_info="/", attempt_time=timezone.now())
        migrate(PURGE)
        assert not AccessAttempt.objects.exists()
        assert not AccessFailureLog.objects.exists()
        assert not AccessLog.objects.exists()
    finally:
        migrate_to_latest()
