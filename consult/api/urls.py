from django.urls import path
from rest_framework.routers import DefaultRouter

from consult.api.views import (
    AccessPolicyViewSet,
    ClassificationViewSet,
    ConsultView,
    DecisionLogViewSet,
    DefinitionClassificationViewSet,
    DefinitionSourcesView,
    FieldClassificationView,
    PurposeViewSet,
    WhatIfView,
)

router = DefaultRouter()
router.register("policies", AccessPolicyViewSet, basename="accesspolicy")
router.register("purposes", PurposeViewSet, basename="purpose")
router.register("classifications", ClassificationViewSet, basename="classification")
router.register("decisions", DecisionLogViewSet, basename="decisionlog")
router.register(
    "definition-classifications",
    DefinitionClassificationViewSet,
    basename="definitionclassification",
)

urlpatterns = [
    path("", ConsultView.as_view(), name="consult"),
    path("what-if/", WhatIfView.as_view(), name="consult-what-if"),
    path(
        "definitions/<str:key>/sources",
        DefinitionSourcesView.as_view(),
        name="consult-definition-sources",
    ),
    path("field-classifications/", FieldClassificationView.as_view(), name="field-classifications"),
    *router.urls,
]
