# Ticket models arrive with the tickets issue; priorities are in tickets/priorities.py.
