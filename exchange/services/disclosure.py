"""Plaintext leaving on purpose: revealing a query's values, and searching by account.

Both are police acts on their own unit's data, recorded in the audit log with their purpose
or with the blind index searched for, never with the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db import transaction

from audit.reveal import Revealable, reveal_values
from audit.services import event_record
from core.actors import Actor
from core.errors import Invalid
from exchange.access import access_query_by_id, police_only
from exchange.audit_actions import ExchangeAction
from exchange.kinds import spec_of
from exchange.models import Case, Finding
from exchange.querysets import REVEAL, VIEW
from privacy import blind_index
from privacy.choices import KeyPurpose, Kind
from privacy.keyring import keyring
from privacy.selectors import blind_index_filter


def query_reveal(*, actor: Actor, query_id: UUID | str, purpose: str) -> dict[str, str]:
    """The plaintext of the query's subject and answer, at once: one transaction, one audit
    event per field, each with its purpose and the query's case. Only police of the query's
    unit reach it; to anybody else it is `NotFound`."""
    query = access_query_by_id(actor, query_id, REVEAL)
    values = spec_of(query).revealables(query)
    partner_reason = query.partner_reason
    if partner_reason is not None:
        values.append(Revealable("partner_reason", Kind.FREE_TEXT, lambda: partner_reason))
    return reveal_values(
        actor=actor, target=query, values=values, purpose=purpose, case_id=str(query.case_id)
    )


@dataclass(frozen=True)
class AccountSearchResult:
    """The actor's own cases that involve the account, and how many other units' cases do."""

    cases: list[Case]
    other_units_cases: int


def account_search(*, actor: Actor, account_number: str) -> AccountSearchResult:
    """In which cases has this account appeared? One indexed query; nothing is decrypted.

    Recorded as one event per own case returned, each carrying its case: an auditor reviews
    a case through the indexed `case_id` column, and a case id buried in the details of one
    event would not show there. The request id ties the events of one search together; a
    search that returns no case is one event without a case.
    """
    police_only(actor, "Only police officers and supervisors search accounts.")
    if not blind_index.normalise(Kind.ACCOUNT, account_number):
        raise Invalid("An account number has digits.", fields={"account_number": ["No digits."]})
    matching = Finding.objects.filter(blind_index_filter(Finding, "value", account_number, kind=Kind.ACCOUNT))
    own = Case.objects.restrict(actor, VIEW)
    cases = list(own.filter(pk__in=matching.values("case_id")).order_by("-opened_at"))
    others = matching.exclude(case__in=own).values("case_id").distinct().count()
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
