from django.dispatch import receiver

from surveys.services import survey_invite
from tickets.signals import ticket_closed


@receiver(ticket_closed)
def invite_on_close(sender, ticket, **kwargs):
    survey_invite(ticket=ticket)
