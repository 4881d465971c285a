"""`audit_verify` catches every kind of tampering and names the first bad event or head.

Each test plays an attacker with database access: the triggers are dropped, then rows are
edited, deleted, reordered or inserted, or heads forged or deleted. These run on SQLite
by default and on PostgreSQL in CI's whole-suite run; `test_integration_postgres.py`
repeats the command-level checks on committed PostgreSQL data.
"""

from __future__ import annotations

import base64

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.head_chain import sign_link
from audit.head_signature import TreeHead, generate_private_key, sign_head
from audit.models import AuditEvent, MerkleNode, SequencedLeaf, SignedTreeHead, UnsequencedEvent
from audit.sequencer import sequence_batch
from audit.tree import position
from audit.verification import verify_log
from partners.audit_actions import PartnerAction

BATCHES = (4, 3, 5, 2, 3, 4)  # heads 1-6 of sizes 4, 7, 12, 14, 17, 21


@pytest.fixture
def log(events, settings):
    """21 events in six signed heads; returns the events in leaf order."""
    made = []
    for size in BATCHES:
        settings.AFX_AUDIT_SEQUENCER_BATCH = size
        made += events(size)
        sequence_batch()
    return made


def kinds(report) -> list[str]:
    return [fault.kind for fault in report.faults]


def test_an_untouched_log_verifies(log):
    report = verify_log()
    assert report.ok, report.faults
    assert (report.leaves, report.heads) == (21, 6)


def test_an_empty_log_verifies(db):
    assert verify_log().ok


def test_edited_row_is_named(log, drop_triggers):
    drop_triggers()
    AuditEvent.objects.filter(id=log[9].id).update(details={"n": 999})
    report = verify_log()
    first = report.faults[0]
    assert (first.kind, first.event_id, first.leaf_index) == ("event_edited", log[9].id, 9)
    assert "head_mismatch" in kinds(report)
    assert next(f for f in report.faults if f.kind == "head_mismatch").head_number == 3


def test_edited_row_with_rewritten_caches_is_caught_by_the_signed_heads(log, drop_triggers):
    """An attacker who also rewrites the stored leaf hash still cannot re-sign the heads."""
    from audit.canonical import event_leaf_hash
    from audit.rows import rows_by_ids

    drop_triggers()
    AuditEvent.objects.filter(id=log[2].id).update(actor_id="system:someone-else")
    (row,) = rows_by_ids([log[2].id])
    SequencedLeaf.objects.filter(leaf_index=2).update(leaf_hash=event_leaf_hash(row))
    report = verify_log()
    first = report.faults[0]
    assert (first.kind, first.head_number, first.leaf_index) == ("head_mismatch", 1, 0)


def test_deleted_row_is_named(log, drop_triggers):
    drop_triggers()
    AuditEvent.objects.filter(id=log[5].id).delete()
    first = verify_log().faults[0]
    assert (first.kind, first.event_id, first.leaf_index) == ("event_deleted", log[5].id, 5)


def test_deleted_row_and_leaf_are_named(log, drop_triggers):
    drop_triggers()
    AuditEvent.objects.filter(id=log[5].id).delete()
    SequencedLeaf.objects.filter(leaf_index=5).delete()
    report = verify_log()
    assert (report.faults[0].kind, report.faults[0].leaf_index) == ("leaf_deleted", 5)
    assert "head_mismatch" in kinds(report)


def test_deleted_tail_is_named(log, drop_triggers):
    drop_triggers()
    tail = [e.id for e in log[19:]]
    AuditEvent.objects.filter(id__in=tail).delete()
    SequencedLeaf.objects.filter(leaf_index__gte=19).delete()
    report = verify_log()
    assert "head_beyond_tree" in kinds(report)
    assert next(f for f in report.faults if f.kind == "head_beyond_tree").head_number == 6


def test_swapped_rows_are_named(log, drop_triggers):
    drop_triggers()
    first, second = log[1], log[2]
    AuditEvent.objects.filter(id=first.id).update(target_id=second.target_id, details=second.details)
    AuditEvent.objects.filter(id=second.id).update(target_id=first.target_id, details=first.details)
    report = verify_log()
    assert [(f.kind, f.event_id) for f in report.faults[:2]] == [
        ("event_edited", first.id),
        ("event_edited", second.id),
    ]


def test_reordered_leaves_within_a_batch_are_named(log, drop_triggers):
    drop_triggers()
    SequencedLeaf.objects.filter(leaf_index=8).update(leaf_index=-1)
    SequencedLeaf.objects.filter(leaf_index=9).update(leaf_index=8)
    SequencedLeaf.objects.filter(leaf_index=-1).update(leaf_index=9)
    report = verify_log()
    first = report.faults[0]
    assert (first.kind, first.leaf_index) == ("leaf_out_of_order", 9)
    assert next(f for f in report.faults if f.kind == "head_mismatch").head_number == 3


def test_reordered_leaves_across_batches_are_named_by_head(log, drop_triggers):
    drop_triggers()
    SequencedLeaf.objects.filter(leaf_index=3).update(leaf_index=-1)
    SequencedLeaf.objects.filter(leaf_index=4).update(leaf_index=3)
    SequencedLeaf.objects.filter(leaf_index=-1).update(leaf_index=4)
    report = verify_log()
    first = report.faults[0]
    assert (first.kind, first.head_number) == ("head_mismatch", 1)


