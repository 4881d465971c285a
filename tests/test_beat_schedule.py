"""Every periodic task the beat schedule names is a task the workers know: a typo in a name
would leave the work undone, silently."""

from __future__ import annotations

from django.conf import settings

from config.celery import app


def test_every_scheduled_task_is_registered() -> None:
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "stats.roll_up_days" in scheduled
    assert scheduled <= set(app.tasks)
