"""Test settings: the embedded default, with a fast password hasher.

`DATABASE_URL` and `CELERY_BROKER_URL` switch the integration suite onto PostgreSQL and a
real broker.
"""

from .local import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# A fixed sequencer key for tests (never used outside them).
AFX_AUDIT_SIGNING_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
# A fixed push signing key for tests, not the audit one (never used outside them).
AFX_GATEWAY_SIGNING_KEY = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
