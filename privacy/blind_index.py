"""Blind indexes: a keyed HMAC of a normalised value, so equal values can be found without decrypting.

A stored index is the 4-byte big-endian index key version followed by the first 16 bytes
of HMAC-SHA256(index key, kind || 0 || normalised value). The version prefix lets a lookup
ask for the digests under every active index key at once (a rotation in progress) and lets
`keys_status` count rows per version. The kind is mixed in so that a phone number and an
account number with the same digits do not link. 128 bits are plenty for exact matching.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import struct
import unicodedata
from collections.abc import Callable, Iterable

from .choices import Kind

VERSION = struct.Struct(">I")
VERSION_OFFSET = 0
DIGEST_SIZE = 16
SIZE = VERSION.size + DIGEST_SIZE

_NON_DIGITS = re.compile(r"\D")
_WHITESPACE = re.compile(r"\s+")
# A Chinese mobile number written with its country code: +86 / 0086 / 86 then 11 digits.
_CN_MOBILE_WITH_CODE = re.compile(r"^(?:00)?86(1\d{10})$")


def _digits(value: str) -> str:
    # NFKC first: full-width digits typed on Chinese keyboards become ASCII digits.
    return _NON_DIGITS.sub("", unicodedata.normalize("NFKC", value))


def _phone(value: str) -> str:
    digits = _digits(value)
    match = _CN_MOBILE_WITH_CODE.match(digits)
    return match.group(1) if match else digits


def _name(value: str) -> str:
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", value)).strip().casefold()


def _compact_upper(value: str) -> str:
    # ID numbers end in a check character that may be typed as `x` or `X`.
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", value)).upper()


def _compact(value: str) -> str:
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", value))


# Kinds that can be searched; free text and secrets have no meaningful exact match.
NORMALISERS: dict[str, Callable[[str], str]] = {
    Kind.ACCOUNT: _digits,
    Kind.PHONE: _phone,
    Kind.NAME: _name,
    Kind.ID_NUMBER: _compact_upper,
    Kind.ORDER_NUMBER: _compact,
}


def normalise(kind: str, value: str) -> str:
    return NORMALISERS[kind](value)


def digest(key: bytes, key_version: int, kind: str, value: str) -> bytes | None:
    """The stored index of `value`; None when it normalises to nothing (nothing to find)."""
    normalised = normalise(kind, value)
    if not normalised:
        return None
    mac = hmac.new(key, f"{kind}\x00{normalised}".encode(), hashlib.sha256).digest()
    return VERSION.pack(key_version) + mac[:DIGEST_SIZE]


def digests(keys: Iterable[tuple[int, bytes]], kind: str, value: str) -> list[bytes]:
    """The index of `value` under each (version, key): what a lookup must match during a rotation."""
    found = (digest(key, version, kind, value) for version, key in keys)
    return [d for d in found if d is not None]


def version_of(stored: bytes) -> int:
    return int(VERSION.unpack_from(stored)[0])
