"""How personal values are shown by default: masked, so a screen or a response leaks little.

Each kind keeps just enough to tell values apart in a case file (a card's bank prefix and
last digits, a surname) and hides the rest. Masks have a fixed shape where they can, so they
do not reveal the value's length either. Secrets and free text are hidden entirely.
"""

from __future__ import annotations

from collections.abc import Callable

from .blind_index import normalise
from .choices import Kind

HIDDEN = "******"


def _account(value: str) -> str:
    digits = normalise(Kind.ACCOUNT, value)
    if len(digits) >= 12:
        return f"{digits[:4]} **** **** {digits[-4:]}"
    if len(digits) >= 6:
        return f"**** {digits[-2:]}"
    return HIDDEN


def _name(value: str) -> str:
    name = value.strip()
    # A Chinese name keeps its surname (`张三` -> `张*`); a single character shows nothing.
    return f"{name[0]}*" if len(name) > 1 else "*"


def _phone(value: str) -> str:
    digits = normalise(Kind.PHONE, value)
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) >= 7:
        return f"****{digits[-2:]}"
    return HIDDEN


def _id_number(value: str) -> str:
    number = normalise(Kind.ID_NUMBER, value)
    if len(number) >= 15:
        # Resident ID: region prefix and check characters only; the birth date is hidden.
        return f"{number[:3]}{'*' * 13}{number[-2:]}"
    if len(number) >= 8:
        return f"{number[0]}******{number[-1]}"
    return HIDDEN


def _order_number(value: str) -> str:
    number = normalise(Kind.ORDER_NUMBER, value)
    if len(number) >= 12:
        return f"{number[:4]}****{number[-4:]}"
    if len(number) >= 6:
        return f"****{number[-2:]}"
    return HIDDEN


def _hidden(value: str) -> str:
    return HIDDEN


_MASKERS: dict[str, Callable[[str], str]] = {
    Kind.ACCOUNT: _account,
    Kind.NAME: _name,
    Kind.PHONE: _phone,
    Kind.ID_NUMBER: _id_number,
    Kind.ORDER_NUMBER: _order_number,
    Kind.FREE_TEXT: _hidden,
    Kind.SECRET: _hidden,
}


def mask(kind: str, value: str) -> str:
    """`value` as any screen or response shows it by default; an empty value stays empty."""
    return _MASKERS[kind](value) if value.strip() else ""
