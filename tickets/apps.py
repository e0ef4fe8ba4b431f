from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self):
        from tickets import inbound  # noqa: F401  (connects anymail's inbound signal)
