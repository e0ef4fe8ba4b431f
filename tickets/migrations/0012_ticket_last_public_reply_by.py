"""Who wrote a ticket's last public message, for the queue's "customer replied" cue.

Filled for existing tickets from their latest public comment: "agent" when its author is staff
of the ticket's tenant, "customer" otherwise. Ticket and Comment are under row-level security,
which binds the table's owner too: ``cross_tenant()`` lets this span tenants.
"""

from django.db import migrations, models
from django.db.models import Exists, OuterRef, Subquery

from tenants.context import cross_tenant

STAFF_ROLES = ("agent", "manager", "admin")


def fill_last_public_reply_by(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    Comment = apps.get_model("tickets", "Comment")
    Membership = apps.get_model("tenants", "Membership")
    with cross_tenant():
        staff = Membership.objects.filter(
            tenant_id=OuterRef("tenant_id"), user_id=OuterRef("author_id"), role__in=STAFF_ROLES
        )
        latest = (
            Comment.objects.filter(ticket=OuterRef("pk"), is_public=True)
            .annotate(by_staff=Exists(staff))
            .order_by("-created_at", "-id")
            .values("by_staff")[:1]
        )
        tickets = Ticket.objects.annotate(by_staff=Subquery(latest))
        Ticket.objects.filter(pk__in=tickets.filter(by_staff=True).values("pk")).update(
            last_public_reply_by="agent"
        )
        Ticket.objects.filter(pk__in=tickets.filter(by_staff=False).values("pk")).update(
            last_public_reply_by="customer"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0008_tenant_assign_on_reply"),
        ("tickets", "0011_event_actor_one_vocabulary"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="last_public_reply_by",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.RunPython(fill_last_public_reply_by, migrations.RunPython.noop),
    ]
