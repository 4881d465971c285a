"""Settings shared by every environment; each value that differs comes from the environment.

The environment modules (`local`, `test`, `production`) import this one and change only
what differs. `local` is the embedded default: SQLite and a Celery broker on the file
system, so a newcomer needs nothing but Python.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django_guid.integrations import CeleryIntegration
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# Where the embedded default keeps its files (database, broker folders, local keys).
VAR_DIR = Path(env("AFX_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "partners.shell_guard",  # before django.contrib.auth: refuses its changepassword/createsuperuser
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "api.devserver",  # its runserver passes RAW_URI; before staticfiles, whose runserver it extends
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "guardian",
    "axes",
    "django_guid",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "privacy",
    "audit",
    "partners",
    "exchange",
    "watchlist",
    "stats",
    "django_prometheus",
    "observability",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "console",
    "demo",
]

MIDDLEWARE = [
    # First and last: request latency by route (URL name) and method, middleware included.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django_guid.middleware.guid_middleware",
    "observability.middleware.LogContextMiddleware",  # the request id and actor on every line
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the console's second factor
    "console.middleware.ConsoleLocaleMiddleware",  # the console's language; the API stays as it is
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "audit.context.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'afx.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes share the embedded database (server, worker): WAL lets readers run
    # beside the writer, and IMMEDIATE transactions queue writers instead of failing them.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": env.cache("CACHE_URL", default="dbcache://afx_cache"),
}

AUTH_USER_MODEL = "partners.Person"
# Not guardian's ObjectPermissionBackend: it answers `has_perm` True for an expired grant.
# Grants are read only through `partners.selectors.grants_active_for`, which knows expiry.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
SILENCED_SYSTEM_CHECKS = ["guardian.W001"]  # "backend not hooked": left out on purpose, above
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/admin/login/"

LANGUAGE_CODE = "en-us"
# The console's languages (`console.middleware`): Chinese first, its default, and English.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4): own files only, no inline script or style anywhere;
# the console's pages hold none (htmx is vendored and told not to inject its style).
CONTENT_SECURITY_POLICY = {
    # Left alone: the API docs (Swagger UI) and the admin, which run inline code of their own.
    "EXCLUDE_URL_PREFIXES": ["/api/v1/docs/", "/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

# The console's second factor (django-otp TOTP): whether a person with no confirmed device
# may enter at all. Production requires one for everybody; the embedded default and tests do
# not, so the demo world's people can skip it. A person with a device is always asked for a code.
AFX_CONSOLE_REQUIRE_TOTP = env.bool("AFX_CONSOLE_REQUIRE_TOTP", default=False)
OTP_TOTP_ISSUER = "AFX"

# Guardian: object permissions are granted to a police unit's group, never to anonymous.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# Failed sign-ins: five failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The console's sign-in page for console paths, the API's JSON answer for the rest.
AXES_LOCKOUT_CALLABLE = "console.lockout.lockout_response"
AFX_API_LOCKOUT_CALLABLE = "api.errors.axes_lockout_response"
AXES_VERBOSE = False
# Axes keeps a keyed digest of the username typed, never the text (see partners.sign_in); the
# username in the POST data it keeps is masked by axes' default AXES_SENSITIVE_PARAMETERS.
AXES_USERNAME_CALLABLE = "partners.sign_in.attempted_username_digest"
# Successful sign-ins are in AFX's audit log; axes' access log would keep usernames in clear.
AXES_DISABLE_ACCESS_LOG = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.AdapterSignatureAuthentication",
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.RoleAllowed"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.NewestFirstCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "api.schema.AfxAutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    # anonymous_denials: how many refusals of anonymous callers per address are audited (audit.denials);
    # revoked_key_denials: how many refusals of valid signatures by one revoked key are.
    # sign_in is per address; sign_out is per person, generous, and apart from sign_in on purpose.
    # enrol (per address) and password_change (per person) guard the two ways to set a password.
    "DEFAULT_THROTTLE_RATES": {
        "sign_in": "30/minute",
        "sign_out": "120/minute",
        "enrol": "10/minute",
        "password_change": "10/minute",
        "anonymous_denials": "60/minute",
        "revoked_key_denials": "10/minute",
        # Per partner: a bank's or a unit's checks of up to 1,000 values each.
        "watchlist_check": "60/minute",
    },
    "UNAUTHENTICATED_USER": None,
    # Trust X-Forwarded-For only from this many proxies in front of gunicorn (throttling by address).
    "NUM_PROXIES": env.int("AFX_NUM_PROXIES", default=0),
}

REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("AFX_TOKEN_TTL_HOURS", default=8)),
    "AUTO_REFRESH": False,
    # Enforced by partners.services.tokens.token_issue (knox checks it only in its own login view).
    "TOKEN_LIMIT_PER_USER": 10,
    "AUTH_HEADER_PREFIX": "Token",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "AFX anti-fraud exchange API",
    "DESCRIPTION": "Police anti-fraud centres, banks and payment platforms exchange case data.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "UpOrDownEnum": "observability.readiness.UP_OR_DOWN",
        "ListingReasonEnum": "watchlist.choices.ListingReason",
        "DelistReasonEnum": "watchlist.choices.DelistReason",
    },
}

DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
    "VALIDATE_GUID": True,
    "UUID_LENGTH": 32,
    # A task carries the id of the request that queued it, and the worker logs through LOGGING.
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=True)],
}

# Personal data encryption: data keys are wrapped by this master key (see privacy/).
AFX_MASTER_KEY = env("AFX_MASTER_KEY", default="")
AFX_MASTER_KEY_FILE = env("AFX_MASTER_KEY_FILE", default="")
# Closed cases keep their personal values this long, then `exchange.retention` erases them.
AFX_RETENTION_DAYS = env.int("AFX_RETENTION_DAYS", default=5 * 365 + 1)
# During a change of master key only: the key being replaced, until `keys_rewrap` is done.
AFX_MASTER_KEY_PREVIOUS = env("AFX_MASTER_KEY_PREVIOUS", default="")
AFX_MASTER_KEY_PREVIOUS_FILE = env("AFX_MASTER_KEY_PREVIOUS_FILE", default="")
AFX_MASTER_KEY_AUTOCREATE = False
AFX_KEY_PROVIDER = env("AFX_KEY_PROVIDER", default="privacy.providers.LocalKeyProvider")

# The audit log's signed tree heads: the sequencer's own Ed25519 key (see audit/conf.py).
AFX_AUDIT_SIGNING_KEY = env("AFX_AUDIT_SIGNING_KEY", default="")
AFX_AUDIT_SIGNING_KEY_FILE = env("AFX_AUDIT_SIGNING_KEY_FILE", default="")
AFX_AUDIT_SIGNING_KEY_AUTOCREATE = False
# During a rotation only: the audit signing key `audit_rotate_signing_key` hands over to
# (audit/key_rotation.py).
AFX_AUDIT_SIGNING_KEY_NEXT = env("AFX_AUDIT_SIGNING_KEY_NEXT", default="")
AFX_AUDIT_SIGNING_KEY_NEXT_FILE = env("AFX_AUDIT_SIGNING_KEY_NEXT_FILE", default="")
AFX_AUDIT_SEQUENCER_BATCH = env.int("AFX_AUDIT_SEQUENCER_BATCH", default=5000)
AFX_AUDIT_LAG_ALERT_SECONDS = env.int("AFX_AUDIT_LAG_ALERT_SECONDS", default=60)
# Overrides of audit.conf.AnomalySettings, e.g. {"working_hours": {"default": ("08:00", "20:00")}}.
AFX_AUDIT_ANOMALIES: dict[str, object] = {}

# Push webhooks must be HTTPS; the embedded default and tests allow plain HTTP on loopback.
AFX_ALLOW_HTTP_WEBHOOKS = env.bool("AFX_ALLOW_HTTP_WEBHOOKS", default=False)

# Adapter request signing: a timestamp more than this far from now is stale.
AFX_SIGNATURE_MAX_SKEW = timedelta(minutes=5)
# The gateway's own Ed25519 key, which signs pushes (see gateway/push_key.py): base64url or
# base64 of its 32-byte seed (as the SDK prints keys), or a PKCS#8 PEM (in the variable or a
# file). Its public key is published at /api/v1/signing-keys/; during a rotation so is the
# _NEXT key's, which signs nothing until it is swapped in as the current one.
AFX_GATEWAY_SIGNING_KEY = env("AFX_GATEWAY_SIGNING_KEY", default="")
AFX_GATEWAY_SIGNING_KEY_FILE = env("AFX_GATEWAY_SIGNING_KEY_FILE", default="")
AFX_GATEWAY_SIGNING_KEY_AUTOCREATE = False
AFX_GATEWAY_SIGNING_KEY_NEXT = env("AFX_GATEWAY_SIGNING_KEY_NEXT", default="")
AFX_GATEWAY_SIGNING_KEY_NEXT_FILE = env("AFX_GATEWAY_SIGNING_KEY_NEXT_FILE", default="")

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
# Redis redelivers an unacknowledged task (a worker died) after this; retries wait far less.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 30}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Two queues: Celery's default one (the periodic tasks, the fast partners' pushes) and
# `push_slow`, for the pushes of partners registered as slow (`Partner.push_queue`), which
# `exchange.delivery.queues.push_route` sends there. Production runs workers of each with `-Q`;
# a worker started without it (the embedded default) serves both.
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Each queue has an exchange and a routing key of its own: a bare `Queue("push_slow")` would be
# bound to the `celery` exchange with the `celery` key, so a message sent to that exchange (not
# straight to a queue) would land in both queues and be run by both kinds of worker.
CELERY_TASK_QUEUES = tuple(Queue(name, Exchange(name), routing_key=name) for name in ("celery", "push_slow"))
CELERY_TASK_ROUTES = ("exchange.delivery.queues.push_route",)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "sequence-audit-events": {"task": "audit.sequence_events", "schedule": 2.0, "options": {"expires": 10}},
    "purge-expired-tokens": {"task": "partners.purge_expired_tokens", "schedule": 3600.0},
    "purge-seen-nonces": {"task": "partners.purge_seen_nonces", "schedule": 300.0},
    "expire-overdue-queries": {
        "task": "gateway.expire_overdue_queries",
        "schedule": 2.0,
        "options": {"expires": 10},
    },
    "redispatch-quiet-pushes": {
        "task": "gateway.redispatch_quiet_pushes",
        "schedule": 2.0,
        "options": {"expires": 4},
    },
    "relay-stale-outbox": {"task": "gateway.relay_stale_outbox", "schedule": 5.0, "options": {"expires": 10}},
    "sweep-holds": {"task": "gateway.sweep_holds", "schedule": 60.0, "options": {"expires": 60}},
    "expire-watchlist-entries": {
        "task": "watchlist.expire_entries",
        "schedule": 3600.0,
        "options": {"expires": 3600},
    },
    "roll-up-settled-days": {"task": "stats.roll_up_days", "schedule": 3600.0, "options": {"expires": 3600}},
    "erase-expired-cases": {
        "task": "gateway.erase_expired_cases",
        "schedule": 24 * 3600.0,
        "options": {"expires": 3600},
    },
}

# Metrics: `/metrics` answers only `Authorization: Bearer <this>`; unset, it does not exist.
AFX_METRICS_TOKEN = env("AFX_METRICS_TOKEN", default="")

# Every line goes through structlog (observability.logs): the request id, the actor type and
# the partner code, never what a caller sent. The console is text; production renders JSON.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"()": "observability.logs.formatter", "json": False},
        "json": {"()": "observability.logs.formatter", "json": True},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": env("AFX_LOG_FORMAT", default="text")},
    },
    "root": {"handlers": ["console"], "level": env("AFX_LOG_LEVEL", default="INFO")},
    "loggers": {"django_guid": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}
