"""What a request kind is: the `KindSpec` a kind's package fills in, and the generic work on it.

A kind says what it takes and answers (DRF serializers), which of those values are personal
(`PersonalValue`: masked on output, revealable under a name, found identifiers kept as
`Finding` rows), its audit actions, its default deadline, whether it needs approval, which
kinds of partner answer it, and what an answer sets off (`on_answer`). Everything else —
storing, delivering, masking, revealing, searching — is done here, the same for every kind,
so a kind's package holds declarations and nothing of the machinery.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import models
from rest_framework import serializers

from audit.reveal import Revealable
from audit.vocabulary import Trait
from core.errors import Invalid
from exchange.choices import FindingKind
from privacy import blind_index
from privacy.masking import mask

if TYPE_CHECKING:
    from exchange.models import Query
    from partners.models import Partner

INVALID_INPUT = "The request is not valid."
INVALID_ANSWER = "The answer's result is not valid for this kind."


@dataclass(frozen=True)
class PersonalValue:
    """A personal value of a kind's input or answer.

    `key` names it in the input or the answer, `kind` (`privacy.choices.Kind`) decides how it
    is masked and matched, `revealed_as` is its name in a reveal's answer and in the audit
    events of the reveal. `found` marks an identifier an answer names (an account, a phone
    number) that is also kept as a `Finding` row, searchable across cases.
    """

    key: str
    kind: str
    revealed_as: str
    found: bool = False


class KindSpec:
    """One request kind. Its package subclasses this, sets every attribute, and exposes an
    instance as `SPEC`; `exchange.kinds.discover` registers it when the exchange app loads."""

    name: ClassVar[str]
    label: ClassVar[str]
    # Which `partners.choices.PartnerKind` values answer it.
    answered_by: ClassVar[frozenset[str]]
    input_schema: ClassVar[type[serializers.Serializer]]
    answer_schema: ClassVar[type[serializers.Serializer]]
    # The input value asked about: stored encrypted with a blind index (`Query.subject`).
    subject: ClassVar[PersonalValue]
    # The personal values of an answer; every other answer value is not personal.
    answer_values: ClassVar[tuple[PersonalValue, ...]]
    # The kind's own audit actions (registered with `audit.vocabulary`), their traits, and
    # the one recorded when a query of this kind is submitted.
    actions: ClassVar[type[models.TextChoices]]
    traits: ClassVar[Mapping[Any, Iterable[Trait]]]
    submitted_action: ClassVar[str]
    default_deadline: ClassVar[timedelta]
    needs_approval: ClassVar[bool] = False

    def on_answer(self, query: Query, answer: dict[str, Any]) -> None:
        """What an answer sets off, inside the answer's transaction: called once, when the
        query is answered with a result (`answer` as the answer schema validated it)."""

    def check(self) -> None:
        """Refuse, at start-up, a spec whose declarations contradict each other."""
        problems = []
        if self.subject.key not in self.input_schema().fields:
            problems.append(f"its subject {self.subject.key!r} is not an input")
        if self.subject.kind not in blind_index.NORMALISERS:
            problems.append(f"its subject's kind {self.subject.kind!r} cannot be searched")
        answer_fields = self.answer_schema().fields
        for value in self.answer_values:
            if value.key not in answer_fields:
                problems.append(f"{value.key!r} is not a value of its answer")
            if value.found and value.kind not in FindingKind.values:
                problems.append(f"{value.key!r}: only {', '.join(FindingKind.values)} values are found")
        names = [self.subject.revealed_as, *(value.revealed_as for value in self.answer_values)]
        if len(set(names)) != len(names) or "partner_reason" in names:
            problems.append("two values are revealed under one name")
        if self.submitted_action not in self.actions.values:
            problems.append(f"{self.submitted_action!r} is not one of its actions")
        if problems:
            raise ValueError(f"request kind {self.name!r}: {'; '.join(problems)}.")

    # Input

    def validate_input(self, partner: Partner, data: Any) -> dict[str, Any]:
        """The kind's own validation, then the partner's input formats (e.g. its order numbers)."""
        values = _validated(self.input_schema, data, INVALID_INPUT, nest=None)
        errors = {
            name: ["Does not match this partner's format."]
            for name, pattern in partner.input_formats.items()
            if name in values and not re.fullmatch(pattern, str(values[name]))
        }
        if errors:
            raise Invalid(INVALID_INPUT, fields=errors)
        return values

    def split_input(self, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The value asked about (encrypted) and the other, non-personal inputs (JSON)."""
        params = {k: (str(v) if v is not None else None) for k, v in values.items() if k != self.subject.key}
        return str(values[self.subject.key]), params

    def wire_input(self, query: Query) -> dict[str, Any]:
        """The input as the partner receives it: the subject in plaintext, with the rest."""
        return {self.subject.key: query.subject, **query.params}

    def masked_input(self, query: Query) -> dict[str, Any]:
        """The input as people see it: the subject masked, with the rest."""
        return {self.subject.key: mask(query.subject_kind, query.subject), **query.params}

    # Answer

    def validate_answer(self, data: Any) -> dict[str, Any]:
        """An answer's result as the answer schema validates it; `Invalid` under `result`."""
        return _validated(self.answer_schema, data, INVALID_ANSWER, nest="result")

    def answer_document(self, answer: dict[str, Any]) -> dict[str, Any]:
        """The validated answer as the document stored (encrypted) in `Query.answer`: the
        answer schema's own rendering, so it reads back the way the API shows it."""
        return dict(self.answer_schema(answer).data)

    def masked_answer(self, query: Query) -> dict[str, Any] | None:
        """The stored answer with every personal value masked; None before an answer."""
        document = query.answer_document()
        if document is None:
            return None
        kinds = {value.key: value.kind for value in self.answer_values}
        return {
            key: mask(kinds[key], value) if key in kinds and isinstance(value, str) else value
            for key, value in document.items()
        }

    def found_in(self, document: dict[str, Any]) -> list[tuple[str, str]]:
        """The identifiers an answer names, as (kind, value), each once."""
        found = [
            (value.kind, document[value.key])
            for value in self.answer_values
            if value.found and isinstance(document.get(value.key), str)
        ]
        return list(dict.fromkeys(found))

    # Reveal

    def revealables(self, query: Query) -> list[Revealable]:
        """What a reveal of `query` hands out: its subject and the personal values of its answer."""
        subject = Revealable(self.subject.revealed_as, query.subject_kind, partial(getattr, query, "subject"))
        values = [subject]
        document = query.answer_document() or {}
        values += [
            Revealable(value.revealed_as, value.kind, partial(document.__getitem__, value.key))
            for value in self.answer_values
            if isinstance(document.get(value.key), str)
        ]
        return values


def _validated(
    schema: type[serializers.Serializer], data: Any, message: str, *, nest: str | None
) -> dict[str, Any]:
    checked = schema(data=data)
    if not checked.is_valid():
        raise Invalid(message, fields={nest: checked.errors} if nest else dict(checked.errors))
    return dict(checked.validated_data)
