"""Plaintext leaving on purpose: revealing a query's values, and searching by account.

Both are police acts on their own unit's data, recorded in the audit log with their purpose
or with the blind index searched for, never with the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from audit.reveal import reveal_fields
from audit.services import event_record
from core.actors import is_police
from core.errors import Forbidden, Invalid
from exchange.audit_actions import ExchangeAction
from exchange.kinds import KINDS
from exchange.models import Case, Query
from privacy import blind_index
from privacy.choices import KeyPurpose, Kind
from privacy.keyring import keyring
from privacy.selectors import blind_index_filter


def query_reveal(*, actor: Any, query: Query, purpose: str) -> dict[str, str]:
    """The plaintext of the query's subject and answer, at once: one transaction, one audit
    event per field, each with its purpose and the query's case."""
    fields = [KINDS[query.kind].subject_field]
    if query.result_account is not None:
        fields += ["result_account", "result_holder"]
    if query.partner_reason is not None:
        fields.append("partner_reason")
    return reveal_fields(
        actor=actor, obj=query, field_names=fields, purpose=purpose, case_id=str(query.case_id)
    )


@dataclass(frozen=True)
class AccountSearchResult:
    """The actor's own cases that involve the account, and how many other units' cases do."""

    cases: list[Case]
    other_units_cases: int


def account_search(*, actor: Any, account_number: str) -> AccountSearchResult:
    """In which cases has this account appeared? One indexed query; nothing is decrypted.

    Recorded as one event per own case returned, each carrying its case: an auditor reviews
    a case through the indexed `case_id` column, and a case id buried in the details of one
    event would not show there. The request id ties the events of one search together; a
    search that returns no case is one event without a case.
    """
    if not is_police(actor):
        raise Forbidden("Only police officers and supervisors search accounts.")
    if not blind_index.normalise(Kind.ACCOUNT, account_number):
        raise Invalid("An account number has digits.", fields={"account_number": ["No digits."]})
    matching = Query.objects.filter(blind_index_filter(Query, "result_account", account_number))
    own_case_ids = matching.filter(case__unit_id=actor.partner.pk).values("case_id")
    cases = list(Case.objects.filter(pk__in=own_case_ids).order_by("-opened_at"))
    others = matching.exclude(case__unit_id=actor.partner.pk).values("case_id").distinct().count()
    key = keyring.current(KeyPurpose.INDEX)
    index = blind_index.digest(key.secret, key.version, Kind.ACCOUNT, account_number)
    details = {
        "subject_index": index.hex() if index else "",
        "own_cases": len(cases),
        "other_units_cases": others,
    }
    with transaction.atomic():
        for case_id in [str(case.pk) for case in cases] or [""]:
            event_record(
                actor=actor, action=ExchangeAction.ACCOUNT_SEARCHED, case_id=case_id, details=details
            )
    return AccountSearchResult(cases=cases, other_units_cases=others)
