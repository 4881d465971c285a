"""Online rotation: interrupted and resumed, with writes going on, lookups working throughout."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_django.fixtures import Settings

from privacy import rotation
from privacy.choices import KeyPurpose, KeyState
from privacy.envelope import seal
from privacy.keyring import keyring
from privacy.models import DataKey
from privacy.rotation import key_versions_add, key_versions_retire_unused, rows_pending, rows_reencrypt
from privacy.selectors import blind_index_filter, key_usage
from tests.privacy.probe import PROBE_MODELS, ProbeAccount, ProbePhone

pytestmark = pytest.mark.django_db


class Crash(Exception):
    """Stands for the process dying between two batches."""


@pytest.fixture(autouse=True)
def _no_stale_keyrings(settings: Settings) -> None:
    """One process only: nothing to wait for before the final check."""
    settings.AFX_KEYRING_REFRESH_SECONDS = 0


def _seed(count: int) -> dict[uuid.UUID, str]:
    accounts = [ProbeAccount(number=f"6222{i:012d}", holder=f"持卡人{i}") for i in range(count)]
    ProbeAccount.objects.bulk_create(accounts)
    ProbePhone.objects.bulk_create([ProbePhone(number=f"138{i:08d}") for i in range(count // 3)])
    return {a.pk: a.number for a in accounts}


def _crash_after(batches: int) -> Callable[[int], None]:
    done = []

    def progress(rows: int) -> None:
        done.append(rows)
        if len(done) == batches:
            raise Crash

    return progress


def _versions(purpose: str) -> set[int]:
    return {u.version for u in key_usage(PROBE_MODELS) if u.purpose == purpose}


def _all_readable(expected: dict[uuid.UUID, str]) -> None:
    loaded = {a.pk: a for a in ProbeAccount.objects.all()}
    assert {pk: loaded[pk].number for pk in expected} == expected
    for account in loaded.values():
        assert account.holder is not None
    for phone in ProbePhone.objects.all():
        assert phone.number.startswith("138")


def _find(number: str) -> list[uuid.UUID]:
    return list(
        ProbeAccount.objects.filter(blind_index_filter(ProbeAccount, "number", number)).values_list(
            "pk", flat=True
        )
    )


def test_full_rotation_moves_everything_then_retires_the_old_versions() -> None:
    expected = _seed(25)
    old = {p: keyring.current(p).version for p in KeyPurpose.values}
    key_versions_add(purposes=KeyPurpose.values)
    assert key_versions_retire_unused(in_models=PROBE_MODELS) == []  # old versions still needed
    result = rows_reencrypt(in_models=PROBE_MODELS, batch_size=7)
    assert result.remaining == 0 and result.passes == 1 and result.rows_rewritten == 25 + 8
    assert _versions(KeyPurpose.ENCRYPT) == {old[KeyPurpose.ENCRYPT] + 1}
    assert _versions(KeyPurpose.INDEX) == {old[KeyPurpose.INDEX] + 1}
    retired = key_versions_retire_unused(in_models=PROBE_MODELS)
    assert {(k.purpose, k.version) for k in retired} == {(p, v) for p, v in old.items()}
    assert DataKey.objects.filter(state=KeyState.RETIRED).count() == 2
    _all_readable(expected)
    some_pk, some_number = next(iter(expected.items()))
    assert _find(some_number) == [some_pk]


def test_interrupted_rotation_loses_nothing_and_resumes(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _seed(30)
    key_versions_add(purposes=KeyPurpose.values)
    with pytest.raises(Crash):
        rows_reencrypt(in_models=PROBE_MODELS, batch_size=4, progress=_crash_after(3))
    # Midway: both versions in use, every row readable, every row findable.
    assert len(_versions(KeyPurpose.ENCRYPT)) == len(_versions(KeyPurpose.INDEX)) == 2
    assert rows_pending(PROBE_MODELS) > 0
    _all_readable(expected)
    assert all(_find(number) == [pk] for pk, number in expected.items())
    # A crash inside a batch rolls that batch back and no more.
    monkeypatch.setattr(rotation, "_write_batch", _fail_once(rotation._write_batch))
    with pytest.raises(Crash):
        rows_reencrypt(in_models=PROBE_MODELS, batch_size=4)
    monkeypatch.undo()
    result = rows_reencrypt(in_models=PROBE_MODELS, batch_size=4)
    assert result.remaining == 0 and rows_pending(PROBE_MODELS) == 0
    assert len(_versions(KeyPurpose.ENCRYPT)) == len(_versions(KeyPurpose.INDEX)) == 1
    _all_readable(expected)


def _fail_once(write: Callable[..., None]) -> Callable[..., None]:
    def failing(*args: Any) -> None:
        with transaction.atomic():
            write(*args)
            raise Crash

    return failing


def test_writes_between_and_during_batches_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _seed(20)
    key_versions_add(purposes=KeyPurpose.values)
    pks = sorted(expected)
    old_encrypt = next(
        k for k in keyring.active(KeyPurpose.ENCRYPT) if k.version != keyring.current("encrypt").version
    )

    batches = []

    def between_batches(rows: int) -> None:
        batches.append(rows)
        if len(batches) > 2:
            return
        # A new row and an edit anywhere in the table, as requests would do.
        fresh = ProbeAccount.objects.create(number=f"6333{len(expected):012d}", holder="新户")
        expected[fresh.pk] = fresh.number
        edited = ProbeAccount.objects.get(pk=pks[-1])
        edited.number = expected[edited.pk] = "6444000000000001"
        edited.save()
        if len(batches) < 2:
            return
        # A process whose keyring is stale writes under the old version, behind the cursor.
        field = ProbeAccount._meta.get_field("number")
        stale = seal(old_encrypt.aead, old_encrypt.version, "6555000000000002", field.bound_to(pks[0]))
        ProbeAccount.objects.filter(pk=pks[0]).update(number=stale)
        expected[pks[0]] = "6555000000000002"

    real_row_change = rotation._row_change

    def during_batch(row: Any, *args: Any) -> Any:
        # The row changes after the batch read it and before the batch writes.
        change = real_row_change(row, *args)
        if row[0] == pks[5]:
            account = ProbeAccount.objects.get(pk=pks[5])
            account.number = expected[pks[5]] = "6666000000000003"
            account.save()
        return change

    monkeypatch.setattr(rotation, "_row_change", during_batch)
    result = rows_reencrypt(in_models=[ProbeAccount], batch_size=6, progress=between_batches)
    assert result.remaining == 0 and result.passes == 2  # the stale write needed a second pass
    _all_readable(expected)
    assert _find("6666000000000003") == [pks[5]]
    assert _find(expected[pks[-1]]) == [pks[-1]]


ROWS = st.integers(min_value=1, max_value=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=ROWS,
    batch_size=st.integers(min_value=1, max_value=10),
    crash_after=st.integers(min_value=1, max_value=6),
    edits=st.lists(
        st.tuples(st.integers(min_value=0, max_value=24), st.text(alphabet="0123456789", min_size=6))
    ),
)
def test_property_any_crash_point_and_edits_lose_nothing(
    rows: int, batch_size: int, crash_after: int, edits: list[tuple[int, str]]
) -> None:
    with _rolled_back():
        expected = _seed(rows)
        pks = sorted(expected)
        key_versions_add(purposes=KeyPurpose.values)
        with suppress(Crash):  # unless the crash point lies beyond the last batch
            rows_reencrypt(in_models=PROBE_MODELS, batch_size=batch_size, progress=_crash_after(crash_after))
        for index, number in edits:
            account = ProbeAccount.objects.get(pk=pks[index % rows])
            account.number = expected[account.pk] = number
            account.save()
        assert rows_reencrypt(in_models=PROBE_MODELS, batch_size=batch_size).remaining == 0
        _all_readable(expected)
        assert all(pk in _find(number) for pk, number in expected.items())


class _Rollback(Exception):
    pass


@contextmanager
def _rolled_back() -> Iterator[None]:
    """One hypothesis example: its rows and keys vanish afterwards, and the keyring forgets them."""
    keyring.reset()
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass
    finally:
        keyring.reset()


def test_commands_rotate_resume_and_report(monkeypatch: pytest.MonkeyPatch) -> None:
    for command in ("keys_rotate", "keys_status"):
        monkeypatch.setattr(f"privacy.management.commands.{command}.encrypted_models", lambda: PROBE_MODELS)
    _seed(12)
    out, err = StringIO(), StringIO()
    monkeypatch.setattr("sys.stderr", err)
    call_command("keys_rotate", "--batch-size", "5", stdout=out)
    assert "Added data key encrypt v2" in out.getvalue() and "Retired data key encrypt v1" in out.getvalue()
    assert "keys_rotate" in err.getvalue() and "rows" in err.getvalue()  # the progress bar
    status = StringIO()
    call_command("keys_status", stdout=status)
    lines = status.getvalue().splitlines()
    assert re.search(r"encrypt\s+1\s+retired .* 0$", lines[1])
    assert re.search(r"encrypt\s+2\s+current .* 40$", lines[2])  # 12 x (number, holder, note) + 4 phones
    # An interrupted rotation must be finished before another starts.
    key_versions_add(purposes=[KeyPurpose.ENCRYPT])
    with pytest.raises(CommandError, match="--resume"):
        call_command("keys_rotate", stdout=StringIO())
    call_command("keys_rotate", "--resume", stdout=StringIO())
    assert rows_pending(PROBE_MODELS) == 0
