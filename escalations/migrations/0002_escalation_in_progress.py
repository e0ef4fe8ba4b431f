"""A request a manager has acted on is "in progress", no longer "waiting for a manager".

Before, a request stayed "open" (shown as waiting, counted in the managers' badge, its review
due) until it was resolved or declined, whatever the manager had already done. Existing open
requests that already have a decision become "in progress"; the rule of one unsettled request
per ticket now covers both states. EscalationRequest is under row-level security, which binds
the table's owner too: ``cross_tenant()`` lets this system work span tenants. The reverse puts
"in progress" requests back to "open".
"""

from django.db import migrations, models
from django.db.models import Exists, OuterRef

from tenants.context import cross_tenant


def in_progress_when_acted_on(apps, schema_editor):
    EscalationRequest = apps.get_model("escalations", "EscalationRequest")
    EscalationAction = apps.get_model("escalations", "EscalationAction")
    with cross_tenant():
        acted_on = EscalationAction.objects.filter(request_id=OuterRef("pk"))
        EscalationRequest.objects.filter(status="open").filter(Exists(acted_on)).update(
            status="in_progress"
        )


def open_again(apps, schema_editor):
    EscalationRequest = apps.get_model("escalations", "EscalationRequest")
    with cross_tenant():
        EscalationRequest.objects.filter(status="in_progress").update(status="open")


class Migration(migrations.Migration):
    dependencies = [
        ("escalations", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="escalationrequest",
            name="escalation_one_open_per_ticket",
        ),
        migrations.AlterField(
            model_name="escalationrequest",
            name="status",
            field=models.CharField(
                choices=[
                    ("open", "Waiting for a manager"),
                    ("in_progress", "In progress with a manager"),
                    ("resolved", "Resolved"),
                    ("declined", "Declined"),
                ],
                default="open",
                max_length=16,
            ),
        ),
        migrations.RunPython(in_progress_when_acted_on, open_again),
        migrations.AddIndex(
            model_name="escalationrequest",
            index=models.Index(
                condition=models.Q(("status", "in_progress")),
                fields=["tenant", "created_at"],
                name="escalation_in_progress",
            ),
        ),
        migrations.AddConstraint(
            model_name="escalationrequest",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["open", "in_progress"])),
                fields=("tenant", "ticket"),
                name="escalation_one_active_per_ticket",
            ),
        ),
    ]
