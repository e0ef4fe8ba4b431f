"""Demo time travel: move one ticket's whole history back, as if that much time had passed.

Demo data only. Every timestamp of the ticket, its messages and its timeline moves by the same
amount, so the order of events and the status invariants stay true and the timed rules
(``tickets.automations``) see the ticket exactly as they would after waiting. Events are
immutable to the application, hence the plain SQL for them.
"""

from datetime import timedelta

from django.db import connection, models
from django.db.models import F

from tickets import sla
from tickets.models import Comment, Ticket, TicketEvent


def _datetime_fields(model) -> list[str]:
    return [
        field.attname
        for field in model._meta.concrete_fields
        if isinstance(field, models.DateTimeField)
    ]


def shift_back(ticket: Ticket, delta: timedelta) -> None:
    """Move ``ticket`` (inside its tenant) and everything on it ``delta`` into the past."""
    ticket.refresh_from_db()
    Ticket.objects.filter(pk=ticket.pk).update(
        **{
            name: getattr(ticket, name) - delta
            for name in _datetime_fields(Ticket)
            if getattr(ticket, name) is not None
        }
    )
    Comment.objects.filter(ticket=ticket).update(
        created_at=F("created_at") - delta, updated_at=F("updated_at") - delta
    )
    table = TicketEvent._meta.db_table
    with connection.cursor() as cursor:
        for pk, created_at in TicketEvent.objects.filter(ticket=ticket).values_list(
            "pk", "created_at"
        ):
            cursor.execute(
                f"UPDATE {table} SET created_at = %s WHERE id = %s",  # noqa: S608
                [created_at - delta, pk],
            )
    ticket.refresh_from_db()
    sla.refresh(ticket)  # due times follow the shifted history, in business time
