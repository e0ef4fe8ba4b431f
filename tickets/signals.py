from django.dispatch import Signal

# Sent inside the transaction that closes a ticket (the automation), with ``ticket``.
# Receivers write in that same transaction (the surveys app queues its invitation here);
# nothing in tickets/ knows who listens.
ticket_closed = Signal()

# Sent after a customer submits a ticket on the portal's form, with ``ticket`` and ``request``,
# inside the request's transaction (the help center notes which suggestions did not deflect it).
ticket_submitted_on_portal = Signal()

# Sent for every event appended to a ticket's timeline (``lifecycle.record``), with ``event``,
# inside the transaction that records it (webhooks queue their deliveries here).
ticket_event_recorded = Signal()
