"""What `privacy` tells the apps above it about its keys, without importing them.

`privacy` sits under `audit` in the layers, yet a change of key custody must be audited in
the transaction that makes it. It sends `key_custody_changed` there; `audit` records it
(`audit.key_custody`). Arguments: `action` (a `KeyCustodyAction`), `key` (the `DataKey`),
`actor_name` (the command or task acting) and `details` (codes and key ids, never a key).
"""

from django.db import models
from django.dispatch import Signal

key_custody_changed = Signal()


class KeyCustodyAction(models.TextChoices):
    DATA_KEY_REWRAPPED = "data_key_rewrapped", "Data key re-wrapped under a new master key"
