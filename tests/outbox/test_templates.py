"""Every notification template renders both parts, branded, with the ticket number."""

import pytest
from django.utils import timezone

from outbox.services import render_email
from tenants.context import tenant_context


@pytest.mark.parametrize(
    ("template", "subject_start"),
    [
        ("ticket_received", "[#{n}] We received your request: "),
        ("agent_reply", "[#{n}] New reply: "),
        ("ticket_solved", "[#{n}] Solved: "),
        ("pending_reminder", "[#{n}] Reminder: we are waiting for your answer"),
        ("ticket_closed", "[#{n}] Closed: "),
        ("follow_up_created", "[#{n}] Follow-up to #{n}: "),
    ],
)
def test_template_renders_text_and_html(world_a, template, subject_start):
    ticket = world_a.ticket
    with tenant_context(world_a.tenant):
        comment = ticket.comments.filter(is_public=True).first()
        subject, text, html = render_email(
            template,
            {
                "tenant": world_a.tenant,
                "ticket": ticket,
                "comment": comment,
                "previous": ticket,
                "ticket_url": world_a.tenant.url(f"/tickets/{ticket.number}/"),
                "solves_at": timezone.now(),
                "tenant_time_zone": world_a.tenant.time_zone,
                "closes_after": "2 days",
            },
        )
    n = ticket.number
    assert subject.startswith(subject_start.format(n=n)) and "\n" not in subject
    assert f"#{n}" in text and f"#{n}" in html
    assert world_a.tenant.name in text and world_a.tenant.name in html
    url = world_a.tenant.url(f"/tickets/{n}/")
    assert url in text and f'href="{url}"' in html
    assert html.lstrip().startswith("<!DOCTYPE html>") and "{%" not in html and "{{" not in text


def test_webhooks_are_mounted_only_with_a_secret():
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve("/anymail/postmark/tracking/", urlconf="helpdesk.urls_platform")
