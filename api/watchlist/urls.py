from django.urls import path

from . import views

urlpatterns = [
    path("watchlist/", views.EntryListApi.as_view(), name="watchlist-list"),
    path("watchlist/check/", views.WatchlistCheckApi.as_view(), name="watchlist-check"),
    path("watchlist/blocks/", views.WatchlistBlocksApi.as_view(), name="watchlist-blocks"),
    path("watchlist/<uuid:pk>/", views.EntryDetailApi.as_view(), name="watchlist-detail"),
    path("watchlist/<uuid:pk>/delist/", views.EntryDelistApi.as_view(), name="watchlist-delist"),
]
