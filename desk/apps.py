from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The desk's support settings and business time, between tenancy and tickets."""

    name = "desk"

    def ready(self):
        from desk import receivers  # noqa: F401  (default hours and priorities for new tenants)
