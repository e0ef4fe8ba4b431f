from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"

    def ready(self):
        # The audit log's membership receivers (joined, role changed, removed), and the
        # receivers that forget a kept host lookup when its tenant changes.
        from tenants import audit, hosts  # noqa: F401
