"""Rotating the audit signing key: the hand-over on record, every head under its key, forgeries caught.

Keys: FIRST (the audit tests' key, `TEST_PRIVATE_KEY`), then SECOND and THIRD, which the
operator rotates to; STRANGER is someone else's key, which nothing announced.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from audit import signing
from audit.choices import AuditAction
from audit.exporters import b64, head_document
from audit.head_chain import sign_link
from audit.head_signature import TreeHead, private_key_to_pem, public_key_to_pem, public_key_to_raw, sign_head
from audit.key_history import KeyChange, SignedKeyChange, key_change_to_json
from audit.key_rotation import signing_key_rotate
from audit.models import AuditEvent, SequencedLeaf, SignedTreeHead, SigningKeyChange
from audit.proofs import consistency_proofs_for
from audit.sequencer import SequencerHalted, sequence_batch
from audit.verification import verify_log
from audit.verify_export import main as verify_export
from core.actors import SystemActor
from core.errors import Conflict, Forbidden
from tests.audit.conftest import TEST_PRIVATE_KEY, publish

FIRST = TEST_PRIVATE_KEY
SECOND = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
THIRD = Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))
STRANGER = Ed25519PrivateKey.from_private_bytes(bytes(range(3, 35)))
OPERATOR = SystemActor("tests")

Lines = list[dict[str, Any]]


def _seed(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.private_bytes_raw()).decode()


def _configure(settings: Any, current: Ed25519PrivateKey, following: Ed25519PrivateKey | None = None) -> None:
    """What the deploy gives every process: the current key and, during a rotation, the next one."""
    settings.AFX_AUDIT_SIGNING_KEY = _seed(current)
    settings.AFX_AUDIT_SIGNING_KEY_NEXT = _seed(following) if following else ""
    settings.AFX_AUDIT_SIGNING_KEY_NEXT_FILE = ""


def _id(key: Ed25519PrivateKey) -> str:
    return signing.key_id(key.public_key())


def _rotate(settings: Any, old: Ed25519PrivateKey, new: Ed25519PrivateKey) -> None:
    """The operator's steps: deploy the new key as NEXT, run the command, deploy it as the current key."""
    _configure(settings, old, new)
    call_command("audit_rotate_signing_key")
    _configure(settings, new)


@pytest.fixture
def rotated(events, settings) -> list[SignedTreeHead]:
    """Heads 1-2 under FIRST, 3-4 under SECOND, 5 under THIRD: two rotations, one tree."""
    for count in (3, 2):
        events(count)
        publish()
    _rotate(settings, FIRST, SECOND)
    for count in (2, 1):
        events(count)
        publish()
    _rotate(settings, SECOND, THIRD)
    events(2)
    publish()
    return list(SignedTreeHead.objects.order_by("number"))


def _export(tmp_path: Path) -> tuple[Path, Path]:
    heads, key = tmp_path / "heads.jsonl", tmp_path / "first.pem"
    call_command("audit_export_heads", str(heads), public_key=str(key))
    return heads, key


def _read(path: Path) -> Lines:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _write(path: Path, lines: Lines) -> None:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))


def _resign(document: dict[str, Any], key: Ed25519PrivateKey, **changes: Any) -> None:
    """Rewrite an exported head, signed anew by `key` (an attacker who holds it)."""
    document.update(changes)
    head = TreeHead(
        tree_size=document["tree_size"],
        root_hash=base64.b64decode(document["root_hash"]),
        timestamp_ms=document["timestamp_ms"],
    )
    document["signature"] = b64(sign_head(key, head))
    document["link_signature"] = b64(sign_link(key, document["number"], head))
    document["key_id"] = _id(key)


