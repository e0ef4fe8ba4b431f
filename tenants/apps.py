from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"

    def ready(self):
        # The audit log's membership receivers (joined, role changed, removed), and the
        # receivers that forget a kept host lookup when its tenant changes.
        from django.contrib.auth import get_user_model

        from tenants import audit, hosts, kept, selectors  # noqa: F401

        # The kept staff lists show each member's name: a user's change drops their tenants'.
        kept.also_from(get_user_model(), selectors.tenants_of_member)
