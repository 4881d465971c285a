"""Production: PostgreSQL, Redis or RabbitMQ, Celery workers behind gunicorn.

Refuses to start without its secrets: nothing here falls back to a development value.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    AFX_AUDIT_SIGNING_KEY,
    AFX_AUDIT_SIGNING_KEY_FILE,
    AFX_GATEWAY_SIGNING_KEY,
    AFX_GATEWAY_SIGNING_KEY_FILE,
    LOGGING,
    env,
)

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 32 characters.")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
# A kept connection is checked before reuse, so the first query after a PostgreSQL restart
# does not fail on a connection the server has closed.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
CACHES = {"default": env.cache("CACHE_URL")}
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
if not (AFX_AUDIT_SIGNING_KEY or AFX_AUDIT_SIGNING_KEY_FILE):
    raise ImproperlyConfigured("Set AFX_AUDIT_SIGNING_KEY or AFX_AUDIT_SIGNING_KEY_FILE.")
if not (AFX_GATEWAY_SIGNING_KEY or AFX_GATEWAY_SIGNING_KEY_FILE):
    raise ImproperlyConfigured("Set AFX_GATEWAY_SIGNING_KEY or AFX_GATEWAY_SIGNING_KEY_FILE.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Every person enters the console with a second factor (TOTP); the setting cannot be turned off here.
AFX_CONSOLE_REQUIRE_TOTP = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=3600)

# One JSON object a line for the log shipper (observability.logs); AFX_LOG_FORMAT=text to read by eye.
LOGGING = {
    **LOGGING,
    "handlers": {
        "console": {**LOGGING["handlers"]["console"], "formatter": env("AFX_LOG_FORMAT", default="json")}
    },
}
