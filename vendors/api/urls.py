from django.urls import path

from core.api.routers import Router
from vendors.api import views

router = Router()
router.register("vendors", views.VendorViewSet, basename="vendor")
router.register("contacts", views.ContactViewSet, basename="vendorcontact")
router.register("contracts", views.ContractViewSet, basename="integrationcontract")
router.register("versions", views.VersionViewSet, basename="contractversion")
router.register("notices", views.NoticeViewSet, basename="changenotice")

urlpatterns = [
    path("responsibilities/", views.ResponsibilityView.as_view(), name="vendor-responsibilities"),
    path("lineage/<str:ref>/", views.LineageContractsView.as_view(), name="vendor-lineage"),
    path("agenda/", views.AgendaView.as_view(), name="vendor-agenda"),
    *router.urls,
]
