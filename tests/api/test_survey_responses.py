"""Satisfaction surveys through /api/v1/: managers read the answers by the CSAT report's days
and by rating; staff read a ticket's survey as its page shows it; customers see neither (their
portal shows no survey)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from surveys import services
from surveys.models import SurveyInvitation
from tenants.context import tenant_context
from tests.api.helpers import api
from tickets import lifecycle
from tickets.lifecycle import Actor
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

# Noon in Chicago (the tenants' zone): a survey sent then is on that day in every report.
MARCH_2 = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


def surveyed(world, *, when=MARCH_2, rating="", comment="", subject="Surveyed") -> Ticket:
    """A ticket solved by the agent and closed at ``when`` (its survey sent then), answered
    with ``rating`` unless empty."""
    with time_machine.travel(when, tick=False):
        ticket = world.submit(subject=subject)
        world.reply(ticket, "agent", "Fixed", submit_as="solved")
        with tenant_context(world.tenant):
            locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
            lifecycle.transition(locked, "closed", actor_kind=Actor.AUTOMATION)
            survey = services.survey_invite(ticket=locked) or SurveyInvitation.objects.get(
                ticket=locked
            )
            if rating:
                services.survey_answer(invitation=survey, rating=rating, comment=comment)
    return ticket


def test_managers_read_the_answers_by_days_and_rating(world_a, world_b):
    good = surveyed(world_a, rating="good", comment="Quick and kind", subject="Good one")
    bad = surveyed(world_a, when=MARCH_2 + timedelta(days=7), rating="bad", subject="Bad one")
    surveyed(world_a, subject="Unanswered")
    surveyed(world_b, rating="good")
    manager = api(world_a, "manager")
    body = manager.get("/api/v1/survey-responses/").json()
    assert [r["ticket"]["number"] for r in body["results"]] == [bad.number, good.number]
    assert body["next"] is None
    answer = body["results"][1]
    assert answer["rating"] == "good" and answer["comment"] == "Quick and kind"
    # The agent who answered took the ticket: the rating counts for them.
    assert answer["agent"] == {"id": world_a.users["agent"].pk, "name": "agent alpha"}
    assert answer["ticket"]["subject"] == "Good one" and answer["answered_at"]

    def numbers(**params):
        response = manager.get("/api/v1/survey-responses/", params)
        assert response.status_code == 200, response.content
        return [row["ticket"]["number"] for row in response.json()["results"]]

    assert numbers(rating="bad") == [bad.number]
    assert numbers(start="2026-03-03") == [bad.number]
    assert numbers(end="2026-03-02") == [good.number]
    assert numbers(start="2026-03-02", end="2026-03-02") == [good.number]
    # The report's bounds and words for a bad range.
    backwards = manager.get(
        "/api/v1/survey-responses/", {"start": "2026-03-09", "end": "2026-03-01"}
    )
    assert backwards.status_code == 400 and "before the end" in backwards.json()["detail"]
    ancient = manager.get("/api/v1/survey-responses/", {"start": "1999-12-31"})
    assert ancient.status_code == 400 and "between" in ancient.json()["detail"]
    assert manager.get("/api/v1/survey-responses/", {"rating": "meh"}).status_code == 400
    assert api(world_a, "agent").get("/api/v1/survey-responses/").status_code == 403
    assert api(world_a, "customer").get("/api/v1/survey-responses/").status_code == 403


def test_the_answers_cost_the_same_queries_for_2_and_8(world_a):
    manager = api(world_a, "manager")

    def queries():
        return manager.listing_cost("/api/v1/survey-responses/")

    for index in range(2):
        surveyed(world_a, rating="good", subject=f"few {index}")
    queries()  # the token's first use of the day records it; later calls do not
    few, shown = queries()
    for index in range(6):
        surveyed(world_a, rating="bad", subject=f"many {index}")
    assert queries() == (few, shown + 6)


def test_staff_read_a_tickets_survey_and_customers_do_not(world_a):
    agent, customer = api(world_a, "agent"), api(world_a, "customer")
    open_url = f"/api/v1/tickets/{world_a.ticket.number}/survey/"
    assert agent.get(open_url).json() == {
        "state": "not_sent",
        "sent_at": None,
        "expires_at": None,
        "answered_at": None,
        "rating": None,
        "reason": None,
        "comment": None,
        "agent": None,
    }
    waiting = surveyed(world_a, when=datetime.now(tz=UTC))
    body = agent.get(f"/api/v1/tickets/{waiting.number}/survey/").json()
    assert body["state"] == "waiting" and body["sent_at"] and body["rating"] is None
    answered = surveyed(world_a, rating="bad", comment="Too slow")
    body = agent.get(f"/api/v1/tickets/{answered.number}/survey/").json()
    assert (body["state"], body["rating"], body["comment"]) == ("answered", "bad", "Too slow")
    expired = surveyed(world_a)  # sent in March 2026, links long closed
    with time_machine.travel(MARCH_2 + timedelta(days=400)):
        body = agent.get(f"/api/v1/tickets/{expired.number}/survey/").json()
    assert body["state"] == "expired"
    # The customer's own ticket: the portal shows no survey, so neither does the API.
    own = customer.get(f"/api/v1/tickets/{answered.number}/survey/")
    assert own.status_code == 403 and "Too slow" not in own.content.decode()
    assert agent.get("/api/v1/tickets/999999/survey/").status_code == 404
