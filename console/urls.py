"""The console's pages, under `/console/` (namespace `console`). Every name here has a row in
`tests/console/matrix.py`; a page without one fails the tests. Ids only in paths, never a
personal value. Every answer is `Cache-Control: no-store` (the pages show case data).
"""

from django.urls import path
from django.views.decorators.cache import never_cache

from .views import (
    accounts,
    approvals,
    audit,
    audit_anomalies,
    audit_heads,
    auth,
    cases,
    figures,
    language,
    operators,
    totp,
    traces,
    watchlist,
)

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
    path("watchlist/", never_cache(watchlist.WatchlistView.as_view()), name="watchlist"),
    path("watchlist/add/", never_cache(watchlist.WatchlistAddView.as_view()), name="watchlist-add"),
    path("watchlist/check/", never_cache(watchlist.WatchlistCheckView.as_view()), name="watchlist-check"),
    path(
        "watchlist/<uuid:pk>/delist/",
        never_cache(watchlist.WatchlistDelistView.as_view()),
        name="watchlist-delist",
    ),
    path("figures/", never_cache(figures.FiguresView.as_view()), name="figures"),
    path(
        "queries/<uuid:pk>/approve/", never_cache(approvals.QueryApproveView.as_view()), name="query-approve"
    ),
    path("queries/<uuid:pk>/reject/", never_cache(approvals.QueryRejectView.as_view()), name="query-reject"),
    path("queries/<uuid:pk>/row/", never_cache(cases.QueryRowView.as_view()), name="query-row"),
    path("queries/<uuid:pk>/reveal/", never_cache(cases.QueryRevealView.as_view()), name="query-reveal"),
    path("cases/<uuid:pk>/batch/", never_cache(cases.BatchSubmitView.as_view()), name="batch"),
    path("cases/<uuid:pk>/traces/", never_cache(traces.TraceStartView.as_view()), name="trace-start"),
    path("traces/<uuid:pk>/", never_cache(traces.TraceDetailView.as_view()), name="trace"),
    path("traces/<uuid:pk>/graph/", never_cache(traces.TraceGraphView.as_view()), name="trace-graph"),
    path("traces/<uuid:pk>/state/", never_cache(traces.TraceStateView.as_view()), name="trace-state"),
    path(
        "traces/<uuid:pk>/nodes/<uuid:node_id>/",
        never_cache(traces.TraceNodeView.as_view()),
        name="trace-node",
    ),
    path(
        "traces/<uuid:pk>/nodes/<uuid:node_id>/stop/",
        never_cache(traces.TraceNodeStopView.as_view()),
        name="trace-node-stop",
    ),
    path(
        "traces/<uuid:pk>/export/<str:export_format>/",
        never_cache(traces.TraceExportView.as_view()),
        name="trace-export",
    ),
    path("audit/events/", never_cache(audit.EventListView.as_view()), name="audit-events"),
    path("audit/events/<int:pk>/", never_cache(audit.EventDetailView.as_view()), name="audit-event"),
    path(
        "audit/events/<int:pk>/proof/", never_cache(audit.EventProofView.as_view()), name="audit-event-proof"
    ),
    path("audit/export/", never_cache(audit.EventExportView.as_view()), name="audit-export"),
    path("audit/heads/", never_cache(audit_heads.HeadListView.as_view()), name="audit-heads"),
    path(
        "audit/heads/consistency/",
        never_cache(audit_heads.HeadConsistencyView.as_view()),
        name="audit-head-consistency",
    ),
    path("audit/heads/export/", never_cache(audit_heads.HeadExportView.as_view()), name="audit-head-export"),
    path("audit/anomalies/", never_cache(audit_anomalies.AnomalyListView.as_view()), name="audit-anomalies"),
    path("accounts/search/", never_cache(accounts.AccountSearchView.as_view()), name="account-search"),
    path("partner/queries/", never_cache(operators.OperatorQueueView.as_view()), name="operator-queries"),
    path(
        "partner/answer-times/",
        never_cache(operators.OperatorAnswerTimesView.as_view()),
        name="operator-answer-times",
    ),
    path("partner/keys/", never_cache(operators.OperatorKeysView.as_view()), name="operator-keys"),
]
