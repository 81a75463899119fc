"""The vendor workspace's pages (the design fixes /vendors/, /vendors/contracts/<key>/ and
/vendors/contracts/<key>/edit/; others link to them)."""

from django.urls import path

from vendors import views

urlpatterns = [
    path("vendors/", views.home, name="vendor-home"),
    path("vendors/contracts/new/", views.contract_new, name="vendor-contract-new"),
    path("vendors/contracts/<str:key>/", views.contract_page, name="vendor-contract"),
    path("vendors/contracts/<str:key>/edit/", views.contract_edit, name="vendor-contract-edit"),
    path(
        "vendors/contracts/<str:key>/catalog-search/",
        views.catalog_search,
        name="vendor-catalog-search",
    ),
    path("vendors/contracts/<str:key>/document.md", views.contract_markdown,
         name="vendor-contract-markdown"),
    path("vendors/contracts/<str:key>/printable/", views.contract_printable,
         name="vendor-contract-printable"),
    path("vendors/contracts/<str:key>/odcs/", views.contract_odcs, name="vendor-contract-odcs"),
    path("vendors/contracts/<str:key>/do/<str:action>/", views.contract_action,
         name="vendor-contract-action"),
    path("vendors/contracts/<str:key>/notices/new/", views.notice_new, name="vendor-notice-new"),
    path("vendors/notices/<int:pk>/", views.notice_page, name="vendor-notice"),
    path("vendors/notices/<int:pk>/answer/", views.notice_answer, name="vendor-notice-answer"),
]  # fmt: skip
