from django.dispatch import Signal

# Sent inside the transaction that closes a ticket (the automation), with ``ticket``.
# Receivers write in that same transaction (the surveys app queues its invitation here);
# nothing in tickets/ knows who listens.
ticket_closed = Signal()
