"""The audit app's settings, with the defaults that hold when `config/settings/` names none.

Read on each call (not at import), so tests can override them with pytest-django's
`settings` fixture. The environment-facing names are set in `config/settings/`:

* ``AFX_AUDIT_SIGNING_KEY``: the sequencer's Ed25519 key as base64 of its 32-byte seed;
* ``AFX_AUDIT_SIGNING_KEY_FILE``: or a PKCS#8 PEM file holding it;
* ``AFX_AUDIT_SIGNING_KEY_AUTOCREATE``: make that file on first need (embedded default only);
* ``AFX_AUDIT_SIGNING_KEY_NEXT`` / ``AFX_AUDIT_SIGNING_KEY_NEXT_FILE``: during a rotation only,
  the key `audit_rotate_signing_key` hands over to; it signs nothing until the rotation
  (`audit.key_rotation`) is on record, then the sequencer signs with it;
* ``AFX_AUDIT_SEQUENCER_BATCH``: events per tree head at most (a backlog is worked off in
  several heads, so no transaction grows without bound);
* ``AFX_AUDIT_LAG_ALERT_SECONDS``: how old an unsequenced event may get before health fails;
* ``AFX_AUDIT_ANOMALIES``: a dict overriding any field of `AnomalySettings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import time

from django.conf import settings


@dataclass(frozen=True)
class AnomalySettings:
    """Thresholds of the anomaly detectors (`audit.anomalies`); each is documented there."""

    time_zone: str = "Asia/Shanghai"
    # Partner code -> (start, end) in local time; "default" for every unit not named.
    working_hours: dict[str, tuple[str, str]] = field(default_factory=lambda: {"default": ("08:00", "20:00")})
    volume_factor: float = 5.0
    volume_min_events: int = 20
    reveal_follow_up_minutes: int = 30
    subject_min_cases: int = 3
    denied_burst_count: int = 10
    denied_burst_seconds: int = 60

    def hours_of(self, partner_code: str) -> tuple[time, time]:
        start, end = self.working_hours.get(partner_code) or self.working_hours["default"]
        return time.fromisoformat(start), time.fromisoformat(end)


def anomaly_settings() -> AnomalySettings:
    overrides = getattr(settings, "AFX_AUDIT_ANOMALIES", {})
    known = {f.name for f in fields(AnomalySettings)}
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"unknown AFX_AUDIT_ANOMALIES keys: {sorted(unknown)}")
    return AnomalySettings(**overrides)


def signing_key_setting() -> str:
    return str(getattr(settings, "AFX_AUDIT_SIGNING_KEY", ""))


def signing_key_file_setting() -> str:
    return str(getattr(settings, "AFX_AUDIT_SIGNING_KEY_FILE", ""))


def next_signing_key_setting() -> str:
    return str(getattr(settings, "AFX_AUDIT_SIGNING_KEY_NEXT", ""))


def next_signing_key_file_setting() -> str:
    return str(getattr(settings, "AFX_AUDIT_SIGNING_KEY_NEXT_FILE", ""))


def signing_key_autocreate() -> bool:
    return bool(getattr(settings, "AFX_AUDIT_SIGNING_KEY_AUTOCREATE", False))


def sequencer_batch_size() -> int:
    return int(getattr(settings, "AFX_AUDIT_SEQUENCER_BATCH", 5000))


def lag_alert_seconds() -> int:
    return int(getattr(settings, "AFX_AUDIT_LAG_ALERT_SECONDS", 60))