def _forged_change(
    *,
    number: int,
    previous: Ed25519PrivateKey,
    new: Ed25519PrivateKey,
    head: SignedTreeHead,
    signers: tuple[Ed25519PrivateKey, Ed25519PrivateKey],
    root_hash: bytes | None = None,
) -> SignedKeyChange:
    """A key change from `previous` to `new` naming `head` (or its size with another root),
    signed by `signers`: the first in the old key's place, the second in the new key's."""
    change = KeyChange(
        number=number,
        previous_key=public_key_to_raw(previous.public_key()),
        new_key=public_key_to_raw(new.public_key()),
        head_number=head.number,
        tree_size=head.tree_size,
        root_hash=bytes(head.root_hash) if root_hash is None else root_hash,
        timestamp_ms=head.timestamp_ms + 1,
    )
    message = change.canonical_bytes()
    return SignedKeyChange(change, signers[0].sign(message), signers[1].sign(message))


def _fault_kinds() -> set[str]:
    return {fault.kind for fault in verify_log().faults}


# The rotation itself


def test_heads_before_a_rotation_keep_the_old_key_and_later_ones_the_new(rotated):
    assert [head.key_id for head in rotated] == [_id(FIRST)] * 2 + [_id(SECOND)] * 2 + [_id(THIRD)]
    first, second = SigningKeyChange.objects.order_by("number")
    assert (first.number, first.head_number, first.tree_size) == (1, 2, 5)
    assert (first.previous_key_id, first.key_id) == (_id(FIRST), _id(SECOND))
    assert bytes(first.root_hash) == bytes(rotated[1].root_hash)
    assert (second.previous_key_id, second.key_id, second.head_number) == (_id(SECOND), _id(THIRD), 4)


def test_the_sequencer_keeps_one_tree_through_rotations(rotated):
    """Events before and after each rotation are consecutive leaves of one tree, heads growing."""
    leaves = list(SequencedLeaf.objects.order_by("leaf_index").values_list("leaf_index", flat=True))
    assert leaves == list(range(len(leaves)))
    assert [head.tree_size for head in rotated] == sorted({head.tree_size for head in rotated})
    assert rotated[-1].tree_size == len(leaves) == 10 + 2  # ten events and two rotation events
    assert verify_log().ok


def test_events_queued_before_a_rotation_are_sequenced_after_it_under_the_new_key(events, settings):
    events(3)
    publish()
    queued = events(2)
    _rotate(settings, FIRST, SECOND)
    head = publish()
    assert head.key_id == _id(SECOND) and head.tree_size == 3 + 2 + 1
    assert set(SequencedLeaf.objects.filter(event__in=queued).values_list("leaf_index", flat=True)) == {3, 4}
    assert verify_log().ok


def test_a_rotation_before_any_head_hands_over_the_empty_tree(events, settings):
    _rotate(settings, FIRST, SECOND)
    change = SigningKeyChange.objects.get()
    assert (change.head_number, change.tree_size) == (0, 0)
    events(1)
    assert publish().key_id == _id(SECOND)
    assert verify_log().ok


def test_the_new_key_may_come_from_a_file(events, settings, tmp_path, capsys):
    events(1)
    publish()
    key_file = tmp_path / "new.pem"
    key_file.write_bytes(private_key_to_pem(SECOND))
    _configure(settings, FIRST, SECOND)  # the sequencer's processes hold it as NEXT
    call_command("audit_rotate_signing_key", new_key_file=key_file)
    out = capsys.readouterr()
    assert f"Key change 1: key {_id(FIRST)} handed over to {_id(SECOND)} after head 1" in out.out
    assert "warning" not in out.err
    events(1)
    assert publish().key_id == _id(SECOND)


def test_a_new_key_the_sequencer_does_not_hold_halts_it_until_it_does(events, settings, tmp_path, capsys):
    """Rotated from a file nobody deployed: the sequencer refuses to sign with the retired key."""
    events(1)
    publish()
    key_file = tmp_path / "new.pem"
    key_file.write_bytes(private_key_to_pem(SECOND))
    call_command("audit_rotate_signing_key", new_key_file=key_file)
    assert "the sequencer halts" in capsys.readouterr().err
    events(1)
    with pytest.raises(SequencerHalted, match=f"key in force is {_id(SECOND)}"):
        sequence_batch()
    _configure(settings, SECOND)
    assert publish().key_id == _id(SECOND)  # nothing was lost meanwhile
    assert verify_log().ok


