"""Who reads the audit log: auditors oversee it, administrators run the exchange. Nobody else."""

from partners.choices import Role

AUDIT_READERS = frozenset({Role.AUDITOR, Role.ADMINISTRATOR})
