"""The trace engine: from each answered account, the next tier, asked of each account's bank.

It acts for the officer who started the trace: every query it sends goes through the normal
submission path (`CaseSubmitter`) as that officer, into the trace's case, so grants,
the case's state and the officer's own access decide exactly as for a query sent by hand
(a refusal is a refused query, on its node). It runs inside the transaction of the answer
that found the accounts (`account_transfers`' `on_answer`); two answers of one trace arriving
at once never ask the same account twice, without the trace being locked (`_NextTier`).

The rules, which the simulated bank's ledger repeats to check them (`Ledger.expected_trace`):
a transfer out of an answered account is an edge; a cash withdrawal has no target and asks
nothing; a transfer below the trace's threshold (`below_threshold`) or to a tier past
`max_tiers` (`tier_limit`) is not followed, nor one to an account no bank issues
(`unroutable_reason`); an account already asked gets the edge only, never a second query;
any other is asked of its bank, at the next tier, from the transfer's time (an account left
unasked for the transfer it was met by is asked when a transfer that passes reaches it).
A trace holds at most `MAX_ACCOUNTS` accounts and `MAX_TRANSFERS` transfers (`trace_limit` on
the account it stopped at), so a bank's answers cannot grow it without end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_datetime

from audit.choices import Outcome
from audit.services import event_record
from core.errors import DomainError, Invalid, NotFound
from exchange.audit_actions import ExchangeAction
from exchange.models import Query, Trace, TraceAccount, TraceTransfer
from exchange.routing import ROUTED_KIND, Router
from exchange.services.queries import CaseSubmitter, Placement, Submission, case_submitter
from privacy import blind_index
from privacy.choices import Kind
from privacy.fields import BlindIndexField
from privacy.selectors import blind_index_filter_any

MAX_ACCOUNTS = 1000
# Transfers kept per trace: a graph an officer can read and the API can serve in one answer.
MAX_TRANSFERS = 20_000
STOP_KIND = "stop_payment"
CASH_WITHDRAWAL = "cash_withdrawal"
# Stop reasons of a node: why the trace went no further from it.
BELOW_THRESHOLD = "below_threshold"
TIER_LIMIT = "tier_limit"
TRACE_LIMIT = "trace_limit"
ACCESS_REFUSED = "access_refused"  # the officer or the unit may no longer act in the case
# The unit holds no grant of any kind to the bank, so the submission path does not even see
# it (`Invalid`, no query); a bank it holds another grant to refuses as a query (`no_grant`).
NO_GRANT = "no_grant"


def trace_begin(trace: Trace, *, account_number: str) -> TraceAccount:
    """The trace's tier-1 account, asked of its bank from the trace's start time."""
    route = Router().route(account_number)
    node = TraceAccount(
        trace=trace,
        account=account_number,
        tier=1,
        bank=route.bank,
        unroutable_reason=route.unroutable_reason,
    )
    _Sender(trace).ask(node, parent=trace.source_query, window_start=trace.start_time)
    node.save()
    return node


def transfers_answered(query: Query, answer: dict[str, Any]) -> None:
    """Follow an answered account of a trace: its transfers, the next tier, its stop-payment."""
    if query.trace_id is None:
        return
    trace = Trace.objects.select_related("started_by__partner", "source_query").get(pk=query.trace_id)
    node = TraceAccount.objects.select_related("bank").get(trace=trace, query=query)
    node.balance = answer["balance"]
    room = MAX_TRANSFERS - trace.transfers.count()
    if len(answer["transfers"]) > room:
        node.stop_reason = TRACE_LIMIT  # its transfers past the trace's limit are not followed
    followed = answer["transfers"][: max(room, 0)]
    sender = _Sender(trace)
    TraceTransfer.objects.bulk_create(_NextTier(trace, node, query, sender).edges(followed))
    if trace.stop_payments and node.balance > 0:
        sender.stop(node, query, holder_name=answer["holder_name"])
    node.save(update_fields=["balance", "stop_reason", "stop_query"])


def _stop_reason(trace: Trace, tier: int, transfer: dict[str, Any]) -> str:
    """Why a transfer is not followed to its account, tier by tier, in the ledger's order."""
    if transfer["amount"] < trace.min_amount:
        return BELOW_THRESHOLD
    if tier > trace.max_tiers:
        return TIER_LIMIT
    return ""


# Not asked for a reason of the transfer it was met by: a later transfer may still lead to it.
RECONSIDERED = frozenset({BELOW_THRESHOLD, TIER_LIMIT})


@dataclass
class _Target:
    """An account one answer's transfers lead to: the transfer it is asked from (the first
    that passes), or why none passes (the first one's reason)."""

    account: str
    stop_reason: str
    asked_from: datetime | None = None


