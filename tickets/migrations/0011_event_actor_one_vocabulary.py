"""One vocabulary for who acted: the timeline stores the lifecycle's roles (agent, customer,
automation) instead of its own (user, automation, system).

Existing "user" rows become "agent" when the person is staff of the event's tenant, "customer"
otherwise; "automation" and "system" rows keep their value. TicketEvent is under row-level
security, which binds the table's owner too: ``cross_tenant()`` lets this system work span
tenants for the rest of the migration's transaction. The reverse maps both roles back to "user".
"""

from django.db import migrations, models
from django.db.models import Exists, OuterRef

from tenants.context import cross_tenant

STAFF_ROLES = ("agent", "manager", "admin")


def roles_from_users(apps, schema_editor):
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    Membership = apps.get_model("tenants", "Membership")
    with cross_tenant():
        staff = Membership.objects.filter(
            tenant_id=OuterRef("tenant_id"), user_id=OuterRef("actor_id"), role__in=STAFF_ROLES
        )
        TicketEvent.objects.filter(actor_kind="user").filter(Exists(staff)).update(
            actor_kind="agent"
        )
        TicketEvent.objects.filter(actor_kind="user").update(actor_kind="customer")


def users_from_roles(apps, schema_editor):
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    with cross_tenant():
        TicketEvent.objects.filter(actor_kind__in=("agent", "customer")).update(actor_kind="user")


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0007_desk_settings_moved"),
        ("tickets", "0010_ticketevent_kinds_registered_by_apps"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ticketevent",
            name="actor_kind",
            field=models.CharField(
                choices=[
                    ("agent", "Agent"),
                    ("customer", "Customer"),
                    ("automation", "Automation"),
                    ("system", "System"),
                ],
                default="agent",
                max_length=16,
            ),
        ),
        migrations.RunPython(roles_from_users, users_from_roles),
    ]
