from celery import shared_task

from tickets.services import staged_attachments_purge


@shared_task
def purge_staged_attachments() -> int:
    """Remove files left by submission forms that were never completed."""
    return staged_attachments_purge()
