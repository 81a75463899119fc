from rest_framework.routers import DefaultRouter

from core.api.views import ApiTokenViewSet, ChangeRecordViewSet

router = DefaultRouter()
router.register("audit", ChangeRecordViewSet, basename="changerecord")
router.register("tokens", ApiTokenViewSet, basename="apitoken")

urlpatterns = router.urls
