from django.dispatch import receiver

from surveys.services import announces_closing, survey_invite_many
from tenants.context import current_tenant
from tickets.signals import tickets_closed


@receiver(tickets_closed)
def invite_on_close(sender, tickets, **kwargs):
    """Invite the batch's requesters; returns the tickets whose invitation goes out now, which
    tells their requesters of the closing (tickets/ sends those no closed email of its own)."""
    invitations = survey_invite_many(tickets=tickets)
    if not announces_closing(current_tenant()):
        return []
    return [invitation.ticket for invitation in invitations]
