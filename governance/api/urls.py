from django.urls import path

from core.api.routers import Router
from governance.api.views import (
    CommitteeViewSet,
    ConflictViewSet,
    DefinitionViewSet,
    KpiView,
    MappingViewSet,
    OwnershipViewSet,
    ReviewViewSet,
)

router = Router()
router.register("definitions", DefinitionViewSet, basename="fielddefinition")
router.register("mappings", MappingViewSet, basename="fieldmapping")
router.register("reviews", ReviewViewSet, basename="review")
router.register("committees", CommitteeViewSet, basename="committee")
router.register("conflicts", ConflictViewSet, basename="conflict")
router.register("ownerships", OwnershipViewSet, basename="ownership")

urlpatterns = [
    path("kpis/", KpiView.as_view(), name="governance-kpis"),
    *router.urls,
]
