from django.apps import AppConfig


class HelpCenterConfig(AppConfig):
    name = "helpcenter"
    verbose_name = "Help center"

    def ready(self):
        # Contributions to the layers below (policy page votes, ticket page search, signals),
        # which never import this app.
        from helpcenter import contributions

        contributions.register()
