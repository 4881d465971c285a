"""The audit API under `/api/v1/audit/`; `api/urls.py` includes this module."""

from django.urls import path

from . import views

urlpatterns = [
    path("audit/events/", views.AuditEventListApi.as_view(), name="audit-event-list"),
    path("audit/events/<int:pk>/", views.AuditEventDetailApi.as_view(), name="audit-event-detail"),
    path("audit/events/<int:pk>/proof/", views.AuditEventProofApi.as_view(), name="audit-event-proof"),
    path("audit/export/", views.AuditExportApi.as_view(), name="audit-export"),
    path("audit/heads/", views.TreeHeadListApi.as_view(), name="audit-head-list"),
    path("audit/heads/consistency/", views.TreeHeadConsistencyApi.as_view(), name="audit-head-consistency"),
    path("audit/heads/export/", views.TreeHeadExportApi.as_view(), name="audit-head-export"),
    path("audit/anomalies/", views.AnomalyListApi.as_view(), name="audit-anomalies"),
]
