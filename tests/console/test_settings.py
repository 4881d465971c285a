"""Production's settings for the console: secure cookies, a second factor for everybody."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys

from django.conf import settings

NAMES = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "AFX_CONSOLE_REQUIRE_TOTP", "X_FRAME_OPTIONS")
# The module as production loads it, without starting Django.
READ = (
    "import json; import config.settings.production as chosen; "
    f"print(json.dumps({{name: getattr(chosen, name) for name in {NAMES!r}}}))"
)


def test_production_requires_the_second_factor_and_secure_cookies(tmp_path):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CACHE_URL": "locmemcache://",
        "CELERY_BROKER_URL": "memory://",
        "AFX_AUDIT_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
        "AFX_GATEWAY_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
        # Production's value wins over the environment's.
        "AFX_CONSOLE_REQUIRE_TOTP": "false",
    }
    shown = subprocess.run(
        [sys.executable, "-c", READ],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(shown.stdout.strip().splitlines()[-1]) == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "AFX_CONSOLE_REQUIRE_TOTP": True,
        "X_FRAME_OPTIONS": "DENY",
    }


def test_elsewhere_the_second_factor_is_optional():
    assert settings.AFX_CONSOLE_REQUIRE_TOTP is False
