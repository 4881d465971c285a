"""The checks a load balancer asks before sending traffic: the database, the broker, the sequencer.

Each check answers a state word, never an error message, a host name or a URL: the answer
is public, and a broker URL carries its password.
"""

from __future__ import annotations

from celery import current_app
from django.db import connection

from audit.conf import lag_alert_seconds
from audit.selectors import sequencer_lag_seconds

# A broker that does not answer within this is as good as down for a readiness probe.
BROKER_TIMEOUT_SECONDS = 2.0

OK, FAILING, LAGGING = "ok", "failing", "lagging"
# What the database and the broker can be (the sequencer can also lag): one enum in the schema.
UP_OR_DOWN = (OK, FAILING)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def broker_ok() -> bool:
    """Whether a fresh connection to Celery's broker opens within `BROKER_TIMEOUT_SECONDS`."""
    try:
        with current_app.connection_for_write(connect_timeout=BROKER_TIMEOUT_SECONDS) as broker:
            broker.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
        return True
    except Exception:
        return False


def readiness() -> tuple[dict[str, str], float | None]:
    """Each check's state, and the sequencer's lag in seconds (None when it cannot be read)."""
    database = database_ok()
    lag = sequencer_lag_seconds() if database else None
    checks = {
        "database": OK if database else FAILING,
        "broker": OK if broker_ok() else FAILING,
        "audit_sequencer": FAILING if lag is None else OK if lag <= lag_alert_seconds() else LAGGING,
    }
    return checks, lag
