from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    name = "escalations"

    def ready(self):
        # Contributions to the layers below, which never import this app.
        from escalations import contributions

        contributions.register()
