"""Base views: every object a view reads or writes comes through the restriction point."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, models
from rest_framework import generics

from .denials import denial_record
from .exceptions import NotFound

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def restricted_get(*, model: type[models.Model], request: Any, action: str, **lookup: Any) -> Any:
    """The object, if the actor may reach it; otherwise 404, the same as for a missing one.

    Out of scope and missing cost the same, so that neither the body nor the time tells
    them apart: both look the object up without restriction (for its key only) and both are
    audited as a denial. The event names the object by its key, and by its case for an
    object of a case, only when it exists: a lookup value that matches nothing may be
    anything the caller typed (a phone number as a username), so it is never recorded.
    """
    case_field = getattr(model, "audit_case_field", None)
    try:
        return model.objects.restrict(request.user, action).get(**lookup)  # type: ignore[attr-defined]
    except (ValueError, DjangoValidationError, DataError):
        found = None  # a value no key can hold (not a UUID, a NUL byte on PostgreSQL): missing
    except ObjectDoesNotExist:
        columns = ["pk", case_field] if case_field else ["pk"]
        found = model._default_manager.filter(**lookup).values_list(*columns).first()
    denial_record(
        request=request,
        target_type=model._meta.label_lower,
        target_id=str(found[0]) if found else "",
        case_id=str(found[-1]) if found and case_field else "",
        details={"status": 404, "code": "not_found", "reason": "out_of_scope" if found else "missing"},
    )
    raise NotFound("Not found.")


class RestrictedApiMixin:
    """`get_queryset` is `Model.objects.restrict(user, action)`; `get_object` answers 404 for
    what the actor may not see, the same as for what does not exist, and audits the denial."""

    model: ClassVar[type[models.Model]]
    lookup_field = "pk"
    request: Any
    kwargs: dict[str, Any]

    def restriction_action(self) -> str:
        return "view" if self.request.method in READ_METHODS else "change"

    def get_queryset(self) -> models.QuerySet[Any]:
        return self.model.objects.restrict(self.request.user, self.restriction_action())  # type: ignore[attr-defined]

    def get_object(self) -> Any:
        lookup = {self.lookup_field: self.kwargs[self.lookup_field]}
        return restricted_get(
            model=self.model, request=self.request, action=self.restriction_action(), **lookup
        )


class RestrictedListApi(RestrictedApiMixin, generics.ListAPIView):
    pass


class RestrictedRetrieveApi(RestrictedApiMixin, generics.RetrieveAPIView):
    pass
