"""URLs served on the bare BASE_DOMAIN: the platform operator's admin, nothing of any tenant."""

from django.contrib import admin
from django.urls import path

from helpdesk.views import healthz, platform_home

admin.site.site_header = "Helpdesk platform"

urlpatterns = [
    path("", platform_home, name="platform-home"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
