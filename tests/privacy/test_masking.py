"""Masks for every kind, including Chinese names and values too short to show anything."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privacy.blind_index import normalise
from privacy.choices import Kind
from privacy.masking import HIDDEN, mask


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        (Kind.ACCOUNT, "6222021234561234", "6222 **** **** 1234"),
        (Kind.ACCOUNT, "6222 0212 3456 1234 567", "6222 **** **** 4567"),  # length hidden too
        (Kind.ACCOUNT, "12345678", "**** 78"),
        (Kind.ACCOUNT, "1234", HIDDEN),
        (Kind.NAME, "张三", "张*"),
        (Kind.NAME, "张三丰", "张*"),
        (Kind.NAME, "欧阳娜娜", "欧*"),
        (Kind.NAME, "张", "*"),
        (Kind.NAME, " Zhang San ", "Z*"),
        (Kind.PHONE, "13812345678", "138****5678"),
        (Kind.PHONE, "+86 138 1234 5678", "138****5678"),
        (Kind.PHONE, "88886666", "****66"),
        (Kind.PHONE, "110", HIDDEN),
        (Kind.ID_NUMBER, "11010519491231002X", "110*************2X"),
        (Kind.ID_NUMBER, "E12345678", "E******8"),
        (Kind.ID_NUMBER, "12345", HIDDEN),
        (Kind.ORDER_NUMBER, "4200001234202401011234567890", "4200****7890"),
        (Kind.ORDER_NUMBER, "98765432", "****32"),
        (Kind.ORDER_NUMBER, "123", HIDDEN),
        (Kind.FREE_TEXT, "the victim 张三 called from 13812345678", HIDDEN),
        (Kind.SECRET, "hmac-signing-secret", HIDDEN),
        (Kind.NAME, "", ""),
        (Kind.ACCOUNT, "   ", ""),
    ],
)
def test_mask(kind: str, value: str, masked: str) -> None:
    assert mask(kind, value) == masked


DIGITS = st.text(alphabet="0123456789", min_size=6, max_size=30)
CHINESE = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=2, max_size=6)


@given(st.sampled_from([Kind.ACCOUNT, Kind.PHONE, Kind.ORDER_NUMBER, Kind.ID_NUMBER]), DIGITS)
def test_a_mask_shows_neither_the_whole_number_nor_over_eight_digits(kind: str, number: str) -> None:
    masked = mask(kind, number)
    assert normalise(kind, number) not in masked
    assert sum(c.isdigit() for c in masked) <= 8


@given(CHINESE)
def test_a_chinese_name_shows_its_first_character_only(name: str) -> None:
    assert mask(Kind.NAME, name) == f"{name[0]}*"


@given(st.sampled_from([Kind.FREE_TEXT, Kind.SECRET]), st.text(min_size=1).filter(str.strip))
def test_free_text_and_secrets_show_nothing(kind: str, value: str) -> None:
    assert mask(kind, value) == HIDDEN
