"""Records `privacy`'s changes of key custody (`privacy.signals`) in the audit log, in the
transaction that makes them: `privacy` sits under `audit` and cannot record them itself."""

from __future__ import annotations

from typing import Any

from core.actors import SystemActor
from privacy.signals import KeyCustodyAction, key_custody_changed

from . import vocabulary
from .services import event_record


def connect() -> None:
    vocabulary.register("privacy", KeyCustodyAction)
    key_custody_changed.connect(_record, dispatch_uid="audit.key_custody")


def _record(
    sender: Any, *, action: str, key: Any, actor_name: str, details: dict[str, Any], **kwargs: Any
) -> None:
    event_record(actor=SystemActor(actor_name), action=action, target=key, details=details)