def test_the_rotation_is_audited_and_sequenced_under_the_new_key(events, settings):
    events(1)
    publish()
    _rotate(settings, FIRST, SECOND)
    event = AuditEvent.objects.get(action=AuditAction.SIGNING_KEY_ROTATED)
    assert (event.actor_id, event.target_type, event.target_id) == (
        "system:audit_rotate_signing_key",
        "audit.signingkeychange",
        "1",
    )
    assert event.details == {
        "number": 1,
        "previous_key_id": _id(FIRST),
        "key_id": _id(SECOND),
        "head_number": 1,
        "tree_size": 1,
    }
    head = publish()
    assert head.key_id == _id(SECOND)
    assert SequencedLeaf.objects.get(event=event).leaf_index == head.tree_size - 1


def test_the_same_new_key_twice_is_a_no_op(events, settings, tmp_path, capsys):
    """A retry (after a lost connection, a rerun deploy script) must not announce the key again."""
    events(1)
    publish()
    _configure(settings, FIRST, SECOND)
    call_command("audit_rotate_signing_key")
    capsys.readouterr()
    call_command("audit_rotate_signing_key")
    assert f"Key {_id(SECOND)} is in force already, since key change 1" in capsys.readouterr().out
    _configure(settings, SECOND)  # after the deploy, run once more by hand
    key_file = tmp_path / "second.pem"
    key_file.write_bytes(private_key_to_pem(SECOND))
    call_command("audit_rotate_signing_key", new_key_file=key_file)
    assert "nothing done" in capsys.readouterr().out
    assert SigningKeyChange.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.SIGNING_KEY_ROTATED).count() == 1


def test_no_new_key_is_refused(settings):
    settings.AFX_AUDIT_SIGNING_KEY_NEXT = ""
    with pytest.raises(CommandError, match="--new-key-file"):
        call_command("audit_rotate_signing_key")


@pytest.mark.parametrize("key", [FIRST, SECOND], ids=["the-first-key", "a-retired-key"])
def test_a_key_that_signed_before_is_refused(rotated, settings, key):
    _configure(settings, THIRD, key)
    with pytest.raises(CommandError, match="a retired key never signs again"):
        call_command("audit_rotate_signing_key")
    assert SigningKeyChange.objects.count() == 2


def test_the_key_in_force_must_sign_the_hand_over(events, settings):
    events(1)
    publish()
    _rotate(settings, FIRST, SECOND)
    _configure(settings, FIRST, THIRD)  # a process still on the retired key
    with pytest.raises(CommandError, match=f"key in force, {_id(SECOND)}, is not configured here"):
        call_command("audit_rotate_signing_key")


def test_only_the_shell_rotates(db):
    with pytest.raises(Forbidden):
        signing_key_rotate(actor=None, new_key=SECOND)


def test_a_rotation_over_a_broken_chain_is_refused(events, settings):
    events(1)
    head = publish()
    SigningKeyChange.stored(
        _forged_change(number=1, previous=FIRST, new=STRANGER, head=head, signers=(STRANGER, STRANGER))
    )
    _configure(settings, FIRST, SECOND)
    with pytest.raises(Conflict, match="run audit_verify"):
        signing_key_rotate(actor=OPERATOR, new_key=SECOND)


def test_key_changes_are_append_only(events, settings):
    _rotate(settings, FIRST, SECOND)
    changes = SigningKeyChange.objects.all()
    for act in (lambda: changes.update(key_id="forged"), changes.delete):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            act()


# audit_verify across rotations


def test_audit_verify_accepts_the_whole_history(rotated, capsys):
    call_command("audit_verify")
    assert "5 signed heads and 2 signing key changes verified" in capsys.readouterr().out


