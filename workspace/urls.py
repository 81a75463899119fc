from django.urls import path

from workspace import lineage_views, views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("lineage/", lineage_views.explorer, name="lineage-page"),
    path("lineage/list.csv", lineage_views.explorer_csv, name="lineage-csv"),
    path("lineage/picture/", lineage_views.explorer_picture, name="lineage-picture"),
    path("lineage/paths/", lineage_views.explorer_paths, name="lineage-paths"),
    path("lineage/check/", lineage_views.check, name="lineage-check-page"),
]
