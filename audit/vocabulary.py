"""The registry of audited actions: each app declares its own, so a new one needs no migration here.

An app (or a request kind) writes its actions as a `models.TextChoices` and registers them
once, when it is loaded (`register`), saying which traits each has. `event_record` refuses
an action nobody registered, and the audit log stores the value as plain text, so adding
an action changes no table. The log's readers (the anomaly reports) ask for actions by
trait, never by another app's name, as Sentry's audit-log events are registered by the
code that emits them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import models


class Trait(StrEnum):
    """What the anomaly reports need to know about an action, whichever app owns it."""

    # Reads a case's data: a submission, a reveal, a case opened for reading.
    CASE_ACCESS = "case_access"
    # Asks a partner about a subject (details carry `subject_index`, the blind index).
    SUBJECT_LOOKUP = "subject_lookup"
    # Shows plaintext personal data to a person.
    REVEAL = "reveal"
    # Closes a case: later reads of it are suspicious.
    CASE_CLOSE = "case_close"
    # Part of signing in or of refusing a request: not an act on data.
    PASSIVE = "passive"


@dataclass(frozen=True)
class ActionSpec:
    value: str
    label: str
    app: str
    traits: frozenset[Trait]


_registry: dict[str, ActionSpec] = {}


def register(
    app: str, actions: type[models.TextChoices], traits: Mapping[Any, Iterable[Trait]] | None = None
) -> None:
    """Declare `app`'s actions; registering one value twice (from two apps) is an error."""
    traits = traits or {}
    unknown = set(traits) - set(actions.values)
    if unknown:
        raise ValueError(f"traits given for actions {sorted(unknown)} that {actions.__name__} does not hold")
    for action in actions:
        spec = ActionSpec(action.value, str(action.label), app, frozenset(traits.get(action, ())))
        known = _registry.get(action.value)
        if known is not None and known != spec:
            raise ValueError(f"audit action {action.value!r} is registered by {known.app} already")
        _registry[action.value] = spec


def is_registered(value: str) -> bool:
    return value in _registry


def spec(value: str) -> ActionSpec:
    return _registry[value]


def with_trait(trait: Trait) -> frozenset[str]:
    """The values of every registered action that has `trait`."""
    return frozenset(value for value, known in _registry.items() if trait in known.traits)


def choices() -> list[tuple[str, str]]:
    """Every registered action as (value, label), sorted by value: for filters and forms."""
    return sorted((value, known.label) for value, known in _registry.items())
