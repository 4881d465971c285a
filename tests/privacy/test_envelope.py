"""The stored format: round trip, authentication of every byte, binding to model, field and row."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from privacy.envelope import MIN_SIZE, Ciphertext, binding, seal, unseal
from privacy.errors import DecryptionError

KEY = AESGCM(os.urandom(32))
HERE = binding("cases.account", "number", "0c7f2b52-5f4e-4b43-9d38-5d0b4c1c7f10")


@given(st.text())
def test_round_trip_any_text(plaintext: str) -> None:
    assert unseal(KEY, seal(KEY, 7, plaintext, HERE), HERE) == plaintext


def test_header_names_the_key_version_and_nonces_are_fresh() -> None:
    first, second = seal(KEY, 3, "6222021234567891234", HERE), seal(KEY, 3, "6222021234567891234", HERE)
    assert first.key_version == second.key_version == 3
    assert first.data != second.data


@given(st.text(max_size=15), st.text(max_size=15))
def test_padding_hides_length_within_a_block(a: str, b: str) -> None:
    if len(a.encode()) < 16 and len(b.encode()) < 16:
        assert len(seal(KEY, 1, a, HERE).data) == len(seal(KEY, 1, b, HERE).data) == MIN_SIZE


def test_every_tampered_byte_is_detected() -> None:
    sealed = seal(KEY, 1, "张三", HERE)
    for position in range(len(sealed.data)):
        tampered = bytearray(sealed.data)
        tampered[position] ^= 0x01
        with pytest.raises(DecryptionError):
            unseal(KEY, Ciphertext(bytes(tampered)), HERE)


@pytest.mark.parametrize(
    "elsewhere",
    [
        binding("cases.account", "number", "9a1e0f0e-0000-4000-8000-000000000000"),  # another row
        binding("cases.account", "holder", "0c7f2b52-5f4e-4b43-9d38-5d0b4c1c7f10"),  # another field
        binding("cases.transfer", "number", "0c7f2b52-5f4e-4b43-9d38-5d0b4c1c7f10"),  # another table
    ],
    ids=["row", "field", "table"],
)
def test_value_moved_elsewhere_fails(elsewhere: bytes) -> None:
    with pytest.raises(DecryptionError):
        unseal(KEY, seal(KEY, 1, "13812345678", HERE), elsewhere)


def test_wrong_key_fails_and_the_error_holds_no_data() -> None:
    sealed = seal(KEY, 1, "13812345678", HERE)
    with pytest.raises(DecryptionError) as error:
        unseal(AESGCM(os.urandom(32)), sealed, HERE)
    assert "13812345678" not in str(error.value)
    assert sealed.data.hex() not in str(error.value)
    assert error.value.__cause__ is None and error.value.__suppress_context__


@pytest.mark.parametrize("data", [b"", b"\x01\x00", b"\x02" + bytes(60)], ids=["empty", "short", "format"])
def test_malformed_values_fail(data: bytes) -> None:
    with pytest.raises(DecryptionError):
        unseal(KEY, Ciphertext(data), HERE)


def test_repr_and_text_form_show_no_plaintext() -> None:
    sealed = seal(KEY, 2, "张三丰", HERE)
    assert repr(sealed) == f"<Ciphertext key v2, {len(sealed.data)} bytes>"
    assert "张三丰" not in sealed.to_text()
