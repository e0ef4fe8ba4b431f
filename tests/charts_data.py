"""A desk with figures to chart: tickets created and solved over the last two weeks, survey
ratings over three months, escalation requests over several months. Dates are set after the
real services ran, so the shapes are known whatever day the tests run on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from escalations.models import EscalationRequest
from escalations.services import escalation_request
from surveys.models import SurveyInvitation
from tenants.context import current_tenant
from tickets.models import Ticket
from tickets.services import ticket_reply, ticket_submit

# Tickets created per day, oldest first (index 13 is today), and how many of them are solved.
CREATED = [2, 0, 3, 5, 1, 4, 6, 2, 0, 3, 7, 4, 2, 3]
SOLVED = [1, 0, 2, 3, 1, 2, 4, 1, 0, 1, 3, 2, 1, 1]
PRIORITIES = ["urgent", "high", "normal", "normal", "low"]


def local_noon(days_ago: int) -> datetime:
    zone = ZoneInfo(current_tenant().time_zone)
    day = timezone.now().astimezone(zone).date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, 12, tzinfo=zone)


def seed_charts(*, customer, customer_membership, agents, scale: int = 1) -> dict:
    """Run inside tenant_context. ``agents``: [(user, membership)]; ``scale`` multiplies the
    ticket volume (for query-count tests). Returns what was made."""
    made = {"tickets": [], "solved": 0, "escalations": 0, "surveys": 0}
    for index, (count, solved) in enumerate(zip(CREATED, SOLVED, strict=True)):
        days_ago = len(CREATED) - 1 - index
        when = min(local_noon(days_ago), timezone.now() - timedelta(minutes=1))
        for n in range(count * scale):
            ticket = ticket_submit(
                requester_email=customer.email,
                requester=customer,
                subject=f"Backup job {index}-{n} fails",
                description="The nightly job stops at 40%.",
                priority=PRIORITIES[(index + n) % len(PRIORITIES)],
            )
            agent, membership = agents[(index + n) % len(agents)]
            if n < solved * scale:
                ticket = ticket_reply(
                    ticket=ticket,
                    author=agent,
                    membership=membership,
                    body="Fixed in 11.4.",
                    submit_as=Ticket.Status.SOLVED,
                )
                Ticket.objects.filter(pk=ticket.pk).update(solved_at=when + timedelta(hours=2))
                made["solved"] += 1
            Ticket.objects.filter(pk=ticket.pk).update(created_at=when, assignee=agent)
            made["tickets"].append(ticket)
    # Ratings: twelve weeks back, a good share that rises, one week without any.
    rated = made["tickets"][: 12 * 3]
    for i, ticket in enumerate(rated):
        week = i // 3
        if week == 4:
            continue
        sent = local_noon(7 * (12 - week))
        rating = "" if i % 3 == 2 and week % 2 else ("good" if (i + week) % 4 else "bad")
        SurveyInvitation.objects.create(
            ticket=ticket,
            agent=agents[i % len(agents)][0],
            recipient=customer.email,
            sent_at=sent,
            expires_at=sent + timedelta(days=14),
            rating=rating,
            comment="Took two days" if rating == "bad" else "",
            answered_at=sent if rating else None,
        )
        made["surveys"] += 1
    # Escalations: one request on each of a few open tickets, spread over five months.
    open_tickets = [t for t in made["tickets"] if t.status != Ticket.Status.SOLVED][:9]
    for i, ticket in enumerate(open_tickets):
        request = escalation_request(
            ticket=ticket,
            actor=customer,
            membership=customer_membership,
            reason="Still failing after the fix",
            requested_priority="urgent",
        )
        month_back = i % 5
        created = datetime.now(tz=UTC) - timedelta(days=30 * month_back + 1)
        EscalationRequest.objects.filter(pk=request.pk).update(created_at=created)
        made["escalations"] += 1
    return made
