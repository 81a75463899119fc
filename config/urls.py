"""URL map: the web workspace (session login, pages of each app), the admin, the versioned API
and its OpenAPI schema."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.api.views import HealthView


def favicon(request):
    # Resolved per request: the hashed name exists only once collectstatic has run.
    return redirect(static("core/favicon.svg"), permanent=True)


# The order is the order URLs are tried in: the CDP's consult (its hot path) and health first.
api_v1 = [
    path("health/", HealthView.as_view(), name="health"),
    path("consult/", include("consult.api.urls")),
    path("", include("core.api.urls")),
    path("catalog/", include("catalog.api.urls")),
    path("lineage/", include("lineage.api.urls")),
    path("governance/", include("governance.api.urls")),
    path("vendors/", include("vendors.api.urls")),
]

urlpatterns = [
    # Machines first: an API request is resolved before the pages' patterns are tried.
    path("api/v1/", include(api_v1)),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Browsers ask for /favicon.ico whatever the page says (e.g. on a Markdown or JSON page).
    path("favicon.ico", favicon),
    path("", include("workspace.urls")),
    path("", include("governance.urls")),
    path("", include("vendors.urls")),
    path("", include("consult.urls")),
    path("admin/", admin.site.urls),
    path("api-auth/", include("rest_framework.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

handler404 = "core.api.errors.not_found_view"
handler400 = "core.api.errors.bad_request_view"
handler403 = "core.api.errors.permission_denied_view"
handler500 = "core.api.errors.server_error_view"
