"""Whether a case has met a value: the accounts and phone numbers its work has named.

A value is known to a case when an answer of the case named it (a `Finding`), when one of
the case's traces reached it (a `TraceAccount`), or when one of the case's queries that went
out to a partner asked about it (its subject). What the watchlist may list from a case is
what the case met, so a supervisor cannot put any number on the list under a case that
never saw it. Each source is
one indexed query over the value's blind index under every active index key version (a
rotation in progress finds rows of either version); nothing is decrypted.

The caller has reached the case through `exchange.access`: this reads no scope of its own.
"""

from __future__ import annotations

from uuid import UUID

from django.db import models

from privacy.choices import Kind
from privacy.selectors import blind_index_filter

from .models import Finding, Query, TraceAccount


def _sources(case_id: UUID | str, kind: str, value: str) -> list[models.QuerySet]:
    """The case's rows that hold `value` as a `kind`, one queryset per source, the likeliest first."""
    sources: list[models.QuerySet] = [
        Finding.objects.filter(case_id=case_id).filter(
            blind_index_filter(Finding, "value", value, kind=kind)
        ),
    ]
    if kind == Kind.ACCOUNT:
        sources.append(
            TraceAccount.objects.filter(trace__case_id=case_id).filter(
                blind_index_filter(TraceAccount, "account", value)
            )
        )
    # Only a query that went out: one refused at the gateway, or still awaiting a supervisor,
    # met nothing; else submitting a refused query would let any number onto the list.
    sent = Query.objects.filter(case_id=case_id, dispatched_at__isnull=False)
    sources.append(sent.filter(blind_index_filter(Query, "subject", value, kind=kind)))
    return sources


def case_met_value(*, case_id: UUID | str, kind: str, value: str) -> bool:
    """Whether the case met `value`, an account or a phone number (`kind`): named in one of
    its answers, reached by one of its traces, or asked about by one of its queries. At most
    one indexed `EXISTS` per source, stopping at the first that has it."""
    return any(source.exists() for source in _sources(case_id, kind, value))
