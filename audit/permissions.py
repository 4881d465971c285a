"""Who reads the audit log: auditors oversee it, administrators run the exchange. Nobody else."""

from core.roles import Role

AUDIT_READERS = frozenset({Role.AUDITOR, Role.ADMINISTRATOR})
