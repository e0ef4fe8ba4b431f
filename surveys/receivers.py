from django.dispatch import receiver

from surveys.services import survey_invite_many
from tickets.signals import tickets_closed


@receiver(tickets_closed)
def invite_on_close(sender, tickets, **kwargs):
    survey_invite_many(tickets=tickets)
