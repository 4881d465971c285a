"""An auditor's consistency check of two signed heads in Chromium (WebCrypto): passing, and
failing when the document is tampered with on its way (Playwright rewrites the response)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from django.db import transaction
from playwright.sync_api import Page, expect

from audit.choices import AuditAction, Outcome
from audit.merkle import ProofError, consistency_proof, leaf_hash, root_from_leaf_hashes, verify_consistency
from audit.models import SignedTreeHead
from audit.sequencer import sequence_events
from audit.services import event_record
from tests.audit.test_merkle import CONSISTENCY_FILES
from tests.browser.test_audit_and_batch import flip, sign_in_as, tampering
from tests.conftest import World
from tests.console.conftest import with_password

pytestmark = pytest.mark.browser

CHECKS = ("heads", "from-signature", "from-link", "to-signature", "to-link", "proof")


def two_heads() -> tuple[int, int]:
    """The tree sizes of the first and the latest head, which differ: the world's events, then
    one more (the size of the first is not a power of two, the proof's longer branch)."""
    sequence_events()
    with transaction.atomic():
        event_record(actor=None, action=AuditAction.REQUEST_DENIED, outcome=Outcome.DENIED)
    sequence_events()
    sizes = list(SignedTreeHead.objects.order_by("number").values_list("tree_size", flat=True))
    assert sizes[0] < sizes[-1]
    return sizes[0], sizes[-1]


def open_heads(page: Page, live_server: Any, live_world: World) -> tuple[int, int]:
    sizes = two_heads()
    with_password(live_world.auditor)
    sign_in_as(page, live_server.url, live_world.auditor.username, "/console/audit/heads/")
    page.get_by_test_id("language-en").click()
    page.select_option("#id_from", str(sizes[0]))
    page.select_option("#id_to", str(sizes[1]))
    return sizes


def test_an_auditor_checks_that_the_latest_head_extends_the_first(
    page: Page, live_server: Any, live_world: World, csp_violations: list[str]
) -> None:
    older, newer = open_heads(page, live_server, live_world)
    expect(page.get_by_test_id("head-row")).to_have_count(SignedTreeHead.objects.count())
    page.get_by_test_id("consistency-check").click()
    result = page.get_by_test_id("consistency-result")
    expect(result).to_have_attribute("data-outcome", "pass", timeout=10_000)
    for check in CHECKS:
        expect(page.get_by_test_id(f"check-{check}")).to_have_attribute("data-outcome", "pass")
    expect(result).to_have_text(
        re.compile(f"^Verified: the head of {newer} leaves extends the head of {older}")
    )
    # The same head on both sides is consistent too (an empty proof, equal roots).
    page.select_option("#id_from", str(newer))
    page.get_by_test_id("consistency-check").click()
    expect(result).to_have_text(
        re.compile(f"^Verified: the head of {newer} leaves extends the head of {newer}")
    )
    assert csp_violations == []


def _proof(document: dict[str, Any]) -> None:
    document["proof"][0] = flip(document["proof"][0])


def _newer_signature(document: dict[str, Any]) -> None:
    document["to"]["signature"] = flip(document["to"]["signature"])


def _older_root(document: dict[str, Any]) -> None:
    document["from"]["root_hash"] = flip(document["from"]["root_hash"])


def _other_head(document: dict[str, Any]) -> None:
    document["to"] = document["from"]
    document["proof"] = []


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        (_proof, {"proof"}),
        (_newer_signature, {"to-signature"}),
        # A root the key never signed breaks both of the older head's signatures and the proof.
        (_older_root, {"from-signature", "from-link", "proof"}),
        # A genuine head, but not the one asked for: the page must not call that consistent.
        (_other_head, {"heads"}),
    ],
    ids=["proof", "signature", "root", "other-head"],
)
def test_a_tampered_consistency_proof_fails_and_says_which_check(
    page: Page, live_server: Any, live_world: World, change: Any, failed: set[str]
) -> None:
    open_heads(page, live_server, live_world)
    page.route(re.compile(r"/console/audit/heads/consistency/\?"), tampering(change))
    page.get_by_test_id("consistency-check").click()
    result = page.get_by_test_id("consistency-result")
    expect(result).to_have_attribute("data-outcome", "fail", timeout=10_000)
    for check in CHECKS:
        outcome = "fail" if check in failed else "pass"
        expect(page.get_by_test_id(f"check-{check}")).to_have_attribute("data-outcome", outcome)
    first = next(check for check in CHECKS if check in failed)
    label = page.get_by_test_id(f"check-{first}").locator(".label").inner_text()
    expect(result).to_contain_text(f"Verification failed: {label}")


def test_the_browsers_consistency_check_agrees_with_the_servers_on_every_vector(
    page: Page, live_server: Any, live_world: World
) -> None:
    """The RFC 6962 vectors (from another implementation) and every pair of sizes up to 17 with
    the server's proofs, each also with its first hash flipped: `AFXAudit.consistent` accepts
    exactly what `audit.merkle.verify_consistency` accepts."""
    cases = [json.loads(path.read_text()) for path in CONSISTENCY_FILES]
    hashes = [leaf_hash(bytes([n])) for n in range(17)]
    for size1 in range(1, 18):
        for size2 in range(size1, 18):
            proof = [b64(node) for node in consistency_proof(size1, size2, hashes)]
            roots = {
                "root1": b64(root_from_leaf_hashes(hashes[:size1])),
                "root2": b64(root_from_leaf_hashes(hashes[:size2])),
            }
            cases.append({"size1": size1, "size2": size2, "proof": proof, **roots})
            if proof:
                cases.append({"size1": size1, "size2": size2, "proof": [flip(proof[0]), *proof[1:]], **roots})
    expected = [_server_accepts(case) for case in cases]
    assert True in expected and False in expected
    with_password(live_world.auditor)
    sign_in_as(page, live_server.url, live_world.auditor.username, "/console/audit/heads/")
    found = page.evaluate(
        """async (cases) => {
          const A = window.AFXAudit, out = [];
          for (const c of cases) {
            out.push(await A.attempt(async () => {
              const proof = A.hashes(c.proof);
              const [root1, root2] = [A.fromBase64(c.root1), A.fromBase64(c.root2)];
              return proof !== null && A.consistent(c.size1, c.size2, proof, root1, root2);
            }));
          }
          return out;
        }""",
        cases,
    )
    disagree = [(case, want) for case, want, got in zip(cases, expected, found, strict=True) if want != got]
    assert disagree == [], disagree[:3]


def _server_accepts(case: dict[str, Any]) -> bool:
    proof = [base64.b64decode(node) for node in case.get("proof") or []]
    try:
        verify_consistency(
            case["size1"],
            case["size2"],
            proof,
            base64.b64decode(case["root1"]),
            base64.b64decode(case["root2"]),
        )
    except ProofError:
        return False
    return True


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()
