"""The stored form of an encrypted value, and the associated data that binds it to its row.

Layout of a stored value (bytes, in a BLOB/bytea column):

    offset 0   1 byte    format version (1)
    offset 1   4 bytes   data key version, big-endian
    offset 5   12 bytes  random nonce, fresh for every value
    offset 17  ...       AES-256-GCM ciphertext of the padded UTF-8 plaintext, then the 16-byte tag

The header is readable without a key, so rotation and `keys_status` can tell which key a
row needs without decrypting anything. The header is also part of the associated data, so
it cannot be altered. The associated data names the model, the field and the row's primary
key: a value copied into another column, table or row fails authentication instead of
decrypting into the wrong place.

The plaintext is padded to a multiple of 16 bytes before encryption (ISO/IEC 7816-4), so
the stored length says little about the value's length (a 16- and a 19-digit account, or
names of two and four characters, look the same).
"""

from __future__ import annotations

import base64
import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import DecryptionError

FORMAT_VERSION = 1
HEADER = struct.Struct(">BI")
KEY_VERSION_OFFSET = 1
NONCE_SIZE = 12
TAG_SIZE = 16
PAD_BLOCK = 16
MIN_SIZE = HEADER.size + NONCE_SIZE + PAD_BLOCK + TAG_SIZE
# How a ciphertext is written in text form (`dumpdata`), so it is never taken for plaintext.
SEALED_TEXT_PREFIX = "afx-sealed:"


@dataclass(frozen=True, slots=True)
class Ciphertext:
    """A stored value as read from the database: opaque until a row-bound decryption.

    This, never plaintext, is what `values()`, `values_list()` and serializers of raw field
    values see; its repr names only the key version and the size.
    """

    data: bytes

    def __repr__(self) -> str:
        return f"<Ciphertext key v{self.key_version_or_none()}, {len(self.data)} bytes>"

    @property
    def key_version(self) -> int:
        """The data key version in the header; raises `DecryptionError` if the header is not ours."""
        version = self.key_version_or_none()
        if version is None:
            raise DecryptionError("Stored value is not an AFX ciphertext (bad header or length).")
        return version

    def key_version_or_none(self) -> int | None:
        if len(self.data) < MIN_SIZE:
            return None
        fmt, version = HEADER.unpack_from(self.data)
        return version if fmt == FORMAT_VERSION else None

    def to_text(self) -> str:
        return SEALED_TEXT_PREFIX + base64.b64encode(self.data).decode("ascii")


def binding(label: str, field_name: str, pk: object) -> bytes:
    """Associated data for one value: which model (`app_label.model`), which field, which row."""
    return "\x00".join(("afx-field-v1", label, field_name, str(pk))).encode()


def seal(aead: AESGCM, key_version: int, plaintext: str, bound_to: bytes) -> Ciphertext:
    """Encrypt `plaintext` under the data key `key_version`, bound to `bound_to`."""
    header = HEADER.pack(FORMAT_VERSION, key_version)
    nonce = os.urandom(NONCE_SIZE)
    encrypted = aead.encrypt(nonce, _pad(plaintext.encode()), header + bound_to)
    return Ciphertext(header + nonce + encrypted)


def unseal(aead: AESGCM, value: Ciphertext, bound_to: bytes) -> str:
    """Decrypt `value`; any tampering, wrong key or wrong binding raises `DecryptionError`."""
    version = value.key_version  # raises unless the header is ours
    data = value.data
    header = data[: HEADER.size]
    nonce = data[HEADER.size : HEADER.size + NONCE_SIZE]
    try:
        padded = aead.decrypt(nonce, data[HEADER.size + NONCE_SIZE :], header + bound_to)
    except InvalidTag:
        # `from None`: the chained context would add nothing and must not carry data along.
        raise DecryptionError(
            f"Stored value under key v{version} failed authentication: "
            "tampered, moved from another row, field or table, or a wrong master key."
        ) from None
    return _unpad(padded).decode()


def _pad(data: bytes) -> bytes:
    return data + b"\x80" + b"\x00" * (-(len(data) + 1) % PAD_BLOCK)


def _unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise DecryptionError("Stored value has invalid padding.")
    return stripped[:-1]
