"""Base views: every object a view reads or writes comes through the restriction point."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, models
from django.utils.encoding import escape_uri_path
from rest_framework import generics

from audit.choices import AuditAction, Outcome
from audit.services import event_record

from .exceptions import NotFound

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_path(request: Any) -> str:
    """The path as sent, percent-escaped: safe in audit details whatever bytes it held."""
    return escape_uri_path(request.path)


def restricted_get(*, model: type[models.Model], request: Any, action: str, **lookup: Any) -> Any:
    """The object, if the actor may reach it; otherwise 404, the same as for a missing one.

    An object that exists but is out of scope is a denial, and is audited as one.
    """
    try:
        return model.objects.restrict(request.user, action).get(**lookup)  # type: ignore[attr-defined]
    except (ValueError, DjangoValidationError, DataError):
        raise NotFound("Not found.") from None
    except ObjectDoesNotExist:
        if model._default_manager.filter(**lookup).exists():
            event_record(
                actor=request.user,
                action=AuditAction.REQUEST_DENIED,
                outcome=Outcome.DENIED,
                target_type=model._meta.label_lower,
                target_id=str(next(iter(lookup.values()))),
                details={"method": request.method, "path": request_path(request), "reason": "out_of_scope"},
            )
        raise NotFound("Not found.") from None


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
