"""The operators' commands and the outsider's verifier, end to end through files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from audit.exporters import b64, head_document
from audit.head_signature import generate_private_key, public_key_to_pem
from audit.models import SignedTreeHead
from audit.proofs import consistency_proofs_for
from audit.tasks import sequence_events
from audit.verify_export import main as verify_export
from tests.audit.conftest import TEST_PUBLIC_KEY


@pytest.fixture
def exported(tmp_path, events, settings) -> tuple[Path, Path]:
    settings.AFX_AUDIT_SEQUENCER_BATCH = 3
    events(10)
    call_command("audit_sequence")
    heads, key = tmp_path / "heads.jsonl", tmp_path / "afx-audit.pem"
    call_command("audit_export_heads", str(heads), public_key=str(key))
    return heads, key


def test_sequence_command_publishes_heads(events, capsys):
    events(4)
    call_command("audit_sequence")
    assert "Published heads 1 to 1; 4 leaves" in capsys.readouterr().out
    call_command("audit_sequence")
    assert "Nothing to sequence." in capsys.readouterr().out


def test_the_beat_task_runs_the_sequencer(events):
    events(2)
    assert sequence_events.apply().get() == 1
    assert SignedTreeHead.objects.get().tree_size == 2


def test_exported_heads_verify_with_the_public_key(exported, capsys):
    heads, key = exported
    assert key.read_bytes() == public_key_to_pem(TEST_PUBLIC_KEY)
    assert verify_export([str(heads), "--public-key", str(key)]) == 0
    assert "OK: 4 heads verified" in capsys.readouterr().out


def test_export_under_another_key_fails(exported, tmp_path, capsys):
    heads, _ = exported
    other = tmp_path / "other.pem"
    other.write_bytes(public_key_to_pem(generate_private_key().public_key()))
    assert verify_export([str(heads), "--public-key", str(other)]) == 1
    assert "not the one you hold" in capsys.readouterr().err


def _rewrite(path: Path, change) -> None:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    change(lines)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda lines: lines.pop(2), "heads 2 to 2 are missing"),
        (lambda lines: lines.__delitem__(slice(2, 4)), "heads 2 to 3 are missing"),
        (lambda lines: lines[3].update(tree_size=lines[3]["tree_size"] + 1), "head 3"),
        (lambda lines: lines[4].update(consistency=lines[3]["consistency"]), "does not extend"),
        (lambda lines: lines[2].update(number=7), "head 7"),
    ],
    ids=["deleted-head", "deleted-heads", "forged-size", "bad-consistency", "renumbered"],
)
def test_tampered_exports_fail(exported, capsys, change, message):
    heads, key = exported
    _rewrite(heads, change)
    assert verify_export([str(heads), "--public-key", str(key)]) == 1
    assert message in capsys.readouterr().err


def test_an_older_export_must_still_hold(exported, tmp_path, capsys):
    heads, key = exported
    older = tmp_path / "older.jsonl"
    older.write_text(heads.read_text())
    _rewrite(heads, lambda lines: lines.pop())  # the log was cut back since
    assert verify_export([str(heads), "--public-key", str(key), "--previous", str(older)]) == 1
    assert "head 4 of the previous export is gone" in capsys.readouterr().err


def test_a_proof_document_verifies_from_a_file(exported, tmp_path, capsys):
    """The document the consistency API returns, written to a file and checked offline."""
    _, key = exported
    older, newer = SignedTreeHead.objects.get(number=1), SignedTreeHead.objects.get(number=4)
    (proof,) = consistency_proofs_for([(older.tree_size, newer.tree_size)])
    document = {
        "from": head_document(older),
        "to": head_document(newer),
        "proof": [b64(node) for node in proof],
    }
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(document))
    assert verify_export(["--proof", str(path), "--public-key", str(key)]) == 0
    assert "the head of 10 leaves extends the head of 3" in capsys.readouterr().out
