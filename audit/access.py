"""Reaching an object by its key on behalf of an actor: the one place scope is enforced.

Every app's access layer (`exchange.access`, `partners.access`) resolves what a service acts
on through `access_object`, the pattern of Zulip's `access_*_by_id` over NetBox's
`Model.objects.restrict(actor, action)`. The view, the admin, a command, a task and the
console all get the same answer, because the check is where the act happens.

Out of scope and missing are one answer (`NotFound`), in body and in time: both look the
object up without restriction (for its key only) and both are audited as a denial, once,
here. The event names the object by its key, and by its case for an object of a case,
only when it exists: a lookup value that matches nothing may be anything the caller typed
(a phone number as a username), so it is never recorded.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, models

from core.errors import NotFound

from .denials import denial_record

M = TypeVar("M", bound=models.Model)


def access_object(
    *,
    actor: Any,
    model: type[M],
    action: str,
    queryset: models.QuerySet[M] | None = None,
    audit_id_field: str = "pk",
    **lookup: Any,
) -> M:
    """The object `lookup` names, if `actor` may do `action` to it; else `NotFound`, audited.

    `queryset` narrows or prepares the read (`select_related`, `select_for_update`); it must
    be of `model` and offer `restrict(actor, action)`, as every restricted model does.
    `audit_id_field` names the column a denial names the object by, for a model whose key is
    itself a secret (a sign-in token's key is its digest).
    """
    source = queryset if queryset is not None else model._default_manager.all()
    case_field = getattr(model, "audit_case_field", None)
    try:
        found_object: M = source.restrict(actor, action).get(**lookup)  # type: ignore[attr-defined]
        return found_object
    except (ValueError, DjangoValidationError, DataError):
        found = None  # a value no key can hold (not a UUID, a NUL byte on PostgreSQL): missing
    except ObjectDoesNotExist:
        columns = [audit_id_field, case_field] if case_field else [audit_id_field]
        found = model._default_manager.filter(**lookup).values_list(*columns).first()
    denial_record(
        actor=actor,
        target_type=model._meta.label_lower,
        target_id=str(found[0]) if found else "",
        case_id=str(found[-1]) if found and case_field else "",
        details={"status": 404, "code": "not_found", "reason": "out_of_scope" if found else "missing"},
    )
    raise NotFound("Not found.")
