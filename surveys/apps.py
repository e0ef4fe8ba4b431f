from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"

    def ready(self):
        # Contributions to the layers below, which never import this app.
        from surveys import contributions, receivers  # noqa: F401  (receivers: tickets_closed)

        contributions.register()
