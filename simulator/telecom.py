"""A simulated telecom operator: answers `number_block` queries, keeping its blocks in memory.

Deterministic for a seed and a clock: the operator starts with `PRESET_BLOCKS` numbers
blocked already (by earlier cases), drawn from the seed, each ending a seeded number of days
and seconds after the operator started, so the same seed and clock give the same answers.
For each number asked about, in this order:

- a protected number (an emergency, government or service line, `tables.PROTECTED_NUMBERS`)
  is refused `protected_number`, never blocked;
- a number whose block is in force answers `already_blocked` with that block's end;
- any other number is blocked from now for the period asked, and answers `blocked` with its end.

Numbers are compared as digits (spaces, hyphens and a `+86` country code aside), so
`+86 138 1234 5678` and `13812345678` are one number. The answer repeats the number as asked.
"""

from __future__ import annotations

import random
import re
import threading
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from afx_sdk import Answer, MalformedMessage, Query
from afx_sdk.kinds.number_block import NUMBER_BLOCK, NumberBlock, NumberBlockResult, TelecomRefusal

from .dataset import DEFAULT_SEED
from .tables import PROTECTED_NUMBERS, TELECOM_PARTNERS

TELECOM_KINDS = (NUMBER_BLOCK,)
PRESET_BLOCKS = 20
# The mobile prefixes the preset numbers are drawn from (中国电信's).
MOBILE_PREFIXES = ("133", "149", "153", "173", "177", "180", "181", "189", "199")

_NON_DIGITS = re.compile(r"\D")
_CN_MOBILE_WITH_CODE = re.compile(r"^(?:00)?86(1\d{10})$")


def number_key(phone_number: str) -> str:
    """The number as the operator files it: its digits, without the +86 of a mainland mobile."""
    digits = _NON_DIGITS.sub("", unicodedata.normalize("NFKC", phone_number))
    match = _CN_MOBILE_WITH_CODE.match(digits)
    return match.group(1) if match else digits


def preset_blocks(
    started: datetime, seed: int = DEFAULT_SEED, count: int = PRESET_BLOCKS
) -> dict[str, datetime]:
    """The numbers blocked before the operator `started`, and until when: the same for a seed,
    each ending one to 180 days (and some seconds) after `started`."""
    rng = random.Random(f"telecom-blocks-{seed}")  # noqa: S311 - synthetic data, not secrets
    blocks: dict[str, datetime] = {}
    while len(blocks) < count:
        number = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        blocks[number] = started + timedelta(days=rng.randint(1, 180), seconds=rng.randrange(86_400))
    return blocks


class SimulatedTelecom:
    """One AFX telecom operator: a `Handler` for `number_block` (route the kind to it)."""

    def __init__(
        self,
        partner: str,
        *,
        seed: int = DEFAULT_SEED,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        protected: frozenset[str] = PROTECTED_NUMBERS,
    ) -> None:
        if partner not in TELECOM_PARTNERS:
            raise ValueError(f"Unknown telecom {partner!r}; known: {', '.join(sorted(TELECOM_PARTNERS))}.")
        self.partner = partner
        self.seed = seed
        self.clock = clock
        self.protected = frozenset(number_key(number) for number in protected)
        self.started = clock()
        self._blocks = preset_blocks(self.started, seed)
        self._lock = threading.Lock()

    def preset(self) -> dict[str, datetime]:
        """The numbers blocked when the operator started (by earlier cases), and until when."""
        return preset_blocks(self.started, self.seed)

    def blocked_until(self, phone_number: str) -> datetime | None:
        """The end of the block in force on the number, or None."""
        with self._lock:
            until = self._blocks.get(number_key(phone_number))
        return until if until is not None and until > self.clock() else None

    def handle(self, query: Query) -> Answer[NumberBlockResult]:
        if query.kind != NUMBER_BLOCK:
            return Answer.failed(reason=f"This operator does not answer {query.kind} queries.")
        try:
            block = NumberBlock.from_query(query)
        except MalformedMessage:
            return Answer.failed(reason="The query's input is not a valid number_block input.")
        return Answer.answered(self.block(block))

    def block(self, block: NumberBlock) -> NumberBlockResult:
        asked, key = block.phone_number, number_key(block.phone_number)
        if key in self.protected:
            return NumberBlockResult.refused(asked, TelecomRefusal.PROTECTED_NUMBER)
        now = self.clock()
        with self._lock:
            until = self._blocks.get(key)
            if until is not None and until > now:
                return NumberBlockResult.already_blocked(asked, until)
            until = now + timedelta(days=block.period_days)
            self._blocks[key] = until
        return NumberBlockResult.blocked(asked, until)
