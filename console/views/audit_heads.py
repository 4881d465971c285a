"""The auditors' signed tree heads: the list, the consistency proof between two of them as
JSON for the page's own check in the browser (`console/static/console/consistency.js`), and
the heads export.

Auditors and administrators only (`AUDIT_READERS`, the API's rule). Each page calls what
`api/audit/` calls: `head_list`, `head_consistency` rendered by
`audit.exporters.consistency_document`, and `heads_export`, so the browser checks, and the
auditor downloads, the very documents an outsider gets from the API.
"""

from __future__ import annotations

import json

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render

from audit import selectors
from audit.exporters import consistency_document, head_document
from audit.permissions import AUDIT_READERS
from core.errors import Conflict, Invalid

from .. import auditing
from ..access import ConsoleView

HEADS_SHOWN = 100


class HeadPairForm(forms.Form):
    """The tree sizes of two heads, as `GET /api/v1/audit/heads/consistency/` takes them."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # `from` is a keyword, so the fields are named here rather than as attributes.
        self.fields["from"] = forms.IntegerField(min_value=1)
        self.fields["to"] = forms.IntegerField(min_value=1, required=False)


def _refusal(code: str, message: str, status: int, fields: dict[str, object] | None = None) -> JsonResponse:
    error: dict[str, object] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return JsonResponse({"error": error}, status=status)


class HeadListView(ConsoleView):
    """The newest heads (`HEADS_SHOWN` at most), and the form choosing two for the check."""

    allowed_roles = AUDIT_READERS

    def get(self, request: HttpRequest) -> HttpResponse:
        stored = selectors.head_list(actor=self.person).order_by("-number")[:HEADS_SHOWN]
        # As the API shows them (`head_document`): root hash in base64, the key's fingerprint.
        heads = [head_document(head) for head in stored]
        keys = auditing.published_keys()
        context = {
            "heads": heads,
            "shown": HEADS_SHOWN,
            # The check proposed first: the head before the newest, to the newest.
            "older": heads[min(1, len(heads) - 1)]["number"] if heads else None,
            "newer": heads[0]["number"] if heads else None,
            "keys": keys,
            "keys_json": json.dumps(keys),
        }
        return render(request, "console/audit_heads.html", context)


class HeadConsistencyView(ConsoleView):
    """`?from=N&to=M`: the document of the API's consistency endpoint, with the session. A head
    of neither size is the selector's audited 404; a bad pair 400 and a damaged tree 409, as
    JSON with the API's codes, for the page's script to report."""

    allowed_roles = AUDIT_READERS

    def get(self, request: HttpRequest) -> HttpResponse:
        form = HeadPairForm(request.GET)
        if not form.is_valid():
            return _refusal("invalid", "Invalid input.", 400, fields=dict(form.errors))
        try:
            consistency = selectors.head_consistency(
                actor=self.person, from_size=form.cleaned_data["from"], to_size=form.cleaned_data["to"]
            )
        except Invalid as refused:
            return _refusal(refused.code, refused.message, 400, fields=refused.fields)
        except Conflict as refused:
            return _refusal(refused.code, refused.message, 409)
        return JsonResponse(consistency_document(consistency))


class HeadExportView(ConsoleView):
    """Every signed head with its consistency proof and the key history, as JSON Lines: the
    API's heads export (`selectors.heads_export`), which `python -m audit.verify_export` checks.
    Not audited, as the API's is not: heads are what the log publishes to outsiders."""

    allowed_roles = AUDIT_READERS

    def get(self, request: HttpRequest) -> StreamingHttpResponse:
        response = StreamingHttpResponse(
            selectors.heads_export(actor=self.person), content_type="application/jsonl"
        )
        response["Content-Disposition"] = 'attachment; filename="afx-audit-heads.jsonl"'
        return response
