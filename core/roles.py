"""The roles an actor holds. People hold one of the first five; an adapter is a machine
identity of an answering partner; the system is AFX itself (a task, a command)."""

from django.db import models


class Role(models.TextChoices):
    OFFICER = "officer", "Officer"
    SUPERVISOR = "supervisor", "Supervisor"
    OPERATOR = "operator", "Operator"
    AUDITOR = "auditor", "Auditor"
    ADMINISTRATOR = "administrator", "Administrator"
    # Machine identity of an answering partner; never a person's role.
    ADAPTER = "adapter", "Adapter"


PERSON_ROLES = [r for r in Role if r != Role.ADAPTER]
POLICE_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR})
