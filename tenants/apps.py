from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"

    def ready(self):
        # The audit log's membership receivers (joined, role changed, removed).
        from tenants import audit  # noqa: F401
