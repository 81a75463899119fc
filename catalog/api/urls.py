from catalog.api.views import DatasetViewSet, FieldViewSet, SourceSystemViewSet
from core.api.routers import Router

router = Router()
router.register("systems", SourceSystemViewSet, basename="sourcesystem")
router.register("datasets", DatasetViewSet, basename="dataset")
router.register("fields", FieldViewSet, basename="field")

urlpatterns = router.urls
