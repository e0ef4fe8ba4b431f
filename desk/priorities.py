"""The priority vocabulary: four levels, most to least severe, and their queue order.

It belongs with the desk's priority definitions and SLA targets (``PriorityLevel``), below the
tickets that use it.
"""

from django.db import models


class Priority(models.TextChoices):
    """Ticket priorities, most to least severe. ``RANK`` orders queues (lower is first)."""

    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}
