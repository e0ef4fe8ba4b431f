from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outbox"

    def ready(self):
        from outbox import webhooks  # noqa: F401  (connects anymail's tracking signal)
