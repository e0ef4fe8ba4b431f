from django.apps import AppConfig


class BugsConfig(AppConfig):
    name = "bugs"
    verbose_name = "Bug reports"

    def ready(self):
        # Contributions to the layers below (ticket pages, timeline, navigation), which never
        # import this app.
        from bugs import contributions

        contributions.register()
