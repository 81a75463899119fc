from django.urls import path

from core.api.routers import Router
from lineage.api.views import (
    CheckView,
    DatasetEdgeViewSet,
    DbtImportView,
    EtlJobVersionViewSet,
    EtlJobViewSet,
    GraphViewSet,
    LineageEdgeViewSet,
    OpenLineageView,
    SqlSubmissionViewSet,
    UnmappedNamespaceViewSet,
)

router = Router()
router.register("jobs", EtlJobViewSet, basename="etljob")
router.register("versions", EtlJobVersionViewSet, basename="etljobversion")
router.register("edges", LineageEdgeViewSet, basename="lineageedge")
router.register("dataset-edges", DatasetEdgeViewSet, basename="datasetedge")
router.register("graph", GraphViewSet, basename="lineagegraph")
router.register("submissions", SqlSubmissionViewSet, basename="sqlsubmission")
router.register("openlineage/namespaces", UnmappedNamespaceViewSet, basename="openlineagenamespace")

urlpatterns = [
    path("check/", CheckView.as_view(), name="lineage-check"),
    path("openlineage/", OpenLineageView.as_view(), name="lineage-openlineage"),
    path("dbt/", DbtImportView.as_view(), name="lineage-dbt"),
    *router.urls,
]
