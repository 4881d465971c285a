"""Choices of the watchlist: what an entry holds, why it is listed, what is asked, and its state."""

from django.db import models

from privacy.choices import Kind


class EntryKind(models.TextChoices):
    """What a listed value is: privacy kinds, so each value is matched and masked as what it is."""

    ACCOUNT = Kind.ACCOUNT.value, "Bank account or card number"
    PHONE = Kind.PHONE.value, "Phone number"


class ListingReason(models.TextChoices):
    """Why a value is listed: a code, never free text, which could name people."""

    MULE_ACCOUNT = "mule_account", "Account that received or moved fraud proceeds"
    SOLD_CARD = "sold_card", "Card or account sold or lent to fraudsters"
    FRAUD_PAYEE = "fraud_payee", "Payee account of a confirmed fraud"
    FRAUD_NUMBER = "fraud_number", "Phone number used to contact victims"
    SOLD_NUMBER = "sold_number", "Phone number sold or lent to fraudsters"


class Restriction(models.TextChoices):
    """What the listing unit asks banks and platforms to do with the value."""

    MONITOR = "monitor", "Monitor: report activity, do not restrict"
    COUNTER_ONLY = "counter_only", "Counter only: no remote or card channels"
    BLOCK = "block", "Block: no transactions at all"


# Strictest first: a value listed by several units is answered with the strictest restriction.
STRICTNESS = {Restriction.BLOCK: 3, Restriction.COUNTER_ONLY: 2, Restriction.MONITOR: 1}


def strictest(*restrictions: str) -> str:
    return max(restrictions, key=lambda restriction: STRICTNESS[Restriction(restriction)])


class EntryStatus(models.TextChoices):
    ACTIVE = "active", "On the list"
    DELISTED = "delisted", "Taken off the list by a supervisor"
    EXPIRED = "expired", "Left the list at its expiry"


class DelistReason(models.TextChoices):
    """Why a supervisor takes a value off the list: a code, never free text."""

    LISTED_IN_ERROR = "listed_in_error", "Listed in error"
    CLEARED_BY_INVESTIGATION = "cleared_by_investigation", "The investigation cleared it"
    COURT_DECISION = "court_decision", "A court decision lifts the restriction"
    HOLDER_REHABILITATED = "holder_rehabilitated", "The holder was rehabilitated early"
    NUMBER_REASSIGNED = "number_reassigned", "The number was reassigned to someone else"
