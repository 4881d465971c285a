"""The sequencer: consecutive leaves for committed events, stored nodes, signed and numbered heads."""

from __future__ import annotations

import pytest

from audit.canonical import event_leaf_hash
from audit.head_chain import verify_link
from audit.head_signature import verify_head
from audit.merkle import TreeLevels, root_from_leaf_hashes
from audit.models import MerkleNode, SequencedLeaf, SignedTreeHead, UnsequencedEvent
from audit.rows import rows_by_ids
from audit.selectors import sequencer_lag_seconds
from audit.sequencer import SequencerHalted, sequence_batch, sequence_events
from audit.tree import node_key
from tests.audit.conftest import TEST_PUBLIC_KEY, publish


def _leaf_hashes() -> list[bytes]:
    return [
        bytes(h) for h in SequencedLeaf.objects.order_by("leaf_index").values_list("leaf_hash", flat=True)
    ]


def test_nothing_queued_publishes_nothing(db):
    assert sequence_batch() is None
    assert not SignedTreeHead.objects.exists()


def test_each_event_is_queued_by_the_database(events):
    made = events(3)
    assert set(UnsequencedEvent.objects.values_list("event_id", flat=True)) == {e.id for e in made}


def test_batches_give_consecutive_leaves_and_numbered_signed_heads(events):
    first = events(5)
    head1 = publish()
    second = events(6)
    head2 = publish()
    assert (head1.number, head1.tree_size, head2.number, head2.tree_size) == (1, 5, 2, 11)
    leaves = list(SequencedLeaf.objects.order_by("leaf_index").values_list("leaf_index", "event_id"))
    assert leaves == list(enumerate(e.id for e in first + second))
    assert not UnsequencedEvent.objects.exists()
    for head in (head1, head2):
        verify_head(TEST_PUBLIC_KEY, head.head, bytes(head.signature))
        verify_link(TEST_PUBLIC_KEY, head.number, head.head, bytes(head.link_signature))
    assert bytes(head2.root_hash) == root_from_leaf_hashes(_leaf_hashes())


def test_leaf_hash_is_the_canonical_hash_of_the_stored_row(events):
    (event,) = events(1)
    sequence_batch()
    (row,) = rows_by_ids([event.id])
    assert bytes(SequencedLeaf.objects.get(event=event).leaf_hash) == event_leaf_hash(row)


@pytest.mark.parametrize("batches", [[1, 1, 1, 1, 1, 1, 1], [3, 5, 8, 1, 13], [16], [7, 9]])
def test_stored_nodes_are_every_perfect_subtree_of_even_level(events, settings, batches):
    for size in batches:
        settings.AFX_AUDIT_SEQUENCER_BATCH = size
        events(size)
        sequence_batch()
    levels = TreeLevels(_leaf_hashes())
    stored = {
        (level, index): bytes(value)
        for packed, value in MerkleNode.objects.values_list("position", "hash")
        for level, index in [node_key(packed)]
    }
    total = sum(batches)
    expected = {
        (level, index): levels.subtree_root(index << level, (index + 1) << level)
        for level in range(2, total.bit_length(), 2)
        for index in range(total >> level)
    }
    assert stored == expected


def test_a_backlog_is_worked_off_in_bounded_batches(events, settings):
    settings.AFX_AUDIT_SEQUENCER_BATCH = 4
    events(10)
    heads = sequence_events()
    assert [h.tree_size for h in heads] == [4, 8, 10]


def test_head_times_never_go_back(events):
    events(1)
    first = publish()
    events(1)
    second = publish()
    assert second.timestamp_ms >= first.timestamp_ms


def test_lag_is_the_age_of_the_oldest_waiting_event(events):
    assert sequencer_lag_seconds() == 0
    events(1)
    assert 0 <= sequencer_lag_seconds() < 5
    sequence_batch()
    assert sequencer_lag_seconds() == 0


def test_refuses_to_extend_a_head_it_did_not_sign(events, drop_triggers):
    events(2)
    head = publish()
    drop_triggers()
    SignedTreeHead.objects.filter(number=head.number).update(signature=bytes(64))
    UnsequencedEvent.objects.create(event_id=events(1)[0].id, created_at=head.published_at)
    with pytest.raises(SequencerHalted):
        sequence_batch()
