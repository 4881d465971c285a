"""Choices of the partner registry: kinds of partner, their status, people's roles."""

from django.db import models

from core.roles import POLICE_ROLES, Role


class PartnerKind(models.TextChoices):
    POLICE_UNIT = "police_unit", "Police anti-fraud centre"
    BANK = "bank", "Bank"
    PAYMENT_PLATFORM = "payment_platform", "Payment platform"
    TELECOM = "telecom", "Telecom operator"
    OVERSIGHT = "oversight", "Oversight body"
    # The organisation that runs AFX itself; its administrators belong to it.
    EXCHANGE = "exchange", "Exchange operator"


# Partners that answer requests through an adapter.
ANSWERING_KINDS = frozenset({PartnerKind.BANK, PartnerKind.PAYMENT_PLATFORM, PartnerKind.TELECOM})


class PartnerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"


class Delivery(models.TextChoices):
    """How an answering partner is reached."""

    PUSH = "push", "Push: the gateway calls its HTTPS webhook"
    PULL = "pull", "Pull: its adapter polls the gateway's inbox"


class PushQueue(models.TextChoices):
    """Which Celery queue carries a push partner's deliveries (`exchange.delivery.queues`).

    A push holds a worker's thread for as long as the partner takes to answer: a partner that
    answers in seconds goes to a queue of its own, served by workers of its own
    (`-Q push_slow`), so its calls never take the threads that the fast partners' pushes and
    the periodic tasks need. The default queue is Celery's own, so a single worker with no
    `-Q` (the embedded default) serves both.
    """

    DEFAULT = "celery", "Default: answers within about a second"
    SLOW = "push_slow", "Slow: answers in seconds, served by its own workers"


# Which roles a person of each partner kind may hold.
ROLES_BY_PARTNER_KIND = {
    PartnerKind.POLICE_UNIT: POLICE_ROLES,
    PartnerKind.BANK: frozenset({Role.OPERATOR}),
    PartnerKind.PAYMENT_PLATFORM: frozenset({Role.OPERATOR}),
    PartnerKind.TELECOM: frozenset({Role.OPERATOR}),
    PartnerKind.OVERSIGHT: frozenset({Role.AUDITOR}),
    PartnerKind.EXCHANGE: frozenset({Role.ADMINISTRATOR}),
}
