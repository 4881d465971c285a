"""Errors of the privacy layer. None of their messages ever holds a plaintext or a ciphertext."""

from django.core.exceptions import PermissionDenied


class PrivacyError(Exception):
    """Base class of every error raised by the privacy layer."""


class DecryptionError(PrivacyError):
    """A stored value could not be decrypted: tampered, moved to another row, field or table,
    or sealed under a key this gateway does not hold.

    It is never caught to hand back the stored bytes instead: a value we cannot read is data
    loss or an attack, and the request must stop.
    """


class KeyringError(PrivacyError):
    """No usable data key: the keyring is empty or a data key cannot be unwrapped."""


class PlaintextWriteRefused(PrivacyError, TypeError):
    """Plaintext reached the database layer without passing through `Model.save()`.

    `QuerySet.update()`, `bulk_update()` and `filter()` have no row to bind a ciphertext to,
    so they would store or compare plaintext; they are refused instead.
    """


class RevealDenied(PrivacyError, PermissionDenied):
    """The actor may not see this plaintext (role, missing purpose, or a secret)."""

    # The reveal records its refusal field by field before raising it.
    audited = True