def test_audit_verify_passes_during_the_rotation_window(rotated, settings, capsys):
    """Between the command and the deploy: the retired key current, the new one NEXT."""
    _configure(settings, SECOND, THIRD)
    call_command("audit_verify")
    assert "OK" in capsys.readouterr().out


def test_audit_verify_warns_when_the_key_in_force_is_not_configured(rotated, settings):
    _configure(settings, SECOND)
    report = verify_log()
    assert report.ok
    assert any(f"the key in force, {_id(THIRD)}, is not configured" in line for line in report.warnings)


def test_a_chain_none_of_our_keys_is_on_is_a_fault(rotated, settings):
    _configure(settings, STRANGER)
    assert "signing_key_unknown" in _fault_kinds()


@pytest.mark.parametrize(
    ("signers", "message"),
    [
        ((STRANGER, STRANGER), f"key change 1 is not signed by the key {_id(FIRST)}"),
        ((FIRST, FIRST), f"is not signed by its new key {_id(STRANGER)} (no proof of possession)"),
    ],
    ids=["signed-by-the-new-key-alone", "no-proof-of-possession"],
)
def test_a_forged_key_change_fails_audit_verify(events, signers, message):
    """Someone with write access announces their own key, to sign heads with it."""
    events(2)
    head = publish()
    SigningKeyChange.stored(
        _forged_change(number=1, previous=FIRST, new=STRANGER, head=head, signers=signers)
    )
    with pytest.raises(CommandError, match="verification failed"):
        call_command("audit_verify")
    (fault,) = verify_log().faults
    assert fault.kind == "key_change_forged" and message in fault.message
    events(1)
    with pytest.raises(SequencerHalted, match="key changes do not verify"):
        sequence_batch()


def test_a_chain_from_a_strangers_key_fails_audit_verify(events):
    """A first change from the stranger's key, validly signed by the stranger: the chain then starts
    there, so our heads fail under it and none of our keys is on it."""
    events(2)
    head = publish()
    SigningKeyChange.stored(
        _forged_change(number=1, previous=STRANGER, new=THIRD, head=head, signers=(STRANGER, THIRD))
    )
    faults = verify_log().faults
    assert {fault.kind for fault in faults} == {"signing_key_unknown", "head_forged"}
    assert f"head 1 is forged: signed by key {_id(FIRST)}, which no valid key change leads to" in str(faults)


def test_a_head_signed_by_a_key_never_announced_fails_audit_verify(rotated, drop_triggers):
    last = rotated[-1]
    drop_triggers()
    SignedTreeHead.objects.filter(number=last.number).update(
        signature=sign_head(STRANGER, last.head),
        link_signature=sign_link(STRANGER, last.number, last.head),
        key_id=_id(STRANGER),
    )
    (fault,) = verify_log().faults
    assert fault.kind == "head_forged" and fault.head_number == last.number
    assert f"signed by key {_id(STRANGER)}, which no valid key change leads to" in fault.message


def test_an_old_head_rewritten_with_the_new_key_fails_audit_verify(rotated, drop_triggers):
    """The new key (say, the one still held after a leak of nothing else) cannot rewrite the past."""
    old = rotated[0]
    forged = TreeHead(tree_size=old.tree_size, root_hash=bytes(32), timestamp_ms=old.timestamp_ms)
    drop_triggers()
    SignedTreeHead.objects.filter(number=old.number).update(
        root_hash=forged.root_hash,
        signature=sign_head(SECOND, forged),
        link_signature=sign_link(SECOND, old.number, forged),
        key_id=_id(SECOND),
    )
    kinds = _fault_kinds()
    assert {"head_forged", "head_mismatch"} <= kinds


def test_a_key_change_naming_another_head_is_a_fault(events):
    """Signed by both keys, but not over the head the old key last signed: a rewritten past."""
    events(2)
    head = publish()
    forged = _forged_change(
        number=1, previous=FIRST, new=SECOND, head=head, signers=(FIRST, SECOND), root_hash=bytes(32)
    )
    SigningKeyChange.stored(forged)
    (fault,) = verify_log().faults
    assert fault.kind == "key_change_mismatch" and fault.head_number == 1


