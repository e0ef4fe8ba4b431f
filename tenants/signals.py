"""Signals from the tenancy floor to the apps above it (which it never imports).

``support_clock_changed(tenant_id)`` is sent after commit when something that due times are
computed from changed: business hours, holidays, the time zone, SLA targets. The tickets app
answers by recomputing its open tickets' due times.


``tenant_created(tenant)`` is sent inside the creating transaction, with the new tenant current:
apps above set up what each tenant needs (tickets: the counter its numbers come from).
"""

from django.dispatch import Signal

support_clock_changed = Signal()
tenant_created = Signal()
