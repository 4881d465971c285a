"""Normalisers and digests: equal values meet, different kinds and keys do not."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privacy.blind_index import SIZE, digest, digests, normalise, version_of
from privacy.choices import Kind

KEY = os.urandom(32)


@pytest.mark.parametrize(
    ("kind", "typed", "normalised"),
    [
        (Kind.ACCOUNT, "6222 0212-3456 7891 234", "6222021234567891234"),
        (Kind.ACCOUNT, "\uff16\uff12\uff12\uff12\uff10", "62220"),  # full-width digits
        (Kind.PHONE, "+86 138-1234-5678", "13812345678"),
        (Kind.PHONE, "0086 13812345678", "13812345678"),
        (Kind.PHONE, "010 8888 6666", "01088886666"),
        (Kind.NAME, "  Zhang   San ", "zhang san"),
        (Kind.NAME, "\uff3a\uff28\uff21\uff2e\uff27 San", "zhang san"),
        (Kind.NAME, " 张三 ", "张三"),
        (Kind.ID_NUMBER, "110105 19491231 002x", "11010519491231002X"),
        (Kind.ORDER_NUMBER, " 4200 0012 34 ", "4200001234"),
    ],
)
def test_normalise(kind: str, typed: str, normalised: str) -> None:
    assert normalise(kind, typed) == normalised


def test_equal_values_meet_and_the_digest_names_its_version() -> None:
    stored = digest(KEY, 4, Kind.ACCOUNT, "6222 0212 3456 7891 234")
    assert stored == digest(KEY, 4, Kind.ACCOUNT, "6222021234567891234")
    assert stored is not None and len(stored) == SIZE and version_of(stored) == 4


def test_kind_and_key_separate_digests() -> None:
    as_phone = digest(KEY, 1, Kind.PHONE, "13812345678")
    assert as_phone != digest(KEY, 1, Kind.ACCOUNT, "13812345678")
    assert as_phone != digest(os.urandom(32), 1, Kind.PHONE, "13812345678")


def test_nothing_to_find_has_no_digest() -> None:
    assert digest(KEY, 1, Kind.ACCOUNT, " - ") is None
    assert digests([(1, KEY), (2, os.urandom(32))], Kind.ACCOUNT, "") == []


def test_a_lookup_tries_every_key_version() -> None:
    old, new = os.urandom(32), os.urandom(32)
    found = digests([(2, new), (1, old)], Kind.PHONE, "13812345678")
    assert found == [digest(new, 2, Kind.PHONE, "13812345678"), digest(old, 1, Kind.PHONE, "13812345678")]


@given(st.text(alphabet="0123456789 -", min_size=1))
def test_separators_never_change_an_account_digest(typed: str) -> None:
    bare = typed.replace(" ", "").replace("-", "")
    assert digest(KEY, 1, Kind.ACCOUNT, typed) == digest(KEY, 1, Kind.ACCOUNT, bare)
