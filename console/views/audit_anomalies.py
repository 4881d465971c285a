"""The auditors' anomaly reports: the findings about a window of the log, each with the events
behind it, linked to their pages.

Auditors and administrators only (`AUDIT_READERS`). The window is the API's
(`audit.anomalies.anomaly_window`: default the last 24 hours, at most 7 days), the findings
`selectors.anomaly_findings` and their events `selectors.events_by_id`, as
`GET /api/v1/audit/anomalies/` reads them; times are typed in Asia/Shanghai.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from audit import selectors
from audit.anomalies import anomaly_window
from audit.permissions import AUDIT_READERS
from core.errors import Invalid

from ..access import ConsoleView
from ..forms import ShanghaiWindowForm

FINDINGS_SHOWN = 100
# As the API: the first events of a finding are shown, its count says how many there are.
EVIDENCE_SHOWN = 50

KINDS = {
    "off_hours": _("Outside working hours"),
    "volume": _("Unusual volume of case reads"),
    "reveal_without_action": _("Reveal not followed by any action"),
    "closed_case_query": _("Read of a closed case"),
    "subject_across_cases": _("Same subject in several cases"),
    "denied_burst": _("Burst of denied requests"),
}


class AnomalyWindowForm(ShanghaiWindowForm):
    """The report's window; either end may be left out (the API's defaults)."""

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not self.errors:
            try:
                data["since"], data["until"] = anomaly_window(
                    since=data.get("since"), until=data.get("until")
                )
            except Invalid:  # the API's rule; its message is not translated, so the page says it
                self.add_error(None, _("The window must end after it starts and last at most 7 days."))
        return data


class AnomalyListView(ConsoleView):
    """The findings of the window, oldest first (`FINDINGS_SHOWN` at most), with their events."""

    allowed_roles = AUDIT_READERS

    def get(self, request: HttpRequest) -> HttpResponse:
        form = AnomalyWindowForm(request.GET)
        if not form.is_valid():
            return render(
                request, "console/audit_anomalies.html", {"form": form, "findings": None}, status=400
            )
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
        findings = selectors.anomaly_findings(actor=self.person, since=since, until=until)
        shown = findings[:FINDINGS_SHOWN]
        events = selectors.events_by_id(
            actor=self.person,
            event_ids={event_id for finding in shown for event_id in finding.event_ids[:EVIDENCE_SHOWN]},
        )
        reports = [
            {
                "finding": finding,
                "kind": KINDS.get(finding.kind, finding.kind),
                "events": [events[i] for i in finding.event_ids[:EVIDENCE_SHOWN] if i in events],
            }
            for finding in shown
        ]
        context = {
            "form": form,
            "since": since,
            "until": until,
            "findings": reports,
            "total": len(findings),
            "shown": FINDINGS_SHOWN,
            "evidence_shown": EVIDENCE_SHOWN,
        }
        return render(request, "console/audit_anomalies.html", context)
