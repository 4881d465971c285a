"""Instructions signed by the ordering police unit: what a bank checks before it stops or freezes.

The 2016 rules on emergency stop-payment require the instruction to bear the unit's electronic
signature. The gateway signs every stop-payment and freeze it delivers with the unit's own
Ed25519 key; the public keys are published at `/api/v1/signing-keys/` (`use: "unit"`, with
the unit's code). A bank verifies the signature over the instruction itself, not over the
HTTP request, so it can keep the instruction and prove later, to anybody, which unit ordered
the stop, whatever carried it (a push, a pull, a copy in its case file).

What is signed: the bytes `afx-instruction-v1\\n` followed by the canonical JSON (keys sorted,
no spaces, UTF-8) of the query's `id`, `kind`, `partner`, `unit`, `case_reference`, `input`
and `created_at`, exactly as the query message carries them. The message's `instruction`
holds `unit`, `key_id` (the key's fingerprint) and `signature` (base64url, no padding).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .signing import key_fingerprint

if TYPE_CHECKING:
    from .models import Query

DOMAIN = b"afx-instruction-v1\n"
SIGNED_FIELDS = ("id", "kind", "partner", "case_reference", "input", "created_at")
INSTRUCTED_KINDS = frozenset({"stop_payment", "freeze", "freeze_renew", "freeze_release"})

UnitKeys = Mapping[str, tuple[str, Ed25519PublicKey]]
"""Key id to (unit code, public key), as `afx_sdk.client.fetch_unit_keys` returns them."""


class InstructionError(ValueError):
    """The instruction's signature cannot be accepted; the message names the problem, never a value."""


def signed_bytes(message: Mapping[str, Any], unit: str) -> bytes:
    """The bytes the unit's key signs for the query `message` (its wire JSON)."""
    content = {name: message.get(name) for name in SIGNED_FIELDS}
    content["unit"] = unit
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return DOMAIN + canonical.encode()


def sign(message: Mapping[str, Any], unit: str, key: Ed25519PrivateKey) -> dict[str, str]:
    """The `instruction` to add to `message`: the unit, its key's id and the signature."""
    signature = key.sign(signed_bytes(message, unit))
    return {
        "unit": unit,
        "key_id": key_fingerprint(key.public_key()),
        "signature": base64.urlsafe_b64encode(signature).rstrip(b"=").decode(),
    }


def verify(message: Mapping[str, Any], unit_keys: UnitKeys, *, partner: str) -> str:
    """The code of the unit that signed `message`'s instruction to `partner` (the verifier's own
    code), or raise `InstructionError`.

    `unit_keys` maps key ids to (unit code, public key), as the gateway publishes them; an
    instruction addressed to another partner, a key id not in it, a key of another unit than
    the one named, a signature that does not verify, or a message without an instruction is
    refused. A bank acts on an instruction once per query id (the SDK's `AnswerCache`), so a
    copy delivered again is answered, not executed twice.
    """
    if message.get("partner") != partner:
        raise InstructionError("The instruction is addressed to another partner.")
    instruction = message.get("instruction")
    if not isinstance(instruction, Mapping):
        raise InstructionError("The query carries no signed instruction.")
    unit, key_id, signature = (instruction.get(name) for name in ("unit", "key_id", "signature"))
    if not (isinstance(unit, str) and isinstance(key_id, str) and isinstance(signature, str)):
        raise InstructionError("The instruction lacks its unit, key id or signature.")
    published = unit_keys.get(key_id)
    if published is None or published[0] != unit:
        raise InstructionError("The instruction is signed with a key that is not the unit's published key.")
    key = published[1]
    try:
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        key.verify(raw, signed_bytes(message, unit))
    except (binascii.Error, ValueError, InvalidSignature):
        raise InstructionError("The instruction's signature does not verify.") from None
    return unit


def verify_query(query: Query, unit_keys: UnitKeys, *, partner: str) -> str:
    """`verify` for a parsed `Query`: the message is rebuilt with `Query.to_json`, which gives
    back every signed field as received (`created_at` in Python's ISO 8601 form, the form the
    gateway sends)."""
    return verify(query.to_json(), unit_keys, partner=partner)
