"""Signals from the desk to the apps above it (which it never imports).

``support_clock_changed(tenant_id)`` is sent after commit when something that due times are
computed from changed: business hours, holidays, the time zone, SLA targets. The tickets app
answers by recomputing its open tickets' due times (tickets/receivers.py).
"""

from django.dispatch import Signal

support_clock_changed = Signal()