class _NextTier:
    """The accounts one answer's transfers lead to, without locking the trace, so the answers
    of a trace's banks are followed side by side.

    A new account becomes a node of the next tier (asked unless a stop reason holds); a known
    one is asked only if it was left for the transfer it was met by (too small, too deep) and
    a transfer of this answer passes; a full trace takes no new account (`trace_limit` on the
    source). Answers arriving at once are kept from asking an account twice by the database:
    new nodes are inserted in one statement, in blind-index order (so two inserts never wait
    on each other in a circle), skipping an account another answer has just added, and a
    known node is taken for asking by a conditional update that only one answer wins. The
    trace's limits are checked against the counts each answer sees, so answers arriving at
    the same moment may pass `MAX_ACCOUNTS` by what they add together.
    """

    def __init__(self, trace: Trace, source: TraceAccount, query: Query, sender: _Sender) -> None:
        self.trace, self.source, self.query = trace, source, query
        self.tier = source.tier + 1
        self.sender = sender

    def edges(self, transfers: list[dict[str, Any]]) -> list[TraceTransfer]:
        """The transfers as edges, their targets found or made, those to ask asked."""
        targets = self._targets(transfers)
        known = self._known(list(targets))
        added, lost = self._add({key: target for key, target in targets.items() if key not in known})
        known.update(lost)
        self._reconsider(list(known.values()), targets)
        nodes = {**known, **added}
        return [
            TraceTransfer(
                trace=self.trace,
                source=self.source,
                target=None
                if transfer["channel"] == CASH_WITHDRAWAL
                else nodes.get(_normalised(transfer["to_account"])),
                amount=transfer["amount"],
                at=transfer["at"],
                channel=transfer["channel"],
                to_bank=transfer.get("to_bank") or "",
            )
            for transfer in transfers
        ]

    def _targets(self, transfers: list[dict[str, Any]]) -> dict[str, _Target]:
        targets: dict[str, _Target] = {}
        for transfer in transfers:
            if transfer["channel"] == CASH_WITHDRAWAL:
                continue
            reason = _stop_reason(self.trace, self.tier, transfer)
            target = targets.setdefault(
                _normalised(transfer["to_account"]), _Target(transfer["to_account"], reason)
            )
            if not reason and target.asked_from is None:
                target.stop_reason, target.asked_from = "", transfer["at"]
        return targets

    def _known(self, accounts: list[str]) -> dict[str, TraceAccount]:
        found = self.trace.accounts.filter(blind_index_filter_any(TraceAccount, "account", accounts))
        return {_normalised(node.account): node for node in found.select_related("bank")}

    def _add(self, new: dict[str, _Target]) -> tuple[dict[str, TraceAccount], dict[str, TraceAccount]]:
        """New nodes, as many as the trace has room for, inserted at once and asked: the nodes
        this answer added, and those another answer added meanwhile, read back as known."""
        if not new:
            return {}, {}
        room = max(MAX_ACCOUNTS - self.trace.accounts.count(), 0)
        if len(new) > room:
            self.source.stop_reason = TRACE_LIMIT
        router = Router()
        made = {}
        for key, target in list(new.items())[:room]:
            route = router.route(target.account)
            made[key] = TraceAccount(
                trace=self.trace,
                account=target.account,
                account_index=_index(target.account),
                tier=self.tier,
                bank=route.bank,
                unroutable_reason=route.unroutable_reason,
                stop_reason=target.stop_reason,
            )
        TraceAccount.objects.bulk_create(
            sorted(made.values(), key=lambda node: node.account_index or b""), ignore_conflicts=True
        )
        ours = set(
            TraceAccount.objects.filter(pk__in=[n.pk for n in made.values()]).values_list("pk", flat=True)
        )
        added = {key: node for key, node in made.items() if node.pk in ours}
        lost = [node.account for node in made.values() if node.pk not in ours]
        asked = []
        for key, node in added.items():
            if not node.stop_reason:
                self.sender.ask(node, parent=self.query, window_start=new[key].asked_from)
                asked.append(node)
        TraceAccount.objects.bulk_update(asked, ["query", "stop_reason"])
        return added, self._known(lost) if lost else {}

    def _reconsider(self, known: list[TraceAccount], targets: dict[str, _Target]) -> None:
        """A known node left unasked for the transfer it was met by (too small, too deep),
        now reached by a transfer that passes: asked from this tier, by the answer whose
        update takes it (any other sees it asked, and leaves it)."""
        for node in sorted(known, key=lambda node: str(node.pk)):
            target = targets[_normalised(node.account)]
            if target.asked_from is None or node.query_id is not None or node.stop_reason not in RECONSIDERED:
                continue
            taken = TraceAccount.objects.filter(
                pk=node.pk, query__isnull=True, stop_reason__in=RECONSIDERED
            ).update(tier=self.tier, stop_reason="")
            if not taken:
                continue
            node.tier, node.stop_reason = self.tier, ""
            self.sender.ask(node, parent=self.query, window_start=target.asked_from)
            node.save(update_fields=["query", "stop_reason"])


