"""Signals from the tenancy floor to the apps above it (which it never imports).

``tenant_created(tenant)`` is sent inside the creating transaction, with the new tenant current:
apps above set up what each tenant needs (the desk: default hours and priorities; tickets: the
counter its numbers come from).
"""

from django.dispatch import Signal

tenant_created = Signal()
