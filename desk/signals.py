"""Signals from the desk to the apps above it (which it never imports).

``support_clock_changed(tenant_id)`` is sent after commit when something that due times are
computed from changed: business hours, holidays, the time zone, SLA targets. The tickets app
answers by recomputing its open tickets' due times (tickets/receivers.py).

``current_version_changed(tenant_id, version)`` is sent inside the settings change's transaction
when the tenant's current app version moves: the tickets app re-flags tickets from versions that
are no longer supported, in the same transaction.
"""

from django.dispatch import Signal

support_clock_changed = Signal()
current_version_changed = Signal()
