from django.dispatch import receiver

from tickets.signals import ticket_event_recorded
from webhooks import services


@receiver(ticket_event_recorded, dispatch_uid="webhooks.deliveries")
def queue_deliveries(sender, event, **kwargs):
    services.deliveries_for_event(event)
