"""The embedded default: SQLite and a file-system Celery broker, no server to install.

Everything it writes (database, broker folders, the local master key) lives under `var/`.
"""

from .base import *  # noqa: F403
from .base import CELERY_BROKER_TRANSPORT_OPTIONS, CELERY_BROKER_URL, VAR_DIR, env

(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)

# A fixed development-only key; production refuses to start without its own.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="afx-local-development-key-not-for-production")

AFX_ALLOW_HTTP_WEBHOOKS = env.bool("AFX_ALLOW_HTTP_WEBHOOKS", default=True)

# The embedded default makes its own master key on first need and says where.
AFX_MASTER_KEY_FILE = env("AFX_MASTER_KEY_FILE", default=str(VAR_DIR / "master.key"))
AFX_MASTER_KEY_AUTOCREATE = True
AFX_AUDIT_SIGNING_KEY_FILE = env("AFX_AUDIT_SIGNING_KEY_FILE", default=str(VAR_DIR / "audit-signing.pem"))
AFX_AUDIT_SIGNING_KEY_AUTOCREATE = True

# Without a broker URL, Celery uses folders under var/ (with atomic writes, see the module).
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT = "config.filesystem_broker:Transport"
_broker_dir = VAR_DIR / "broker"
for _sub in ("queue", "processed", "control"):
    (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "data_folder_in": str(_broker_dir / "queue"),
    "data_folder_out": str(_broker_dir / "queue"),
    "processed_folder": str(_broker_dir / "processed"),
    "control_folder": str(_broker_dir / "control"),
    "store_processed": False,
    "polling_interval": 0.01,
}
