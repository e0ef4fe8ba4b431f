"""Business hours, holidays and priority levels now belong to the ``desk`` app
(``desk/migrations/0001_initial.py``). Their tables stay as they are: this forgets the models
from ``tenants``' state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0006_tenant_escalation_review_minutes"),
        ("desk", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="BusinessHours"),
                migrations.DeleteModel(name="PriorityLevel"),
                migrations.DeleteModel(name="TenantHoliday"),
            ]
        ),
    ]
