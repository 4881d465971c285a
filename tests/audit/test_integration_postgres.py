"""On PostgreSQL with committed data: concurrent writers, late commits, overlapping sequencers,
parallel verification and the command's exit status for cron. Fails (not skips) elsewhere."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection, transaction

from audit import append_only, signing, verification
from audit.key_rotation import signing_key_rotate
from audit.models import AuditEvent, SequencedLeaf, SignedTreeHead, UnsequencedEvent
from audit.sequencer import sequence_events
from audit.services import event_record
from audit.verification import verify_log
from core.actors import SystemActor
from exchange.audit_actions import ExchangeAction
from tests.audit.conftest import TEST_SEED

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def in_threads(count: int, work: Callable[[int], object]) -> None:
    """Run `work(n)` in `count` threads, each on its own connection, and re-raise any failure."""
    failures: list[BaseException] = []

    def run(number: int) -> None:
        try:
            work(number)
        except BaseException as error:  # handed to the test's thread
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures


def record(n: int) -> AuditEvent:
    return event_record(actor=SystemActor(f"writer-{n}"), action=ExchangeAction.CASE_VIEWED, details={"n": n})


def assert_sound_tree(expected_events: int) -> None:
    leaves = list(SequencedLeaf.objects.order_by("leaf_index").values_list("leaf_index", "event_id"))
    assert [index for index, _ in leaves] == list(range(expected_events))
    assert sorted(event for _, event in leaves) == sorted(AuditEvent.objects.values_list("id", flat=True))
    heads = list(SignedTreeHead.objects.order_by("number").values_list("number", flat=True))
    assert heads == list(range(1, len(heads) + 1))
    report = verify_log()
    assert report.ok, report.faults


def test_concurrent_writers_and_sequencers_give_consecutive_leaves(postgres, settings):
    settings.AFX_AUDIT_SEQUENCER_BATCH = 40
    stop = threading.Event()

    def sequencer() -> None:
        try:
            while not stop.is_set():
                sequence_events()
        finally:
            connection.close()

    def writer(number: int) -> None:
        for n in range(100):
            record(number * 1000 + n)

    runners = [threading.Thread(target=sequencer) for _ in range(2)]
    for runner in runners:
        runner.start()
    in_threads(6, writer)
    stop.set()
    for runner in runners:
        runner.join()
    sequence_events(max_batches=100)
    assert not UnsequencedEvent.objects.exists()
    assert_sound_tree(600)


def test_a_late_commit_joins_a_later_batch(postgres):
    """The writer holding the smaller id commits last: it is not skipped, it comes later."""
    holding = threading.Event()
    release = threading.Event()
    late: list[int] = []

    def slow_writer(_: int) -> None:
        with transaction.atomic():
            late.append(record(0).id)
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=lambda: in_threads(1, slow_writer))
    thread.start()
    holding.wait(10)
    quick = [record(n).id for n in range(1, 4)]
    first = sequence_events()
    release.set()
    thread.join()
    second = sequence_events()
    assert late[0] < min(quick)
    assert [head.tree_size for head in first + second] == [3, 4]
    assert SequencedLeaf.objects.get(leaf_index=3).event_id == late[0]
    assert_sound_tree(4)


def test_parallel_verification_sees_the_same_faults(postgres, monkeypatch):
    monkeypatch.setattr(verification, "_PARALLEL_MIN_LEAVES", 1)
    events = [record(n) for n in range(50)]
    sequence_events()
    assert verify_log(workers=2).ok
    append_only.remove(connection)
    try:
        AuditEvent.objects.filter(id=events[30].id).update(details={"n": -1})
        single, parallel = verify_log(workers=1), verify_log(workers=2)
    finally:
        append_only.install(connection)
    assert parallel.faults == single.faults
    assert (parallel.faults[0].kind, parallel.faults[0].event_id) == ("event_edited", events[30].id)


def _audit_verify() -> subprocess.CompletedProcess[str]:
    """`manage.py audit_verify` as cron runs it, on this test database, with the test's key."""
    db = connection.settings_dict
    script = (
        "import os, django; django.setup(); from django.conf import settings; "
        "settings.AFX_AUDIT_SIGNING_KEY = os.environ['AFX_AUDIT_SIGNING_KEY']; "
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'audit_verify'])"
    )
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{host}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "AFX_AUDIT_SIGNING_KEY": base64.b64encode(TEST_SEED).decode(),
    }
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_audit_verify_exit_status_for_cron(postgres):
    events = [record(n) for n in range(5)]
    sequence_events()
    sound = _audit_verify()
    assert sound.returncode == 0, sound.stderr
    assert "OK: 5 events" in sound.stdout
    append_only.remove(connection)
    try:
        AuditEvent.objects.filter(id=events[2].id).delete()
    finally:
        append_only.install(connection)
    broken = _audit_verify()
    assert broken.returncode == 1
    assert f"event {events[2].id} (leaf 2) is missing" in broken.stderr


def test_a_rotation_amid_writers_and_sequencers_switches_keys_at_one_head(postgres, settings):
    """The rotation waits for a batch under way and names the last head the old key signed:
    every head up to it is the old key's, every later one the new key's, in one tree."""
    old, new = (
        Ed25519PrivateKey.from_private_bytes(TEST_SEED),
        Ed25519PrivateKey.from_private_bytes(bytes(32)),
    )
    settings.AFX_AUDIT_SEQUENCER_BATCH = 20
    settings.AFX_AUDIT_SIGNING_KEY_NEXT = base64.b64encode(bytes(32)).decode()
    stop, some_heads = threading.Event(), threading.Event()

    def sequencer() -> None:
        try:
            while not stop.is_set():
                if sequence_events() or SignedTreeHead.objects.count() >= 3:
                    some_heads.set()
        finally:
            connection.close()

    runners = [threading.Thread(target=sequencer) for _ in range(2)]
    writers = threading.Thread(
        target=lambda: in_threads(4, lambda n: [record(n * 1000 + i) for i in range(100)])
    )
    for thread in (*runners, writers):
        thread.start()
    assert some_heads.wait(30)
    rotation = signing_key_rotate(actor=SystemActor("tests"), new_key=new)
    writers.join()
    stop.set()
    for runner in runners:
        runner.join()
    sequence_events(max_batches=100)
    assert_sound_tree(400 + 1)
    handed_over = rotation.change.head_number
    key_ids = dict(SignedTreeHead.objects.values_list("number", "key_id"))
    assert {key_ids[n] for n in key_ids if n <= handed_over} == {signing.key_id(old.public_key())}
    assert {key_ids[n] for n in key_ids if n > handed_over} == {signing.key_id(new.public_key())}
