from django.dispatch import Signal

# Sent inside the transaction that closes tickets (the automation, a batch at a time), with
# ``tickets``: the list just closed. Receivers write in that same transaction, for the whole
# list at once (the surveys app queues its invitations here); nothing in tickets/ knows who
# listens. A receiver returns the tickets of the list whose requester its own email tells of
# the closing (a survey sent at once says the ticket is closed); those get no closed email
# besides.
tickets_closed = Signal()

# Sent after a customer submits a ticket on the portal's form, with ``ticket`` and ``request``,
# inside the request's transaction (the help center notes which suggestions did not deflect it).
ticket_submitted_on_portal = Signal()

# Sent for the events appended to tickets' timelines (``lifecycle.record``: one;
# ``lifecycle.record_many``: a batch), with ``events``, a list, inside the transaction that
# records them (webhooks queue their deliveries here, in one insert per batch).
ticket_events_recorded = Signal()

# Sent when an agent merges a duplicate into another ticket (``tickets.merging.ticket_merge``),
# with ``source`` (the duplicate, now closed), ``target`` and ``actor``, inside the merge's
# transaction, both rows locked. The CC feature listens here: the source's requester becomes a
# CC of the target when they are not its requester (tickets/ does not know who listens).
ticket_merged = Signal()
