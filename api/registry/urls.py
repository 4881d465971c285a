from django.urls import path

from partners.choices import PartnerStatus

from . import views

urlpatterns = [
    path("auth/enrol/", views.EnrolApi.as_view(), name="auth-enrol"),
    path("auth/token/", views.TokenApi.as_view(), name="auth-token"),
    path("auth/password/", views.PasswordApi.as_view(), name="auth-password"),
    path("me/", views.MeApi.as_view(), name="me"),
    path("partners/", views.PartnerListApi.as_view(), name="partner-list"),
    path("partners/<slug:code>/", views.PartnerDetailApi.as_view(), name="partner-detail"),
    path(
        "partners/<slug:code>/suspend/",
        views.PartnerStatusApi.as_view(new_status=PartnerStatus.SUSPENDED),
        name="partner-suspend",
    ),
    path(
        "partners/<slug:code>/reactivate/",
        views.PartnerStatusApi.as_view(new_status=PartnerStatus.ACTIVE),
        name="partner-reactivate",
    ),
    path("people/", views.PersonListApi.as_view(), name="person-list"),
    path("people/<str:username>/", views.PersonDetailApi.as_view(), name="person-detail"),
    path(
        "people/<str:username>/enrolment-witness/",
        views.EnrolmentWitnessApi.as_view(),
        name="person-enrolment-witness",
    ),
    path("adapter-keys/", views.AdapterKeyListApi.as_view(), name="adapter-key-list"),
    path("grants/", views.GrantListApi.as_view(), name="grant-list"),
    path("grants/<int:pk>/", views.GrantDetailApi.as_view(), name="grant-detail"),
    path("adapter/me/", views.AdapterMeApi.as_view(), name="adapter-me"),
]
