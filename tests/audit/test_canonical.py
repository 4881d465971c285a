"""Canonical bytes: the documented layout, the reference encoder and the fast one agree, and
details the tree could not hash are refused before they are written."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.canonical import EVENT_FIELDS, canonical_bytes, check_details, event_leaf_hash, record_leaf_hash
from audit.merkle import leaf_hash
from audit.models import AuditEvent
from audit.rows import leaf_bytes
from audit.rows import leaf_hash as fast_leaf_hash
from audit.services import event_record
from core.actors import SystemActor
from partners.audit_actions import PartnerAction

ROW = (
    7,
    1_763_700_000_123_456,
    "person",
    "person:officer-a",
    "unit-a",
    "officer",
    "lookup_submitted",
    "gateway.query",
    "q-1",
    "42",
    "0f" * 16,
    None,
    "allowed",
    {"subject_index": "ab12", "kind": "order_lookup", "nested": {"b": [1, True, None], "a": "é\n"}},
)


def test_the_documented_layout():
    assert (
        canonical_bytes(ROW)
        == (
            '["AFX-EVENT-v1",7,1763700000123456,"person","person:officer-a","unit-a","officer",'
            '"lookup_submitted","gateway.query","q-1","42","' + "0f" * 16 + '",null,"allowed",'
            '{"kind":"order_lookup","nested":{"a":"é\\n","b":[1,true,null]},"subject_index":"ab12"}]'
        ).encode()
    )
    assert event_leaf_hash(ROW) == leaf_hash(canonical_bytes(ROW))


def test_an_exported_record_rehashes_to_the_leaf():
    record = dict(zip(EVENT_FIELDS, ROW, strict=True))
    record["created_at_us"] = record.pop("created_at")
    assert record_leaf_hash(record) == event_leaf_hash(ROW)


text = st.text(st.characters(blacklist_categories=["Cs"]))
details = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)


@given(details=st.dictionaries(text, details, max_size=5), strings=st.lists(text, min_size=11, max_size=11))
def test_the_fast_encoder_is_the_reference_encoder(details, strings):
    row = (12, 1_700_000_000_000_000, *strings, details)
    check_details(details)
    assert leaf_bytes(row) == canonical_bytes(row)
    assert fast_leaf_hash(row) == event_leaf_hash(row)


def test_what_orjson_refuses_falls_back_to_the_reference():
    row = (*ROW[:-1], {"big": 2**70})
    assert leaf_bytes(row) == canonical_bytes(row)


@pytest.mark.parametrize(
    "bad",
    [{"amount": 12.5}, {"n": 2**64}, {"s": "\ud800"}, {1: "x"}, {"when": object()}, {"x": [{"y": 0.1}]}],
    ids=["float", "huge-int", "lone-surrogate", "int-key", "object", "nested-float"],
)
def test_details_the_tree_cannot_hash_are_refused(bad):
    with pytest.raises(ValueError, match="details"):
        check_details(bad)


def test_event_record_refuses_them_before_writing(db):
    with pytest.raises(ValueError, match="no floats"):
        event_record(actor=SystemActor("tests"), action=PartnerAction.SIGN_IN, details={"amount": 1.5})
    assert not AuditEvent.objects.exists()


def test_stored_json_reads_back_to_the_same_bytes(record):
    from audit.rows import rows_by_ids

    event = record(details={"z": "1", "a": ["é", {"k": None}]})
    (row,) = rows_by_ids([event.id])
    assert json.loads(leaf_bytes(row))[-1] == {"a": ["é", {"k": None}], "z": "1"}
