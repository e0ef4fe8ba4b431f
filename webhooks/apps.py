from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        # Every ticket event recorded (tickets.signals.ticket_events_recorded) may owe deliveries.
        from webhooks import receivers  # noqa: F401
