from django.urls import path

from . import approvals, holds, keys, leases, traces, views

urlpatterns = [
    path("cases/", views.CaseListApi.as_view(), name="case-list"),
    path("cases/<uuid:pk>/", views.CaseDetailApi.as_view(), name="case-detail"),
    path("cases/<uuid:pk>/close/", views.CaseCloseApi.as_view(), name="case-close"),
    path("queries/", views.QueryListApi.as_view(), name="query-list"),
    path("queries/batch/", views.QueryBatchApi.as_view(), name="query-batch"),
    path("queries/<uuid:pk>/", views.QueryDetailApi.as_view(), name="query-detail"),
    path("queries/<uuid:pk>/reveal/", views.QueryRevealApi.as_view(), name="query-reveal"),
    path("accounts/search/", views.AccountSearchApi.as_view(), name="account-search"),
    path("adapter/inbox/", views.InboxApi.as_view(), name="adapter-inbox"),
    path("adapter/queries/<uuid:pk>/answer/", views.AnswerApi.as_view(), name="adapter-answer"),
    path("adapter/leases/", leases.LeaseRenewApi.as_view(), name="adapter-leases"),
    path("signing-keys/", keys.SigningKeyListApi.as_view(), name="signing-key-list"),
    path("queries/<uuid:pk>/approve/", approvals.QueryApproveApi.as_view(), name="query-approve"),
    path("queries/<uuid:pk>/reject/", approvals.QueryRejectApi.as_view(), name="query-reject"),
    path("queries/<uuid:pk>/cancel/", approvals.QueryCancelApi.as_view(), name="query-cancel"),
    path("cases/<uuid:pk>/holds/", holds.CaseHoldListApi.as_view(), name="case-holds"),
    path("cases/<uuid:pk>/traces/", traces.TraceStartApi.as_view(), name="trace-start"),
    path("traces/<uuid:pk>/", traces.TraceDetailApi.as_view(), name="trace-detail"),
    path("traces/<uuid:pk>/export/", traces.TraceExportApi.as_view(), name="trace-export"),
    path(
        "traces/<uuid:pk>/nodes/<uuid:node_id>/stop/",
        traces.TraceNodeStopApi.as_view(),
        name="trace-node-stop",
    ),
]