# The outsider's verifier


def test_the_export_verifies_with_only_the_first_key(rotated, tmp_path, capsys):
    heads, key = _export(tmp_path)
    assert key.read_bytes() == public_key_to_pem(FIRST.public_key())
    assert verify_export([str(heads), "--public-key", str(key)]) == 0
    out = capsys.readouterr().out
    assert f"OK: 5 heads verified under key {_id(FIRST)} -> {_id(SECOND)} -> {_id(THIRD)}" in out
    assert "(2 signing key changes followed)" in out
    changes = _read(heads)[0]["key_changes"]
    assert [change["key_id"] for change in changes] == [_id(SECOND), _id(THIRD)]
    assert changes[0]["public_key"] == public_key_to_pem(SECOND.public_key()).decode()


def test_the_export_needs_the_first_key_not_a_later_one(rotated, tmp_path, capsys):
    heads, _ = _export(tmp_path)
    later = tmp_path / "second.pem"
    later.write_bytes(public_key_to_pem(SECOND.public_key()))
    assert verify_export([str(heads), "--public-key", str(later)]) == 1
    assert f"starts from key {_id(FIRST)}, not the one you hold" in capsys.readouterr().err


def test_an_export_without_rotations_is_as_before(events, tmp_path, capsys):
    events(2)
    publish()
    heads, key = _export(tmp_path)
    assert _read(heads)[0]["key_changes"] == []
    assert verify_export([str(heads), "--public-key", str(key)]) == 0
    assert f"OK: 1 heads verified under key {_id(FIRST)}; latest" in capsys.readouterr().out


def _tamper_change(field: str, value: Callable[[Any], Any]) -> Callable[[Lines], None]:
    def change(lines: Lines) -> None:
        lines[0]["key_changes"][1][field] = value(lines[0]["key_changes"][1][field])

    return change


def _forge_change(
    signers: tuple[Ed25519PrivateKey, Ed25519PrivateKey],
    previous: Ed25519PrivateKey = SECOND,
    new: Ed25519PrivateKey = STRANGER,
) -> Callable[[Lines], None]:
    """Replace key change 2 (SECOND to THIRD, after head 4) by another, and re-sign head 5 by its new key."""

    def change(lines: Lines) -> None:
        named = SignedTreeHead.objects.get(number=4)
        forged = _forged_change(number=2, previous=previous, new=new, head=named, signers=signers)
        lines[0]["key_changes"][1] = key_change_to_json(forged)
        _resign(lines[5], new)

    return change


def _stranger_head(lines: Lines) -> None:
    _resign(lines[-1], STRANGER)


