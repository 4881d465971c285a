"""The synthetic data set: deterministic, self-checking order numbers, real-looking accounts."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afx_sdk import AnswerStatus
from simulator.dataset import (
    MULE_ACCOUNTS,
    Dataset,
    expected_answer,
    luhn_check_digit,
    luhn_valid,
    sample_order_numbers,
)
from simulator.tables import BANKS, PLATFORMS

PAYLINK = Dataset("paylink", seed=42, orders=100_000)
indexes = st.integers(min_value=0, max_value=99_999)


def test_luhn_matches_known_card_numbers():
    assert luhn_check_digit("7992739871") == "3"  # the textbook example
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")


@given(indexes)
def test_every_order_is_found_by_its_number(index):
    order = PAYLINK.order(index)
    assert re.fullmatch(r"PL20(24|25)[0-9]{13}", order.number)
    assert luhn_valid(order.number[2:])
    assert PAYLINK.lookup(order.number) == order
    assert order.number[2:10] == f"{order.paid_at:%Y%m%d}"


@given(indexes, st.integers(min_value=2, max_value=18), st.integers(min_value=1, max_value=9))
def test_a_mistyped_digit_is_not_found(index, position, delta):
    number = PAYLINK.order(index).number
    mistyped = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    assert PAYLINK.lookup(mistyped) is None  # the check digit catches every single-digit error


@given(indexes, st.integers(min_value=2, max_value=17))
def test_swapped_neighbours_are_not_found(index, position):
    number = PAYLINK.order(index).number
    if number[position] == number[position + 1] or {number[position], number[position + 1]} == {"0", "9"}:
        return  # nothing swapped, or Luhn's one blind spot (09 <-> 90)
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    assert PAYLINK.lookup(swapped) is None


@given(st.text(max_size=24))
def test_arbitrary_text_is_not_found_and_never_raises(text):
    assert PAYLINK.lookup(text) is None


def test_malformed_and_foreign_numbers_are_not_found():
    number = PAYLINK.order(5).number
    swiftpay = Dataset("swiftpay", seed=42, orders=100_000).order(5).number
    for candidate in ("", "PL", number[:-1], number + "0", number.lower(), "SP" + number[2:], swiftpay):
        assert PAYLINK.lookup(candidate) is None
    assert PAYLINK.lookup(number.replace(number[3], "٣", 1)) is None  # non-ASCII digits


def test_orders_beyond_the_data_set_are_not_found():
    small = Dataset("paylink", seed=42, orders=10)
    assert small.lookup(small.order(9).number) is not None
    assert small.lookup(small.order(10).number) is None


def test_same_seed_same_data_other_seed_other_data():
    assert Dataset("paylink", seed=42).order(123) == PAYLINK.order(123)
    assert Dataset("paylink", seed=43).order(123).number != PAYLINK.order(123).number
    assert sample_order_numbers("paylink", 20, 42) == sample_order_numbers("paylink", 20, 42)
    assert sample_order_numbers("paylink", 20, 42) != sample_order_numbers("paylink", 20, 43)


def test_sampled_numbers_are_distinct_and_answered():
    numbers = sample_order_numbers("swiftpay", 200, 42, orders=1_000)
    assert len(set(numbers)) == 200
    assert all(number.startswith(PLATFORMS["swiftpay"].prefix) for number in numbers)
    answers = [expected_answer("swiftpay", number, 42, orders=1_000) for number in numbers]
    assert {answer.status for answer in answers} == {AnswerStatus.ANSWERED}
    assert expected_answer("swiftpay", "SP000", 42).status is AnswerStatus.NOT_FOUND


@given(indexes)
def test_accounts_look_like_bank_cards(index):
    order = PAYLINK.order(index)
    for account in (order.payer, order.payee):
        assert account.bank in BANKS
        assert account.number.startswith(account.bank.bin)
        assert len(account.number) == account.bank.length and 16 <= len(account.number) <= 19
        assert luhn_valid(account.number)
        assert 2 <= len(account.holder_name) <= 3
    assert order.amount > 0 and order.amount.as_tuple().exponent == -2


def test_the_answer_is_the_payee_account():
    order = PAYLINK.order(77)
    result = expected_answer("paylink", order.number, 42).result
    assert result is not None
    assert (result.bank, result.account_number, result.holder_name) == (
        order.payee.bank.name,
        order.payee.number,
        order.payee.holder_name,
    )
    assert (result.amount, result.paid_at) == (order.amount, order.paid_at)
    assert result.account_number != order.payer.number


def test_mule_accounts_receive_many_victims_payments_across_platforms():
    swiftpay = Dataset("swiftpay", seed=42)
    payees = [PAYLINK.order(i).payee.number for i in range(2_000)]
    assert len(set(payees)) < len(payees)  # one fraudster's account behind several orders
    assert len(set(payees)) <= MULE_ACCOUNTS
    assert set(payees) & {swiftpay.order(i).payee.number for i in range(2_000)}


def test_unknown_platform_is_refused():
    with pytest.raises(ValueError, match="Unknown platform"):
        Dataset("nopay")
