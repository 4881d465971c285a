"""Blind-index lookups: one indexed query, normalised input, nothing decrypted."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_django import DjangoAssertNumQueries

from privacy.choices import KeyPurpose
from privacy.keyring import keyring
from privacy.selectors import blind_index_filter, key_usage
from tests.privacy.conftest import ACCOUNT, HOLDER, PHONE
from tests.privacy.probe import ProbeAccount, ProbePhone

pytestmark = pytest.mark.django_db


def _refuse_decryption(*args: Any, **kwargs: Any) -> str:
    raise AssertionError("a lookup decrypted a value")


def test_lookup_finds_equal_values_however_typed_and_decrypts_nothing(
    monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    wanted = ProbeAccount.objects.create(number=ACCOUNT, holder=HOLDER)
    ProbeAccount.objects.create(number="6222000000000000", holder="李四")
    keyring.active(KeyPurpose.INDEX)  # warm: the lookup itself is then one query
    monkeypatch.setattr("privacy.fields.unseal", _refuse_decryption)
    with django_assert_num_queries(1):
        found = list(
            ProbeAccount.objects.filter(blind_index_filter(ProbeAccount, "number", "6222 0212 3456 7891 234"))
        )
    assert [a.pk for a in found] == [wanted.pk]
    by_name = ProbeAccount.objects.filter(blind_index_filter(ProbeAccount, "holder", f"  {HOLDER} "))
    assert list(by_name.values_list("pk", flat=True)) == [wanted.pk]


def test_lookup_is_an_in_query_on_the_index_column() -> None:
    sql = str(ProbePhone.objects.filter(blind_index_filter(ProbePhone, "number", PHONE)).query)
    assert '"number_index" IN (' in sql
    assert PHONE not in sql


def test_nothing_to_search_matches_nothing() -> None:
    ProbeAccount.objects.create(number="")
    assert not ProbeAccount.objects.filter(blind_index_filter(ProbeAccount, "number", " - ")).exists()


def test_a_field_without_index_cannot_be_searched() -> None:
    with pytest.raises(LookupError, match="no BlindIndexField"):
        blind_index_filter(ProbeAccount, "note", "anything")


def test_key_usage_counts_rows_per_version_without_keys() -> None:
    ProbeAccount.objects.create(number=ACCOUNT, holder=None)
    ProbeAccount.objects.create(number=ACCOUNT, holder=HOLDER)
    usage = {(u.field, u.purpose, u.version): u.rows for u in key_usage([ProbeAccount])}
    encrypt, index = keyring.current(KeyPurpose.ENCRYPT).version, keyring.current(KeyPurpose.INDEX).version
    assert usage == {
        ("number", "encrypt", encrypt): 2,
        ("number_index", "index", index): 2,
        ("holder", "encrypt", encrypt): 1,
        ("holder_index", "index", index): 1,
        ("note", "encrypt", encrypt): 2,
    }
