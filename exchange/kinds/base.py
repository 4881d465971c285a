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
    # The list of objects of the answer it is a value of each item of (`transfers`), if any:
    # masked in every item, found in every item, revealed as `<revealed_as>.<item index>`.
    within: str | None = None

    def read(self, document: dict[str, Any]) -> list[tuple[str, str]]:
        """(name revealed as, value) for each string value of it in `document`."""
        if self.within is None:
            value = document.get(self.key)
            return [(self.revealed_as, value)] if isinstance(value, str) else []
        items = document.get(self.within)
        return [
            (f"{self.revealed_as}.{position}", item[self.key])
            for position, item in enumerate(items if isinstance(items, list) else [])
            if isinstance(item, dict) and isinstance(item.get(self.key), str)
        ]


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
    # Other personal inputs (a holder's name on a stop-payment): stored encrypted together
    # (`Query.personal_input`), masked on output, revealable; every other input is not personal.
    input_values: ClassVar[tuple[PersonalValue, ...]] = ()
    # The personal values of an answer; every other answer value is not personal.
    answer_values: ClassVar[tuple[PersonalValue, ...]]
    # The kind's own audit actions (registered with `audit.vocabulary`), their traits, and
    # the one recorded when a query of this kind is submitted.
    actions: ClassVar[type[models.TextChoices]]
    traits: ClassVar[Mapping[Any, Iterable[Trait]]]
    submitted_action: ClassVar[str]
    default_deadline: ClassVar[timedelta]
    needs_approval: ClassVar[bool] = False
    # An instruction a partner must be able to attribute to the ordering unit (a stop or a
    # freeze): the partner receives it signed with the unit's own key (`exchange.instructions`).
    signed_by_unit: ClassVar[bool] = False
    # The answer's field that says, as a code, what the partner did (stopped, blocked,
    # refused): kept beside the encrypted answer (`Query.outcome`) so figures can count it.
    outcome_key: ClassVar[str | None] = None

    def needs_approval_for(self, unit: Partner) -> bool:
        """Whether a query of this kind from `unit` waits for a supervisor's approval."""
        return self.needs_approval

    def refusal(self, query: Query) -> str | None:
        """A reason code to refuse `query` before it leaves (a third stop of one account), or
        None; called inside the submission's transaction: a kind that counts serializes its
        own count (`exchange.holds` locks the account within the case)."""
        return None

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
        input_fields = self.input_schema().fields
        problems += [f"{v.key!r} is not an input" for v in self.input_values if v.key not in input_fields]
        answer_fields = self.answer_schema().fields
        for value in self.answer_values:
            fields: Mapping[str, Any] = answer_fields
            if value.within is not None:
                child = getattr(answer_fields.get(value.within), "child", None)
                fields = getattr(child, "fields", {})
            if value.key not in fields:
                problems.append(f"{value.key!r} is not a value of its answer")
            if value.found and value.kind not in FindingKind.values:
                problems.append(f"{value.key!r}: only {', '.join(FindingKind.values)} values are found")
        names = [
            self.subject.revealed_as,
            *(value.revealed_as for value in (*self.input_values, *self.answer_values)),
        ]
        if len(set(names)) != len(names) or "partner_reason" in names:
            problems.append("two values are revealed under one name")
        if self.outcome_key is not None and not isinstance(
            answer_fields.get(self.outcome_key), serializers.ChoiceField
        ):
            problems.append(f"its outcome {self.outcome_key!r} is not a choice of its answer")
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

    def split_input(self, values: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, str]]:
        """The value asked about, the non-personal inputs (JSON) and the other personal inputs
        (stored encrypted together)."""
        personal = {v.key for v in self.input_values}
        rest = {k: _json_value(v) for k, v in values.items() if k != self.subject.key}
        params = {k: v for k, v in rest.items() if k not in personal}
        personal_values = {k: v for k, v in rest.items() if k in personal and v is not None}
        return str(values[self.subject.key]), params, personal_values

    def wire_input(self, query: Query) -> dict[str, Any]:
        """The input as the partner receives it: the personal values in plaintext, with the rest."""
        return {self.subject.key: query.subject, **query.personal_input_document(), **query.params}

    def masked_input(self, query: Query) -> dict[str, Any]:
        """The input as people see it: the personal values masked, with the rest."""
        kinds = {value.key: value.kind for value in self.input_values}
        personal = {key: mask(kinds[key], value) for key, value in query.personal_input_document().items()}
        return {self.subject.key: mask(query.subject_kind, query.subject), **personal, **query.params}

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
        return _masked(document, [value for value in self.answer_values if value.within is None]) | {
            within: [_masked(item, values) if isinstance(item, dict) else item for item in items]
            for within, values in self._nested_values().items()
            if isinstance(items := document.get(within), list)
        }

    def _nested_values(self) -> dict[str, list[PersonalValue]]:
        nested: dict[str, list[PersonalValue]] = {}
        for value in self.answer_values:
            if value.within is not None:
                nested.setdefault(value.within, []).append(value)
        return nested

    def found_in(self, document: dict[str, Any]) -> list[tuple[str, str]]:
        """The identifiers an answer names, as (kind, value), each once."""
        found = [
            (value.kind, text)
            for value in self.answer_values
            if value.found
            for _, text in value.read(document)
        ]
        return list(dict.fromkeys(found))

    # Reveal

    def revealables(self, query: Query) -> list[Revealable]:
        """What a reveal of `query` hands out: its subject and the personal values of its answer."""
        subject = Revealable(self.subject.revealed_as, query.subject_kind, partial(getattr, query, "subject"))
        values = [subject]
        personal_input = query.personal_input_document()
        values += [
            Revealable(value.revealed_as, value.kind, partial(personal_input.__getitem__, value.key))
            for value in self.input_values
            if value.key in personal_input
        ]
        document = query.answer_document() or {}
        values += [
            Revealable(name, value.kind, partial(_constant, text))
            for value in self.answer_values
            for name, text in value.read(document)
        ]
        return values


def _json_value(value: Any) -> Any:
    """An input value as JSON keeps it: numbers of days and flags as they are, amounts and
    times as text (exact, and read back by the schema)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _constant(value: str) -> str:
    return value


def _masked(document: dict[str, Any], values: list[PersonalValue]) -> dict[str, Any]:
    """`document` with each of `values` (the ones of its level) masked."""
    kinds = {value.key: value.kind for value in values}
    return {
        key: mask(kinds[key], value) if key in kinds and isinstance(value, str) else value
        for key, value in document.items()
    }


def _validated(
    schema: type[serializers.Serializer], data: Any, message: str, *, nest: str | None
) -> dict[str, Any]:
    checked = schema(data=data)
    if not checked.is_valid():
        raise Invalid(message, fields={nest: checked.errors} if nest else dict(checked.errors))
    return dict(checked.validated_data)
