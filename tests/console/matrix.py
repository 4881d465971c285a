"""The console's permission matrix: for every console page, every identity and the status it gets.

People are signed in through the session (`Client.force_login`, what a sign-in leaves);
adapters hold no session (they sign each API request), so they are anonymous here.
`tests/console/test_matrix.py` runs every row for every identity and fails when a URL name
of the `console` namespace has no row, so no page ships without deciding who may open it.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from audit.models import AuditEvent, SignedTreeHead
from audit.sequencer import sequence_events
from tests.exchange.matrix_traces import NodePath, lookup_answered
from tests.permission_matrix import Row, every
from tests.watchlist.service_matrix import ACCOUNT, entry_with_id, met

ANONYMOUS = ("anonymous", "adapter_x", "adapter_y")
# Everyone without a session is sent to the sign-in page.
SIGNED_OUT = {identity: 302 for identity in ANONYMOUS}


def police(status: int = 200, **others: int) -> dict[str, int]:
    """`status` for police, 403 for the other people, 302 for the signed-out, but `others`."""
    return every(403, officer_a=status, supervisor_a=status, officer_b=status) | SIGNED_OUT | others


def case_readers(**others: int) -> dict[str, int]:
    """Police of unit A and auditors read unit A's case; unit B's officer finds nothing (404)."""
    return police(200, officer_b=404, auditor=200) | others


def operators() -> dict[str, int]:
    """An answering partner's operators (`operator_bank`) open their partner's pages; other people get 403."""
    return every(403, operator_bank=200) | SIGNED_OUT


def audit_readers() -> dict[str, int]:
    """Auditors and administrators read the audit log (`AUDIT_READERS`); other people get 403."""
    return every(403, auditor=200, administrator=200) | SIGNED_OUT


class SequencedLog:
    """`{log.event}` in a path: the world's first event, once the sequencer has put the
    events in a signed head (so its proof exists)."""

    @property
    def event(self) -> int:
        sequence_events()
        first = AuditEvent.objects.order_by("id").values_list("id", flat=True).first()
        assert first is not None
        return first

    @property
    def head(self) -> int:
        """`{log.head}`: the tree size of the latest signed head, once the events are in one."""
        sequence_events()
        size = SignedTreeHead.objects.order_by("-number").values_list("tree_size", flat=True).first()
        assert size is not None
        return size


def batch_upload(world: Any) -> dict[str, Any]:
    """Three rows, the second no order number: two lookups accepted, one row refused."""
    csv = b"order_number\nPX0000000101\nnot valid!\nPX0000000103\n"
    return {"partner": "platform-x", "file": SimpleUploadedFile("orders.csv", csv, "text/csv")}


NEW_CASE = {
    "number": "C-0002",
    "title": "A fake refund call",
    "fraud_type": "online_shopping",
    "legal_basis": "Criminal Procedure Law art. 54",
    "victim_loss": "5200.00",
}
LOOKUP = {"partner": "platform-x", "order_number": "PX0000000002", "amount": "52.00"}
# Unit A's watchlist entry the delisting row names: made by the row's body in each world.
ENTRY_ID = "00000000-0000-4000-8000-00000000c001"


def watchlist_listing(world: Any) -> dict[str, Any]:
    """A value case A met, to list: a supervisor of unit A lists it, its officer may not."""
    met(world)
    return {
        "case": str(world.case_a.pk),
        "kind": "account",
        "value": ACCOUNT,
        "reason": "mule_account",
        "restriction": "counter_only",
    }


def watchlist_entry(world: Any) -> dict[str, str]:
    entry_with_id(world, ENTRY_ID)  # type: ignore[arg-type]
    return {"reason": "listed_in_error"}


ROWS: list[Row] = [
    Row("dashboard", "GET", "/console/", police()),
    Row("sign-in", "GET", "/console/sign-in/", every(200)),
    Row("sign-in-code", "GET", "/console/sign-in/code/", every(302)),
    Row("sign-out", "POST", "/console/sign-out/", every(302)),
    Row("sign-out-everywhere", "POST", "/console/sign-out/everywhere/", every(302)),
    Row("totp-enrol", "GET", "/console/second-factor/", every(200) | SIGNED_OUT),
    Row("language", "POST", "/console/language/", every(302), body=lambda w: {"language": "en"}),
    Row("cases", "GET", "/console/cases/", police(auditor=200)),
    Row("cases", "POST", "/console/cases/", police(302), body=lambda w: NEW_CASE),
    Row("case", "GET", "/console/cases/{world.case_a.pk}/", case_readers()),
    Row(
        "lookup",
        "POST",
        "/console/cases/{world.case_a.pk}/lookups/",
        police(302, officer_b=404),
        body=lambda w: LOOKUP,
    ),
    Row("case-close", "POST", "/console/cases/{world.case_a.pk}/close/", police(302, officer_b=404)),
    Row("approvals", "GET", "/console/approvals/", police()),
    # Query A is officer A's pending lookup: a supervisor is told it is not waiting (back to
    # the queue); an officer reaches no query to decide (404), nor unit B's officer.
    Row(
        "query-approve",
        "POST",
        "/console/queries/{world.query_a.pk}/approve/",
        police(302, officer_a=404, officer_b=404),
    ),
    Row(
        "query-reject",
        "POST",
        "/console/queries/{world.query_a.pk}/reject/",
        police(302, officer_a=404, officer_b=404),
        body=lambda w: {"reason": "not_needed"},
    ),
    Row("query-row", "GET", "/console/queries/{world.query_a.pk}/row/", case_readers()),
    Row(
        "query-reveal",
        "POST",
        "/console/queries/{world.query_a.pk}/reveal/",
        police(200, officer_b=404),
        body=lambda w: {"purpose": "evidence"},
    ),
    Row(
        "batch",
        "POST",
        "/console/cases/{world.case_a.pk}/batch/",
        police(200, officer_b=404),
        body=batch_upload,
    ),
    # The trace pages: a trace started from the world's lookup once answered, or one whose
    # tier-1 account the bank has answered for (`tests.exchange.matrix_traces`).
    Row(
        "trace-start",
        "POST",
        "/console/cases/{world.case_a.pk}/traces/",
        police(302, officer_b=404),
        body=lookup_answered,
    ),
    Row("trace", "GET", NodePath("/console/traces/{trace.pk}/"), case_readers()),
    Row("trace", "GET", NodePath("/console/traces/{trace.pk}/"), case_readers(), query={"node": "x"}),
    Row("trace-graph", "GET", NodePath("/console/traces/{trace.pk}/graph/"), case_readers()),
    Row("trace-state", "GET", NodePath("/console/traces/{trace.pk}/state/"), case_readers()),
    Row("trace-node", "GET", NodePath("/console/traces/{trace.pk}/nodes/{node.pk}/"), case_readers()),
    Row(
        "trace-node-stop",
        "POST",
        NodePath("/console/traces/{trace.pk}/nodes/{node.pk}/stop/"),
        police(302, officer_b=404),
        body=lambda w: {"kind": "stop_payment"},
    ),
    Row("trace-export", "GET", NodePath("/console/traces/{trace.pk}/export/csv/"), case_readers()),
    Row("audit-events", "GET", "/console/audit/events/", audit_readers()),
    Row("audit-events", "GET", "/console/audit/events/", audit_readers(), query={"outcome": "denied"}),
    Row("audit-event", "GET", "/console/audit/events/{log.event}/", audit_readers()),
    Row("audit-event-proof", "GET", "/console/audit/events/{log.event}/proof/", audit_readers()),
    Row("audit-export", "GET", "/console/audit/export/", audit_readers(), query={"format": "csv"}),
    Row("audit-heads", "GET", "/console/audit/heads/", audit_readers()),
    Row(
        "audit-head-consistency",
        "GET",
        "/console/audit/heads/consistency/?from={log.head}&to={log.head}",
        audit_readers(),
    ),
    Row("audit-head-export", "GET", "/console/audit/heads/export/", audit_readers()),
    Row("audit-anomalies", "GET", "/console/audit/anomalies/", audit_readers()),
    Row("account-search", "GET", "/console/accounts/search/", police()),
    Row(
        "account-search",
        "POST",
        "/console/accounts/search/",
        police(),
        body=lambda w: {"account_number": "6222 0202 0011 2233 445"},
    ),
    # An answering partner's operators: the bank's sees its (empty) queue, figures and keys.
    Row("operator-queries", "GET", "/console/partner/queries/", operators()),
    Row("operator-queries", "GET", "/console/partner/queries/", operators(), query={"state": "answered"}),
    Row("operator-answer-times", "GET", "/console/partner/answer-times/", operators()),
    Row("operator-keys", "GET", "/console/partner/keys/", operators()),
    Row("watchlist", "GET", "/console/watchlist/", police(auditor=200)),
    Row("watchlist", "GET", "/console/watchlist/", police(auditor=200), query={"status": "active"}),
    # Listing and delisting are a supervisor's: unit A's officer is refused (403), unit B's
    # officer finds neither case A nor its entry (404).
    Row(
        "watchlist-add",
        "POST",
        "/console/watchlist/add/",
        police(403, supervisor_a=302, officer_b=404),
        body=watchlist_listing,
    ),
    Row(
        "watchlist-delist",
        "POST",
        f"/console/watchlist/{ENTRY_ID}/delist/",
        police(403, supervisor_a=302, officer_b=404),
        body=watchlist_entry,
    ),
    Row(
        "watchlist-check",
        "POST",
        "/console/watchlist/check/",
        police(),
        body=lambda w: {"kind": "account", "values": ACCOUNT},
    ),
    Row("figures", "GET", "/console/figures/", police(auditor=200, administrator=200)),
]


def console_client(world: Any, identity: str) -> Client:
    """A browser's session: signed in as the identity's person, or as nobody."""
    client = Client()
    if identity not in ANONYMOUS:
        client.force_login(getattr(world, identity))
    return client


def console_call(world: Any, row: Row, identity: str) -> Any:
    client = console_client(world, identity)
    path = row.path.format(world=world, log=SequencedLog())
    if row.method == "GET":
        return client.get(path, row.query)
    return client.post(path, row.body(world) if row.body else {})
