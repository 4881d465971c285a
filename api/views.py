"""Base views: every object a view reads or writes comes through the restriction point."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from rest_framework import generics

from audit.access import access_object

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def restricted_get(*, model: type[models.Model], request: Any, action: str, **lookup: Any) -> Any:
    """The object, if the request's actor may reach it; otherwise 404 (`audit.access`)."""
    return access_object(actor=request.user, model=model, action=action, **lookup)


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
