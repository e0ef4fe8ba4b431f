from celery import shared_task

from tickets import automations
from tickets.services import staged_attachments_purge


@shared_task(acks_late=True)
def run_automations() -> int:
    """One automation pass; overlapping or repeated passes are harmless (rows are claimed)."""
    return automations.run_automations().total


@shared_task
def purge_staged_attachments() -> int:
    """Remove files left by submission forms that were never completed."""
    return staged_attachments_purge()
