from django.urls import path

from workspace import catalog_pages, job_pages, lineage_views, views

# The catalog, lineage and job URLs are fixed by the design (/catalog/systems/<key>/,
# /catalog/datasets/<system>:<dataset>/, /catalog/fields/<field ref>/, /lineage/?field=,
# /lineage/jobs/<key>/, /lineage/check/).
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("catalog/", catalog_pages.catalog_index, name="catalog-page"),
    path("catalog/systems/<str:key>/", catalog_pages.system_page, name="catalog-system"),
    path("catalog/datasets/<str:ref>/", catalog_pages.dataset_page, name="catalog-dataset"),
    # A field's reference may hold a quoted column with a slash in it: take the whole path.
    path("catalog/fields/<path:ref>/", catalog_pages.field_page, name="catalog-field"),
    path("lineage/jobs/<str:key>/", job_pages.job_page, name="job-page"),
    path("lineage/", lineage_views.explorer, name="lineage-page"),
    path("lineage/list.csv", lineage_views.explorer_csv, name="lineage-csv"),
    path("lineage/picture/", lineage_views.explorer_picture, name="lineage-picture"),
    path("lineage/paths/", lineage_views.explorer_paths, name="lineage-paths"),
    path("lineage/check/", lineage_views.check, name="lineage-check-page"),
]
