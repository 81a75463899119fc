"""URL map: the admin, the versioned API and the OpenAPI schema."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.api.views import HealthView

api_v1 = [
    path("health/", HealthView.as_view(), name="health"),
    path("", include("core.api.urls")),
    path("catalog/", include("catalog.api.urls")),
    path("lineage/", include("lineage.api.urls")),
    path("governance/", include("governance.api.urls")),
    path("consult/", include("consult.api.urls")),
    path("vendors/", include("vendors.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api-auth/", include("rest_framework.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

handler404 = "core.api.errors.not_found_view"