def _normalised(account_number: str) -> str:
    return blind_index.normalise(Kind.ACCOUNT, account_number)


def _index(account_number: str) -> bytes | None:
    """The account's blind index under the current key, as its node will store it."""
    field = TraceAccount._meta.get_field("account_index")
    assert isinstance(field, BlindIndexField)
    return field.compute(account_number, Kind.ACCOUNT)


class _Sender:
    """The queries of one step of a trace, sent as its officer through the normal submission
    path (`CaseSubmitter`), the case reached once for all of them; refusals land on the node.

    `ask` and `stop` set the node's query and stop reason and leave the node to be saved by
    the caller, so a step's nodes are written together.
    """

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self._submitter: CaseSubmitter | None = None
        self._access_refused = False

    def ask(self, node: TraceAccount, *, parent: Query | None, window_start: datetime | None) -> None:
        if node.bank is None:
            return
        values = {
            "account_number": node.account,
            "window_start": window_start.isoformat() if window_start else None,
        }
        node.query, node.stop_reason = self._send(node, ROUTED_KIND, values, parent)

    def stop(self, node: TraceAccount, query: Query, *, holder_name: str) -> None:
        """A stop-payment on an account that still holds money, with the amount and time of the
        transfer that brought it; none at tier 1 without them (an account given bare)."""
        amount, at = _arrival(self.trace, node)
        if amount is None or at is None or node.bank is None:
            return
        values = {
            "account_number": node.account,
            "holder_name": holder_name,
            "amount": str(amount),
            "transaction_at": at.isoformat(),
        }
        # A refused stop is kept as its query (its reason is the query's); the trace's own stop
        # reason is written only when no query could be made at all.
        node.stop_query, refused = self._send(node, STOP_KIND, values, query)
        if node.stop_query is None:
            node.stop_reason = refused

    def _send(
        self, node: TraceAccount, kind: str, values: dict[str, Any], parent: Query | None
    ) -> tuple[Query | None, str]:
        """One query for the node, as the trace's officer: the query (refused ones too) and
        the code of its refusal, or no query and the code of why none could be made (the
        officer or the unit may no longer act in the case: `ACCESS_REFUSED`)."""
        assert node.bank is not None
        submitter = self._reached()
        if submitter is None:
            return None, ACCESS_REFUSED
        submission = Submission(case_id=self.trace.case_id, kind=kind, partner=node.bank.code, input=values)
        try:
            query, refusal = submitter.submit(submission, Placement(self.trace, node.tier, parent))
        except Invalid as error:
            code = NO_GRANT if "partner" in error.fields else error.code
            _refusal_record(self.trace, node, kind, code)
            return None, code
        except DomainError as error:
            return None, error.code
        return query, refusal.code if refusal is not None else ""

    def _reached(self) -> CaseSubmitter | None:
        """The case, reached once as the trace's officer (its denial audited once)."""
        if self._submitter is None and not self._access_refused:
            try:
                self._submitter = case_submitter(actor=self.trace.started_by, case_id=self.trace.case_id)
            except NotFound:
                self._access_refused = True
        return self._submitter


def _refusal_record(trace: Trace, node: TraceAccount, kind: str, code: str) -> None:
    """A query the submission path would not even make (no query row holds the refusal), as
    a denial against the trace, naming the account by its blind index."""
    assert node.bank is not None
    index = _index(node.account)
    event_record(
        actor=trace.started_by,
        action=ExchangeAction.QUERY_REFUSED,
        outcome=Outcome.DENIED,
        target=trace,
        case_id=str(trace.case_id),
        details={
            "kind": kind,
            "partner": node.bank.code,
            "subject_index": index.hex() if index else "",
            "reason": code,
        },
    )


def _arrival(trace: Trace, node: TraceAccount) -> tuple[Decimal | None, datetime | None]:
    """How the money came to the account: the transfer that first reached it; at tier 1 the
    lookup's order, or the officer's amount and time."""
    if node.tier > 1:
        incoming = node.incoming.order_by("pk").first()
        return (incoming.amount, incoming.at) if incoming else (None, None)
    if trace.source_query is not None:
        document = trace.source_query.answer_document() or {}
        amount, paid_at = document.get("amount"), document.get("paid_at")
        return (Decimal(amount) if amount else None, parse_datetime(paid_at) if paid_at else None)
    return trace.start_amount, trace.start_transaction_at
