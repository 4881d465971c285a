"""Base views: every object a view reads or writes comes through the restriction point."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import generics

from audit.choices import AuditAction, Outcome
from audit.services import event_record

from .exceptions import NotFound

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class RestrictedApiMixin:
    """`get_queryset` is `Model.objects.restrict(user, action)`; `get_object` answers 404 for
    what the actor may not see, the same as for what does not exist, and audits the denial."""

    model: ClassVar[type[models.Model]]
    lookup_field = "pk"
    request: Any

    def restriction_action(self) -> str:
        return "view" if self.request.method in READ_METHODS else "change"

    def get_queryset(self) -> models.QuerySet[Any]:
        return self.model.objects.restrict(self.request.user, self.restriction_action())  # type: ignore[attr-defined]

    def get_object(self) -> Any:
        lookup = {self.lookup_field: self.kwargs[self.lookup_field]}  # type: ignore[attr-defined]
        try:
            return self.get_queryset().get(**lookup)
        except (ValueError, DjangoValidationError):
            raise NotFound("Not found.") from None
        except ObjectDoesNotExist:
            if self.model._default_manager.filter(**lookup).exists():
                event_record(
                    actor=self.request.user,
                    action=AuditAction.REQUEST_DENIED,
                    outcome=Outcome.DENIED,
                    target_type=self.model._meta.label_lower,
                    target_id=str(self.kwargs[self.lookup_field]),  # type: ignore[attr-defined]
                    details={
                        "method": self.request.method,
                        "path": self.request.path,
                        "reason": "out_of_scope",
                    },
                )
            raise NotFound("Not found.") from None


class RestrictedListApi(RestrictedApiMixin, generics.ListAPIView):
    pass


class RestrictedRetrieveApi(RestrictedApiMixin, generics.RetrieveAPIView):
    pass
