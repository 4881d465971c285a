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


class RequestKind(models.TextChoices):
    """What a police unit may ask of a partner; one grant permission per kind."""

    ORDER_LOOKUP = "order_lookup", "Order number to bank account"
    ACCOUNT_TRACE = "account_trace", "Onward transfers of an account"
    STOP_PAYMENT = "stop_payment", "Stop payment / freeze an account"
    NUMBER_BLOCK = "number_block", "Block a phone number"


# Which partner kinds may declare which request kinds.
KINDS_ANSWERED_BY = {
    PartnerKind.PAYMENT_PLATFORM: frozenset({RequestKind.ORDER_LOOKUP}),
    PartnerKind.BANK: frozenset({RequestKind.ACCOUNT_TRACE, RequestKind.STOP_PAYMENT}),
    PartnerKind.TELECOM: frozenset({RequestKind.NUMBER_BLOCK}),
}


def send_permission(kind: str) -> str:
    """The guardian permission codename that lets a unit send `kind` to a partner."""
    return f"send_{kind}"


# Which roles a person of each partner kind may hold.
ROLES_BY_PARTNER_KIND = {
    PartnerKind.POLICE_UNIT: POLICE_ROLES,
    PartnerKind.BANK: frozenset({Role.OPERATOR}),
    PartnerKind.PAYMENT_PLATFORM: frozenset({Role.OPERATOR}),
    PartnerKind.TELECOM: frozenset({Role.OPERATOR}),
    PartnerKind.OVERSIGHT: frozenset({Role.AUDITOR}),
    PartnerKind.EXCHANGE: frozenset({Role.ADMINISTRATOR}),
}
