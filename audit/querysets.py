"""The restriction point of the audit log: what each actor may read of it.

Every list, detail, proof and export starts from `restrict(actor)`. The log is read-only
for everyone: no action other than viewing is ever granted, whatever the role.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from core.actors import role_of

from .permissions import AUDIT_READERS

VIEW = "view"


class AuditReadQuerySet(models.QuerySet):
    def restrict(self, actor: Any, action: str = VIEW) -> AuditReadQuerySet:
        """Auditors and administrators see the whole log; everyone else sees nothing."""
        if action == VIEW and role_of(actor) in AUDIT_READERS:
            return self.all()
        return self.none()
