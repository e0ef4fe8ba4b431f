from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self):
        # Connects anymail's inbound signal and tenants' support_clock_changed.
        from tickets import inbound, receivers  # noqa: F401
