"""The auditors' pages: the event search, one event, its inclusion proof as JSON for the
event page's own check in the browser (`console/static/console/proof.js`), and the export of
the events found (heads: `audit_heads`, anomaly reports: `audit_anomalies`).

Auditors and administrators only (`audit.permissions.AUDIT_READERS`, the API's rule); each page
calls the selector or service `api/audit/` calls (`event_list`, `event_get`, `event_proof`,
`events_export`): an event the person may not read is the access layer's `NotFound`, a 404 here.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse, StreamingHttpResponse
from django.shortcuts import render

from audit import selectors, services, vocabulary
from audit.exporters import CONTENT_TYPES, proof_document
from audit.permissions import AUDIT_READERS
from audit.selectors import EventFilters
from core.errors import Conflict

from .. import auditing
from ..access import ConsoleView, error_page
from ..forms import EventSearchForm


def _filters(form: EventSearchForm) -> EventFilters:
    data = form.cleaned_data if form.is_bound else {}
    return EventFilters(**{name: value for name, value in data.items() if value})


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
            events = list(auditing.events_found(self.person, _filters(form)))
        context = {
            "form": form,
            "events": events,
            "shown": auditing.EVENTS_SHOWN,
            # The same filters (ids, codes and times only: never a personal value) for the export.
            "exports": {name: _export_query(request, name) for name in CONTENT_TYPES},
        }
        return render(request, "console/audit_events.html", context, status=status)


def _export_query(request: HttpRequest, export_format: str) -> str:
    query = request.GET.copy()
    query["format"] = export_format
    return query.urlencode()


class EventExportView(ConsoleView):
    """`?format=csv|jsonl` and the search's filters: the API's export (`services.events_export`,
    which records `audit_exported` with the format and filters before the first line)."""

    allowed_roles = AUDIT_READERS

    def get(self, request: HttpRequest) -> HttpResponseBase:
        form = EventSearchForm(request.GET, actions=vocabulary.choices())
        if not form.is_valid():
            return error_page(request, 400)
        export_format = request.GET.get("format", "jsonl")
        # An unknown format is the service's `Invalid` (400), before anything is recorded.
        lines = services.events_export(actor=self.person, filters=_filters(form), export_format=export_format)
        response = StreamingHttpResponse(lines, content_type=CONTENT_TYPES[export_format])
        response["Content-Disposition"] = f'attachment; filename="afx-audit-events.{export_format}"'
        return response


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
