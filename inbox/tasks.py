from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from inbox import imap
from inbox.models import Mailbox
from tenants.context import cross_tenant, tenant_context
from tenants.models import Tenant


@shared_task
def poll_mailboxes() -> dict:
    """Poll every enabled mailbox that is due (a failing one waits out its backoff)."""
    now = timezone.now()
    with cross_tenant():
        due = list(
            Mailbox.all_tenants.filter(enabled=True, tenant__is_active=True)
            .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
            .values_list("pk", "tenant_id")
        )
    handled = {}
    for pk, tenant_id in due:
        tenant = Tenant.objects.get(pk=tenant_id)
        with tenant_context(tenant):
            mailbox = Mailbox.objects.select_related("address", "tenant").get(pk=pk)
        handled[pk] = imap.poll(mailbox)
    return handled
