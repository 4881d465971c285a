"""The embedded default: SQLite and a file-system Celery broker, no server to install.

Everything it writes (database, broker folders, the local keys) lives under `var/`, which
is owner-only: folders 0700, files 0600 (see `config.private_files`).
"""

from pathlib import Path

from config.private_files import private_file, private_folder

from .base import *  # noqa: F403
from .base import CELERY_BROKER_TRANSPORT_OPTIONS, CELERY_BROKER_URL, DATABASES, VAR_DIR, env

private_folder(VAR_DIR)
private_folder(VAR_DIR / "static")
_database = DATABASES["default"]
if _database["ENGINE"] == "django.db.backends.sqlite3" and _database["NAME"] not in ("", ":memory:"):
    private_file(Path(_database["NAME"]))  # before SQLite makes it with the process umask

# A fixed development-only key; production refuses to start without its own.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="afx-local-development-key-not-for-production")

AFX_ALLOW_HTTP_WEBHOOKS = env.bool("AFX_ALLOW_HTTP_WEBHOOKS", default=True)

# The embedded default makes its own master key on first need and says where.
AFX_MASTER_KEY_FILE = env("AFX_MASTER_KEY_FILE", default=str(VAR_DIR / "master.key"))
AFX_MASTER_KEY_AUTOCREATE = True
AFX_AUDIT_SIGNING_KEY_FILE = env("AFX_AUDIT_SIGNING_KEY_FILE", default=str(VAR_DIR / "audit-signing.pem"))
AFX_AUDIT_SIGNING_KEY_AUTOCREATE = True
AFX_GATEWAY_SIGNING_KEY_FILE = env(
    "AFX_GATEWAY_SIGNING_KEY_FILE", default=str(VAR_DIR / "gateway-signing.pem")
)
AFX_GATEWAY_SIGNING_KEY_AUTOCREATE = True

# Without a broker URL, Celery uses folders under var/ (with atomic writes, see the module).
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT = "config.filesystem_broker:Transport"
_broker_dir = private_folder(VAR_DIR / "broker")
for _sub in ("queue", "processed", "control"):
    private_folder(_broker_dir / _sub)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "data_folder_in": str(_broker_dir / "queue"),
    "data_folder_out": str(_broker_dir / "queue"),
    "processed_folder": str(_broker_dir / "processed"),
    "control_folder": str(_broker_dir / "control"),
    "store_processed": False,
    "polling_interval": 0.01,
}