def test_inserted_row_is_named(log, drop_triggers):
    drop_triggers()
    forged = AuditEvent.objects.create(
        actor_type="person",
        actor_id="person:officer-a",
        action=PartnerAction.SIGN_IN,
        created_at=log[0].created_at,
    )
    first = verify_log().faults[0]
    assert (first.kind, first.event_id) == ("event_inserted", forged.id)


def test_inserted_row_with_a_forged_leaf_is_named(log, drop_triggers):
    """The attacker shifts the leaves to make room for a backdated event."""
    from audit.canonical import event_leaf_hash
    from audit.rows import rows_by_ids

    drop_triggers()
    forged = AuditEvent.objects.create(actor_type="system", actor_id="system:x", action=PartnerAction.SIGN_IN)
    for index in reversed(range(10, 21)):
        SequencedLeaf.objects.filter(leaf_index=index).update(leaf_index=index + 1)
    (row,) = rows_by_ids([forged.id])
    SequencedLeaf.objects.create(leaf_index=10, event_id=forged.id, leaf_hash=event_leaf_hash(row))
    report = verify_log()
    first = report.faults[0]
    assert (first.kind, first.leaf_index) == ("leaf_out_of_order", 11)
    assert next(f for f in report.faults if f.kind == "head_mismatch").head_number == 3
    assert "leaves_unsigned" in kinds(report)


def test_appended_leaf_without_a_head_is_named(log, drop_triggers):
    from audit.canonical import event_leaf_hash
    from audit.rows import rows_by_ids

    drop_triggers()
    forged = AuditEvent.objects.create(actor_type="system", actor_id="system:x", action=PartnerAction.SIGN_IN)
    UnsequencedEvent.objects.filter(event_id=forged.id).delete()
    (row,) = rows_by_ids([forged.id])
    SequencedLeaf.objects.create(leaf_index=21, event_id=forged.id, leaf_hash=event_leaf_hash(row))
    first = verify_log().faults[0]
    assert (first.kind, first.leaf_index) == ("leaves_unsigned", 21)


def test_forged_head_is_named(log, drop_triggers):
    drop_triggers()
    SignedTreeHead.objects.filter(number=4).update(root_hash=bytes(32))
    first = verify_log().faults[0]
    assert (first.kind, first.head_number) == ("head_forged", 4)


def test_head_signed_with_another_key_is_named(log, drop_triggers):
    drop_triggers()
    other_key = generate_private_key()
    stored = SignedTreeHead.objects.get(number=2)
    head = TreeHead(
        tree_size=stored.tree_size, root_hash=bytes(stored.root_hash), timestamp_ms=stored.timestamp_ms
    )
    SignedTreeHead.objects.filter(number=2).update(
        signature=sign_head(other_key, head), link_signature=sign_link(other_key, 2, head)
    )
    first = verify_log().faults[0]
    assert (first.kind, first.head_number) == ("head_forged", 2)


def test_renumbered_head_is_named(log, drop_triggers):
    drop_triggers()
    SignedTreeHead.objects.filter(number=6).update(number=7)
    report = verify_log()
    assert [(f.kind, f.head_number) for f in report.faults[:2]] == [("head_forged", 7), ("heads_missing", 6)]


def test_deleted_head_is_named(log, drop_triggers):
    drop_triggers()
    SignedTreeHead.objects.filter(number=3).delete()
    report = verify_log()
    assert [(f.kind, f.head_number) for f in report.faults] == [("heads_missing", 3)]
    assert "head(s) 3 are missing" in report.faults[0].message


def test_several_deleted_heads_in_a_row_are_named(log, drop_triggers):
    drop_triggers()
    SignedTreeHead.objects.filter(number__in=[2, 3, 4]).delete()
    report = verify_log()
    assert (report.faults[0].kind, report.faults[0].head_number) == ("heads_missing", 2)
    assert "2 to 4" in report.faults[0].message


def test_deleted_last_heads_are_named(log, drop_triggers):
    drop_triggers()
    SignedTreeHead.objects.filter(number__in=[5, 6]).delete()
    first = verify_log().faults[0]
    assert (first.kind, first.leaf_index) == ("leaves_unsigned", 14)


def test_damaged_proof_node_is_named(log, drop_triggers):
    drop_triggers()
    MerkleNode.objects.filter(position=position((2, 1))).update(hash=bytes(32))
    first = verify_log().faults[0]
    assert first.kind == "node_mismatch"
    assert "2/1" in first.message


def test_queued_but_unsequenced_events_are_not_faults(log, events):
    events(2)
    assert verify_log().ok


def test_command_exits_zero_on_a_sound_log(log, capsys):
    call_command("audit_verify")
    assert "OK" in capsys.readouterr().out


def test_command_fails_and_names_the_first_fault(log, drop_triggers, capsys):
    drop_triggers()
    AuditEvent.objects.filter(id=log[0].id).update(outcome="denied")
    with pytest.raises(CommandError, match=f"event {log[0].id} \\(leaf 0\\)"):
        call_command("audit_verify")


def test_command_uses_the_configured_public_key(log, settings):
    settings.AFX_AUDIT_SIGNING_KEY = base64.b64encode(bytes(32)).decode()
    with pytest.raises(CommandError, match="head 1 is forged"):
        call_command("audit_verify")
