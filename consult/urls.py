"""The consult pages (URLs fixed by the design: /consult/policies/, /consult/what-if/,
/consult/decisions/)."""

from django.urls import path

from consult import views

urlpatterns = [
    path("consult/policies/", views.policies, name="policies-page"),
    path("consult/policies/new/", views.policy_new, name="policy-new"),
    path("consult/policies/<int:pk>/", views.policy_detail, name="policy-page"),
    path("consult/policies/<int:pk>/do/<str:action>/", views.policy_action, name="policy-action"),
    path("consult/what-if/", views.what_if, name="what-if-page"),
    path("consult/decisions/", views.decisions, name="decisions-page"),
    path("consult/decisions/export.csv", views.decisions_csv, name="decisions-csv"),
]
