"""The auditors' pages: the event search, one event, and its inclusion proof as JSON for the
event page's own check in the browser (`console/static/console/proof.js`).

Auditors and administrators only (`audit.permissions.AUDIT_READERS`, the API's rule); each page
calls the selector `api/audit/` calls (`event_list`, `event_get`, `event_proof`): an event the
person may not read is the access layer's `NotFound`, a 404 here.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from audit import selectors, vocabulary
from audit.exporters import proof_document
from audit.permissions import AUDIT_READERS
from audit.selectors import EventFilters
from core.errors import Conflict

from .. import auditing
from ..access import ConsoleView
from ..forms import EventSearchForm


class EventListView(ConsoleView):
    """`GET` with the filters: the newest matching events (100 at most), newest first."""

    allowed_roles = AUDIT_READERS

    def get(self, request: HttpRequest) -> HttpResponse:
        form = EventSearchForm(request.GET or None, actions=vocabulary.choices())
        events = None
        status = 200
        if form.is_bound and not form.is_valid():
            status = 400
        else:
            data = form.cleaned_data if form.is_bound else {}
            filters = EventFilters(**{name: value for name, value in data.items() if value})
            events = list(auditing.events_found(self.person, filters))
        context = {"form": form, "events": events, "shown": auditing.EVENTS_SHOWN}
        return render(request, "console/audit_events.html", context, status=status)


class EventDetailView(ConsoleView):
    """One event whole (events hold no plaintext by construction), and its proof's check."""

    allowed_roles = AUDIT_READERS

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        event = selectors.event_get(actor=self.person, event_id=pk)
        keys = auditing.published_keys()
        context = {
            "event": event,
            "details": json.dumps(event.details, ensure_ascii=False, indent=2, sort_keys=True),
            "keys": keys,
            "keys_json": json.dumps(keys),
        }
        return render(request, "console/audit_event.html", context)


class EventProofView(ConsoleView):
    """The proof document of `GET /api/v1/audit/events/{id}/proof/`, with the session; an
    event not in a head yet is 409 with the API's code (`not_sequenced`)."""

    allowed_roles = AUDIT_READERS

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            proof = selectors.event_proof(actor=self.person, event_id=pk)
        except Conflict as refused:
            return JsonResponse({"error": {"code": refused.code, "message": str(refused)}}, status=409)
        return JsonResponse(proof_document(proof))
