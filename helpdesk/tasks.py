from celery import shared_task
from django.core.management import call_command


@shared_task
def clear_expired_sessions() -> None:
    """Delete expired sessions (sessions are not tenant rows, so no tenant context is needed)."""
    call_command("clearsessions")
