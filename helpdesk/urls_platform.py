"""URLs served on the bare BASE_DOMAIN: the platform operator's admin, nothing of any tenant."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from helpdesk.views import favicon, healthz, platform_home

admin.site.site_header = "Helpdesk platform"

urlpatterns = [
    path("", platform_home, name="platform-home"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
]

# Email provider webhooks (delivery, bounce, complaint). Served only with a shared secret:
# without one anymail would accept anybody's events, and anybody could mark addresses bounced.
if settings.ANYMAIL.get("WEBHOOK_SECRET"):
    urlpatterns.append(path("anymail/", include("anymail.urls")))

handler400 = "helpdesk.views.bad_request"
handler403 = "helpdesk.views.permission_denied"
handler404 = "helpdesk.views.page_not_found"
handler500 = "helpdesk.views.server_error"
