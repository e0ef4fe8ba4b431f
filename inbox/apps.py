from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = "Email channel"

    def ready(self):
        # Connects the provider's inbound-email signal (anymail).
        from inbox import receivers  # noqa: F401
