from django.dispatch import receiver

from tickets.signals import ticket_events_recorded
from webhooks import services


@receiver(ticket_events_recorded, dispatch_uid="webhooks.deliveries")
def queue_deliveries(sender, events, **kwargs):
    services.deliveries_for_events(events)
