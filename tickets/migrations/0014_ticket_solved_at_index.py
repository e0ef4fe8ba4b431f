from django.db import migrations, models


class Migration(migrations.Migration):
    """The overview's tickets solved per day, counted through an index (issue 13's charts)."""

    dependencies = [
        ("tickets", "0013_ticket_created_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("solved_at__isnull", False)),
                fields=["tenant", "solved_at"],
                name="ticket_solved_at",
            ),
        ),
    ]
