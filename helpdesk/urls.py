"""URLs served on every tenant host (``<slug>.<BASE_DOMAIN>``).

Every pattern here is walked by the tenant isolation probe (tests/test_isolation_probe.py).
"""

from django.urls import include, path

from helpdesk.views import healthz
from tenants import views as tenant_views

portal_patterns = ([path("", tenant_views.portal_home, name="home")], "portal")

agent_patterns = (
    [
        path("", tenant_views.agent_home, name="home"),
        path("organizations/<int:pk>/", tenant_views.organization_detail, name="organization"),
    ],
    "agent",
)

urlpatterns = [
    path("", include(portal_patterns)),
    path("agent/", include(agent_patterns)),
    path("accounts/", include("allauth.urls")),
    path("healthz", healthz, name="healthz"),
]
