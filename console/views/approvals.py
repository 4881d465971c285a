"""The supervisors' approval queue: the unit's queries waiting for a second person (freezes,
and stop-payments where the unit's policy asks), approved or rejected through the same
services as `POST /api/v1/queries/{id}/approve/` and `/reject/`
(`exchange.services.approvals`). Only a supervisor of the unit reaches a query to decide it
(anybody else: the access layer's 404); the requester is refused (`own_request`), and the
refusal is shown on the queue by its code, never by a value."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.actors import acting_role
from core.errors import DomainError, NotFound
from core.roles import Role
from exchange import selectors
from exchange.choices import QueryStatus
from exchange.services import approvals

from .. import reading
from ..access import POLICE, ConsoleView
from ..forms import RejectForm

QUEUE_SHOWN = 100

REFUSALS = {
    "own_request": _("You cannot approve or reject your own request."),
    "not_awaiting_approval": _("This query is no longer awaiting approval."),
}


class ApprovalListView(ConsoleView):
    """The unit's waiting queries, oldest first; supervisors get the buttons."""

    allowed_roles = POLICE

    def get(self, request: HttpRequest) -> HttpResponse:
        waiting = selectors.query_list(self.person, status=QueryStatus.AWAITING_APPROVAL).select_related(
            "requested_by", "case"
        )
        rows = reading.queries_shown(
            self.person, list(waiting.order_by("created_at")[:QUEUE_SHOWN]), police=True
        )
        refused = REFUSALS.get(request.GET.get("refused", ""), _("The exchange refused this decision."))
        context = {
            "rows": rows,
            "decides": acting_role(self.person) == Role.SUPERVISOR,
            "reject_form": RejectForm(),
            "refused": refused if "refused" in request.GET else None,
        }
        return render(request, "console/approvals.html", context)


def _back(refused: str = "") -> HttpResponseRedirect:
    """Back to the queue, naming the refusal by its code when there was one."""
    queue = reverse("console:approvals")
    return HttpResponseRedirect(f"{queue}?{urlencode({'refused': refused})}" if refused else queue)


class QueryApproveView(ConsoleView):
    # Police, as the API: the service lets only a supervisor reach the query (an officer: 404).
    allowed_roles = POLICE

    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        try:
            approvals.query_approve(actor=self.person, query_id=pk)
        except NotFound:
            raise
        except DomainError as refusal:
            return _back(refusal.code)
        return _back()


class QueryRejectView(ConsoleView):
    allowed_roles = POLICE

    def post(self, request: HttpRequest, pk: UUID) -> HttpResponse:
        form = RejectForm(request.POST)
        if not form.is_valid():
            selectors.query_get(self.person, pk)  # out of scope stays a 404, as for approving
            return _back("invalid")
        try:
            approvals.query_reject(actor=self.person, query_id=pk, reason=form.cleaned_data["reason"])
        except NotFound:
            raise
        except DomainError as refusal:
            return _back(refusal.code)
        return _back()
