"""The units' own keys: each police unit signs the stops and freezes it orders.

The gateway keeps one Ed25519 key per unit, its private half encrypted
(`partners.UnitSigningKey`), made on first need: the first stop or freeze a unit sends.
Two deliveries making it at once cannot both succeed (one active key per unit, a unique
constraint): the loser reads the winner's key. `query_to_wire` adds the signed
`instruction` (`afx_sdk.instructions`) to a query of a kind `signed_by_unit`; the public
keys, retired ones included (instructions signed with them must still verify), are
published beside the push keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import IntegrityError, transaction

from afx_sdk import instructions, signing
from partners.models import Partner, UnitSigningKey

UNIT_USE = "unit"


def _active_key(unit: Partner) -> UnitSigningKey | None:
    return UnitSigningKey.objects.filter(unit=unit, retired_at__isnull=True).first()


def unit_key(unit: Partner) -> Ed25519PrivateKey:
    """The unit's active signing key, made now if it has none."""
    held = _active_key(unit)
    if held is None:
        made = signing.generate_private_key()
        try:
            with transaction.atomic():
                held = UnitSigningKey.objects.create(
                    unit=unit,
                    key_id=signing.key_fingerprint(made.public_key()),
                    public_key=signing.public_key_text(made),
                    private_key=signing.private_key_text(made),
                )
        except IntegrityError:  # made by another delivery meanwhile
            held = UnitSigningKey.objects.get(unit=unit, retired_at__isnull=True)
    return signing.load_private_key(str(held.private_key))


def instruction_sign(message: Mapping[str, Any], unit: Partner) -> dict[str, str]:
    """The `instruction` of a query's wire message, signed with the unit's key."""
    return instructions.sign(message, unit.code, unit_key(unit))


def published_unit_keys() -> list[dict[str, Any]]:
    """Every unit's public keys, active and retired, as `/signing-keys/` lists them."""
    return [
        {
            "key_id": key.key_id,
            "algorithm": signing.ALGORITHM,
            "public_key": key.public_key,
            "use": UNIT_USE,
            "unit": key.unit.code,
        }
        for key in UnitSigningKey.objects.select_related("unit").order_by("unit__code", "created_at")
    ]
