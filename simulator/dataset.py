"""A deterministic synthetic data set of orders, computed on demand instead of stored.

Order i of a platform is a pure function of (platform, seed, i), so a data set of 100,000 or
10 million orders takes no memory and no start-up time, and every process given the same
seed (the simulator, the tests, the demo, the benchmark) agrees on every order.

An order number is the platform's two-letter prefix, the payment date (YYYYMMDD), an
8-digit serial and a Luhn check digit: `PL 20250424 18245185 3`. The serial is the order's
index under a seeded affine permutation of 0..10^8-1, so numbers do not reveal how many
orders there are and a lookup inverts it in O(1): parse, verify the check digit, recover the
index, regenerate the order and compare.

The payee accounts come from a pool of "mule" accounts shared by all platforms with the same
seed, so one fraudster's account turns up behind many victims' orders, as it does in practice.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache

from afx_sdk import Answer, OrderLookupResult

from .tables import BANKS, GIVEN_NAME_CHARACTERS, PLATFORMS, SURNAMES, Bank

DEFAULT_ORDERS = 100_000
DEFAULT_SEED = 42
MULE_ACCOUNTS = 5_000
SERIAL_SPACE = 10**8
CHINA_TIME = timezone(timedelta(hours=8))
FIRST_PAYMENT = datetime(2024, 1, 1, tzinfo=CHINA_TIME)
PAYMENT_SPAN_SECONDS = 548 * 24 * 3600  # 2024-01-01 to 2025-07-01
ORDER_DIGITS = re.compile(r"[0-9]{17}")
DOUBLED = {str(digit): (2 * digit) - 9 if digit > 4 else 2 * digit for digit in range(10)}


def luhn_check_digit(digits: str) -> str:
    """The digit that makes `digits` + it pass the Luhn check (bank cards use the same rule)."""
    reverse = digits[::-1]  # from the right: the 1st, 3rd, ... digit is doubled (9 off past 9)
    total = sum(map(DOUBLED.__getitem__, reverse[0::2])) + sum(map(int, reverse[1::2]))
    return str(-total % 10)


def luhn_valid(number: str) -> bool:
    return len(number) > 1 and luhn_check_digit(number[:-1]) == number[-1]


def _rng(*parts: object) -> random.Random:
    """A generator seeded by a string: the same on every machine and Python run (no hash salt)."""
    return random.Random(":".join(map(str, parts)))  # noqa: S311 - synthetic data, not secrets


@dataclass(frozen=True)
class Account:
    bank: Bank
    number: str = field(repr=False)
    holder_name: str = field(repr=False)


@dataclass(frozen=True)
class Order:
    number: str
    amount: Decimal
    paid_at: datetime
    payer: Account  # the victim
    payee: Account  # where the money went: what the police ask for

    def answer(self) -> Answer[OrderLookupResult]:
        return Answer.answered(
            OrderLookupResult(
                bank=self.payee.bank.name,
                account_number=self.payee.number,
                holder_name=self.payee.holder_name,
                amount=self.amount,
                paid_at=self.paid_at,
            )
        )


def _account(rng: random.Random) -> Account:
    bank = rng.choice(BANKS)
    body = bank.bin + "".join(str(rng.randrange(10)) for _ in range(bank.length - len(bank.bin) - 1))
    given = "".join(rng.choice(GIVEN_NAME_CHARACTERS) for _ in range(rng.choice((1, 2, 2))))
    return Account(bank=bank, number=body + luhn_check_digit(body), holder_name=rng.choice(SURNAMES) + given)


@lru_cache(maxsize=MULE_ACCOUNTS)
def mule_account(seed: int, index: int) -> Account:
    return _account(_rng("mule", seed, index))


class Dataset:
    """The orders of one platform for one seed; order numbers outside `orders` are not found."""

    def __init__(self, partner: str, *, seed: int = DEFAULT_SEED, orders: int = DEFAULT_ORDERS) -> None:
        if partner not in PLATFORMS:
            raise ValueError(f"Unknown platform {partner!r}; known: {', '.join(sorted(PLATFORMS))}.")
        if not 0 < orders <= SERIAL_SPACE:
            raise ValueError(f"A platform holds between 1 and {SERIAL_SPACE} orders.")
        self.platform = PLATFORMS[partner]
        self.seed = seed
        self.orders = orders
        rng = _rng("serial", partner, seed)
        # A multiplier coprime with 10 makes i -> (a*i + b) mod 10^8 a permutation.
        self._multiplier = rng.randrange(1, SERIAL_SPACE, 2)
        if self._multiplier % 5 == 0:
            self._multiplier += 2
        self._inverse = pow(self._multiplier, -1, SERIAL_SPACE)
        self._offset = rng.randrange(SERIAL_SPACE)

    def _payment(self, index: int) -> tuple[random.Random, int, datetime, Decimal]:
        """Order `index`'s generator and its first draws: the payee's mule index, when, how much.

        The payee comes first so that `payments_by_payee` draws only these three per order.
        """
        rng = _rng("order", self.platform.code, self.seed, index)
        payee = rng.randrange(MULE_ACCOUNTS)
        paid_at = FIRST_PAYMENT + timedelta(seconds=rng.randrange(PAYMENT_SPAN_SECONDS))
        # Log-normal around a few thousand yuan: mostly hundreds to tens of thousands.
        cents = min(max(int(rng.lognormvariate(math.log(300_000), 1.2)), 1_000), 100_000_000)
        return rng, payee, paid_at, Decimal(cents).scaleb(-2)

    def order(self, index: int) -> Order:
        rng, payee, paid_at, amount = self._payment(index)
        serial = (self._multiplier * index + self._offset) % SERIAL_SPACE
        digits = f"{paid_at:%Y%m%d}{serial:08d}"
        return Order(
            number=self.platform.prefix + digits + luhn_check_digit(digits),
            amount=amount,
            paid_at=paid_at,
            payer=_account(rng),
            payee=mule_account(self.seed, payee),
        )

    def payments_by_payee(self) -> dict[int, list[tuple[datetime, Decimal]]]:
        """Every order's payment (time, amount), by the payee's mule index: a bank's statement of
        the credits into its tier-1 accounts. A full scan (about 6 µs an order); use `payments`."""
        payments: dict[int, list[tuple[datetime, Decimal]]] = {}
        for index in range(self.orders):
            _, payee, paid_at, amount = self._payment(index)
            payments.setdefault(payee, []).append((paid_at, amount))
        return payments

    def lookup(self, order_number: str) -> Order | None:
        """The order with this number, or None if the number is malformed or unknown."""
        prefix, digits = order_number[:2], order_number[2:]
        if prefix != self.platform.prefix or not ORDER_DIGITS.fullmatch(digits) or not luhn_valid(digits):
            return None
        index = (int(digits[8:16]) - self._offset) * self._inverse % SERIAL_SPACE
        if index >= self.orders:
            return None
        order = self.order(index)
        return order if order.number == order_number else None  # the date part must match too

    def answer(self, order_number: str) -> Answer[OrderLookupResult]:
        order = self.lookup(order_number)
        return order.answer() if order is not None else Answer.not_found(reason="No order with this number.")

    def sample_order_numbers(self, n: int) -> list[str]:
        indexes = _rng("sample", self.platform.code, self.seed).sample(range(self.orders), n)
        return [self.order(index).number for index in indexes]


@lru_cache(maxsize=16)
def dataset(partner: str, seed: int = DEFAULT_SEED, orders: int = DEFAULT_ORDERS) -> Dataset:
    return Dataset(partner, seed=seed, orders=orders)


@lru_cache(maxsize=16)
def payments(
    partner: str, seed: int = DEFAULT_SEED, orders: int = DEFAULT_ORDERS
) -> dict[int, list[tuple[datetime, Decimal]]]:
    """`Dataset.payments_by_payee`, computed once per (platform, seed, orders) in a process."""
    return dataset(partner, seed, orders).payments_by_payee()


def sample_order_numbers(
    partner: str, n: int, seed: int = DEFAULT_SEED, *, orders: int = DEFAULT_ORDERS
) -> list[str]:
    """`n` distinct, valid order numbers of the platform, the same for the same arguments."""
    return dataset(partner, seed, orders).sample_order_numbers(n)


def expected_answer(
    partner: str, order_number: str, seed: int = DEFAULT_SEED, *, orders: int = DEFAULT_ORDERS
) -> Answer[OrderLookupResult]:
    """The answer the simulated platform gives for this order number: what tests compare with."""
    return dataset(partner, seed, orders).answer(order_number)
