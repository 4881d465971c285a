"""The Celery application; its broker comes from the settings (a folder by default)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("afx")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
