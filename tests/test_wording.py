from datetime import timedelta

import pytest

from core.wording import duration_words


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(days=2), "2 days"),
        (timedelta(days=1), "1 day"),  # the solved email once said "1 days"
        (timedelta(hours=36), "36 hours"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(minutes=90), "1.5 hours"),
    ],
)
def test_durations_read_as_people_write_them(delta, words):
    assert duration_words(delta) == words


def test_the_solved_email_says_one_day_in_the_singular(world_a):
    from outbox.models import OutboxEmail
    from tenants.context import tenant_context

    with tenant_context(world_a.tenant):
        world_a.tenant.solved_close_delay = timedelta(days=1)
        world_a.tenant.save()
    world_a.reply(world_a.ticket, "agent", "Fixed", submit_as="solved")
    with tenant_context(world_a.tenant):
        email = OutboxEmail.objects.get(ticket=world_a.ticket, template="ticket_solved")
    assert "within 1 day and" in email.body_text and "1 days" not in email.body_text
    assert "within 1 day and" in email.body_html
