from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self):
        # Connects the desk's signals (support_clock_changed, current_version_changed).
        from desk import policy
        from tenants.navigation import register_badge
        from tickets import collaboration_selectors, panels, receivers, tags, timelog  # noqa: F401
        from tickets.models import TicketFormField

        # The public policy page lists what the ticket form asks (desk/ cannot import it).
        policy.contribute(
            "form_questions",
            lambda: list(TicketFormField.objects.values_list("label", flat=True)),
        )
        # The agent ticket page's tags, as a side panel: the page itself stays untouched.
        panels.register(
            panels.Panel("tags", panels.AGENT, panels.SIDE, "agent/_ticket_tags.html", tags.panel)
        )
        # The agent ticket page's time card (time tracking): a panel like the feature apps',
        # so the page's view and template stay as they are.
        panels.register(
            panels.Panel(
                name="time",
                page=panels.AGENT,
                slot=panels.SIDE,
                template="agent/_ticket_time.html",
                context=timelog.panel,
            )
        )
        # The workspace bell: one bounded count, only on pages that show it.
        register_badge(collaboration_selectors.UNREAD_BADGE, collaboration_selectors.unread_badge)
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
