from core.api.routers import Router
from core.api.views import ApiTokenViewSet, ChangeRecordViewSet

router = Router()
router.register("audit", ChangeRecordViewSet, basename="changerecord")
router.register("tokens", ApiTokenViewSet, basename="apitoken")

urlpatterns = router.urls