def _rewritten_old_head(lines: Lines) -> None:
    _resign(lines[1], SECOND, root_hash=b64(bytes(32)))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_forge_change((STRANGER, STRANGER)), f"key change 2 is not signed by the key {_id(SECOND)}"),
        (
            _forge_change((STRANGER, THIRD), previous=STRANGER, new=THIRD),
            f"key change 2 hands over from key {_id(STRANGER)}, but the key in force is {_id(SECOND)}",
        ),
        (_forge_change((SECOND, FIRST)), "no proof of possession"),
        (_tamper_change("head_number", lambda n: n + 1), "key change 2 is not signed"),
        (_tamper_change("tree_size", lambda n: n - 1), "key change 2 is not signed"),
        (_tamper_change("public_key", lambda _: public_key_to_pem(STRANGER.public_key()).decode()), "key id"),
        (_tamper_change("key_id", lambda _: _id(STRANGER)), "a key id is not its key's fingerprint"),
        (_tamper_change("signature", lambda s: b64(bytes(64))), "key change 2 is not signed"),
        (lambda lines: lines[0]["key_changes"].pop(0), "key change 1 is missing"),
        (
            lambda lines: lines[0]["key_changes"].pop(),
            f"head 5 is signed by key {_id(THIRD)}, which no valid",
        ),
        (_stranger_head, f"head 5 is signed by key {_id(STRANGER)}, which no valid key change announces"),
        (
            _rewritten_old_head,
            f"head 1 is signed by key {_id(SECOND)}, which is not the key in force at head 1",
        ),
    ],
    ids=[
        "change-signed-by-the-new-key-alone",
        "change-from-a-stranger",
        "change-without-proof-of-possession",
        "change-head-number-altered",
        "change-tree-size-altered",
        "change-key-swapped",
        "change-key-id-altered",
        "change-signature-altered",
        "first-change-deleted",
        "last-change-deleted",
        "head-signed-by-an-unannounced-key",
        "old-head-rewritten-with-the-new-key",
    ],
)
def test_a_tampered_export_fails(rotated, tmp_path, capsys, change, message):
    heads, key = _export(tmp_path)
    lines = _read(heads)
    change(lines)
    _write(heads, lines)
    assert verify_export([str(heads), "--public-key", str(key)]) == 1
    assert message in capsys.readouterr().err


def test_a_key_change_not_naming_the_head_of_the_export_fails(rotated, tmp_path, capsys):
    """Validly signed by both keys, but over another head 2 than the one published."""
    heads, key = _export(tmp_path)
    lines = _read(heads)
    forged = _forged_change(
        number=1, previous=FIRST, new=SECOND, head=rotated[1], signers=(FIRST, SECOND), root_hash=bytes(32)
    )
    lines[0]["key_changes"][0] = key_change_to_json(forged)
    _write(heads, lines)
    assert verify_export([str(heads), "--public-key", str(key)]) == 1
    assert (
        "key change 1 names head 2 of 5 leaves, which is not that head of the export"
        in capsys.readouterr().err
    )


def test_the_key_changes_of_an_older_export_must_still_hold(rotated, tmp_path, capsys):
    heads, key = _export(tmp_path)
    older = tmp_path / "older.jsonl"
    older.write_text(heads.read_text())
    assert verify_export([str(heads), "--public-key", str(key), "--previous", str(older)]) == 0
    lines = _read(older)
    lines[0]["key_changes"][1] = {**lines[0]["key_changes"][1], "timestamp_ms": 1}  # what was shown then
    _write(older, lines)
    assert verify_export([str(heads), "--public-key", str(key), "--previous", str(older)]) == 1
    assert "key change 2 of the previous export is gone or changed" in capsys.readouterr().err


def test_an_export_from_before_a_rotation_still_holds_after_it(events, settings, tmp_path, capsys):
    events(3)
    publish()
    before, key = _export(tmp_path)
    older = tmp_path / "before.jsonl"
    older.write_text(before.read_text())
    _rotate(settings, FIRST, SECOND)
    events(1)
    publish()
    after, _ = _export(tmp_path)
    assert verify_export([str(after), "--public-key", str(key), "--previous", str(older)]) == 0


def test_a_proof_across_a_rotation_verifies_with_the_exported_key_history(rotated, tmp_path, capsys):
    heads, key = _export(tmp_path)
    older, newer = rotated[0], rotated[-1]
    (proof,) = consistency_proofs_for([(older.tree_size, newer.tree_size)])
    document = {
        "from": head_document(older),
        "to": head_document(newer),
        "proof": [b64(node) for node in proof],
    }
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(document))
    assert verify_export([str(heads), "--public-key", str(key), "--proof", str(path)]) == 0
    assert f"extends the head of {older.tree_size}" in capsys.readouterr().out
    assert verify_export(["--proof", str(path), "--public-key", str(key)]) == 1  # FIRST alone cannot


def test_the_outsiders_verifier_still_needs_no_django():
    code = "import sys, audit.verify_export; sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=django_settings.BASE_DIR, env=env, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr
