from rest_framework.routers import DefaultRouter

from catalog.api.views import DatasetViewSet, FieldViewSet, SourceSystemViewSet

router = DefaultRouter()
router.register("systems", SourceSystemViewSet, basename="sourcesystem")
router.register("datasets", DatasetViewSet, basename="dataset")
router.register("fields", FieldViewSet, basename="field")

urlpatterns = router.urls
