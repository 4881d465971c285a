"""Which sample order the walkthrough and the trace benchmark follow the money of.

Only the simulator (no Django): the benchmark imports this before any gateway is set up.
"""

from __future__ import annotations

from simulator.dataset import dataset, sample_order_numbers
from simulator.ledger import ledger
from simulator.tables import BANK_PARTNERS, bank_partner_of

TRACE_TIERS = 5


def traceable_order(partner: str, *, min_accounts: int = 1, candidates: int = 20) -> str:
    """The first of the platform's sample orders whose payee a demo bank issues and whose money
    the simulated banks' ledger moves on through every tier and across all three banks (and to
    at least `min_accounts` accounts): a trace from its lookup is a real multi-tier one.

    Chosen from the ledger the banks answer from, so the choice is the same on every run."""
    book = ledger()
    for number in sample_order_numbers(partner, candidates):
        order = dataset(partner).lookup(number)
        if order is None or bank_partner_of(order.payee.number) is None:
            continue
        expected = book.expected_trace(order.payee.number, order.paid_at, TRACE_TIERS)
        banks = {bank_partner_of(account) for account in expected.tiers}
        deep = max(expected.tiers.values()) == TRACE_TIERS
        if deep and banks >= set(BANK_PARTNERS) and len(expected.tiers) >= min_accounts:
            return number
    raise LookupError(f"None of {partner}'s first {candidates} sample orders has a trace as required.")
