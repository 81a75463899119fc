from django.urls import path

from consult.api.views import (
    AccessPolicyViewSet,
    ClassificationViewSet,
    ConsultQueryView,
    ConsultView,
    DecisionLogViewSet,
    DefinitionClassificationViewSet,
    DefinitionSourcesView,
    FieldClassificationView,
    PurposeViewSet,
    WhatIfView,
)
from core.api.routers import Router

router = Router()
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
    path("query/", ConsultQueryView.as_view(), name="consult-query"),
    path("what-if/", WhatIfView.as_view(), name="consult-what-if"),
    path(
        "definitions/<str:key>/sources/",
        DefinitionSourcesView.as_view(),
        name="consult-definition-sources",
    ),
    path("field-classifications/", FieldClassificationView.as_view(), name="field-classifications"),
    *router.urls,
]
