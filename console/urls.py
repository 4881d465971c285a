"""The console's pages, under `/console/` (namespace `console`). Every name here has a row in
`tests/console/matrix.py`; a page without one fails the tests. Ids only in paths, never a
personal value. Every answer is `Cache-Control: no-store` (the pages show case data).
"""

from django.urls import path
from django.views.decorators.cache import never_cache

from .views import approvals, audit, auth, cases, language, totp

app_name = "console"

urlpatterns = [
    path("", never_cache(cases.DashboardView.as_view()), name="dashboard"),
    path("sign-in/", never_cache(auth.SignInView.as_view()), name="sign-in"),
    path("sign-in/code/", never_cache(auth.SignInCodeView.as_view()), name="sign-in-code"),
    path("sign-out/", never_cache(auth.SignOutView.as_view()), name="sign-out"),
    path(
        "sign-out/everywhere/", never_cache(auth.SignOutEverywhereView.as_view()), name="sign-out-everywhere"
    ),
    path("second-factor/", never_cache(totp.TotpEnrolView.as_view()), name="totp-enrol"),
    path("language/", never_cache(language.language_set), name="language"),
    path("cases/", never_cache(cases.CaseListView.as_view()), name="cases"),
    path("cases/<uuid:pk>/", never_cache(cases.CaseDetailView.as_view()), name="case"),
    path("cases/<uuid:pk>/lookups/", never_cache(cases.LookupSubmitView.as_view()), name="lookup"),
    path("cases/<uuid:pk>/close/", never_cache(cases.CaseCloseView.as_view()), name="case-close"),
    path("approvals/", never_cache(approvals.ApprovalListView.as_view()), name="approvals"),
    path(
        "queries/<uuid:pk>/approve/", never_cache(approvals.QueryApproveView.as_view()), name="query-approve"
    ),
    path("queries/<uuid:pk>/reject/", never_cache(approvals.QueryRejectView.as_view()), name="query-reject"),
    path("queries/<uuid:pk>/row/", never_cache(cases.QueryRowView.as_view()), name="query-row"),
    path("queries/<uuid:pk>/reveal/", never_cache(cases.QueryRevealView.as_view()), name="query-reveal"),
    path("cases/<uuid:pk>/batch/", never_cache(cases.BatchSubmitView.as_view()), name="batch"),
    path("audit/events/", never_cache(audit.EventListView.as_view()), name="audit-events"),
    path("audit/events/<int:pk>/", never_cache(audit.EventDetailView.as_view()), name="audit-event"),
    path(
        "audit/events/<int:pk>/proof/", never_cache(audit.EventProofView.as_view()), name="audit-event-proof"
    ),
]
