from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self):
        # Connects the desk's signals (support_clock_changed, current_version_changed).
        from desk import policy
        from tenants.navigation import register_badge
        from tickets import collaboration_selectors, panels, receivers  # noqa: F401
        from tickets.models import TicketFormField

        # The public policy page lists what the ticket form asks (desk/ cannot import it).
        policy.contribute(
            "form_questions",
            lambda: list(TicketFormField.objects.values_list("label", flat=True)),
        )
        # The workspace bell: one bounded count, only on pages that show it.
        register_badge("notifications", collaboration_selectors.unread_badge)
        # CCs and followers on the ticket pages, kept out of the pages' own templates.
        panels.register(
            panels.Panel(
                "people",
                panels.AGENT,
                panels.SIDE,
                "agent/_ticket_people.html",
                collaboration_selectors.agent_panel,
            )
        )
        panels.register(
            panels.Panel(
                "ccs",
                panels.PORTAL,
                panels.MAIN,
                "tickets/_cc_panel.html",
                collaboration_selectors.portal_panel,
            )
        )
