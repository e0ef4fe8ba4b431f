from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"

    def ready(self):
        # Contributions to the layers below (portal and policy pages, navigation, ticket pages),
        # which never import this app.
        from chat import contributions

        contributions.register()
