import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.test import Client

from outbox.models import OutboxEmail
from surveys.models import SurveyEvent, SurveyInvitation, SurveyOptOut
from surveys.services import sign, survey_invite
from tenants.context import tenant_context
from tickets.automations import run_automations
from tickets.models import Ticket
from tickets.notifications import reply_address

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def close(world, ticket, *, role="agent"):
    world.reply(ticket, role, "Fixed", submit_as=Ticket.Status.SOLVED)
    with time_machine.travel(datetime.now(tz=UTC) + timedelta(days=3)):
        return run_automations(tenants=[world.tenant])


def survey_email(world, ticket):
    with tenant_context(world.tenant):
        return list(OutboxEmail.objects.filter(ticket=ticket, template="survey_invitation"))


def links(email) -> dict[str, str]:
    found = re.findall(r"(http://\S+/survey/(\S+?)/)", email.body_text)
    good, bad, opt_out = (path for _url, path in found)
    return {"good": good, "bad": bad, "opt_out": opt_out}


@pytest.fixture
def closed(world_a):
    with time_machine.travel(T0, tick=False):
        ticket = world_a.submit(subject="Survey me")
        world_a.reply(ticket, "agent", "Done", submit_as=Ticket.Status.SOLVED)
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        run_automations(tenants=[world_a.tenant])
        run_automations(tenants=[world_a.tenant])  # a second pass adds nothing
    return ticket


def closed_emails(world, ticket):
    with tenant_context(world.tenant):
        return list(OutboxEmail.objects.filter(ticket=ticket, template="ticket_closed"))


def test_closing_queues_exactly_one_survey_email_and_it_is_the_closing_news(world_a, closed):
    (email,) = survey_email(world_a, closed)
    assert email.subject == f"[#{closed.number}] Closed. How did we do? Survey me"
    assert "Good, I'm satisfied" in email.body_html and "Bad, I'm unsatisfied" in email.body_html
    # It says what the closed email would have: closed, and a reply opens a follow-up ...
    for body in (email.body_text, email.body_html):
        assert "is closed" in body and "new follow-up ticket" in body
    with tenant_context(world_a.tenant):
        assert email.reply_to == reply_address(closed)
    # ... so the requester gets no closed email besides (one email, not two at once).
    assert closed_emails(world_a, closed) == []
    with tenant_context(world_a.tenant):
        invitation = SurveyInvitation.objects.get(ticket=closed)
        assert invitation.agent == world_a.users["agent"]  # assigned when it closed
        assert closed.events.filter(kind=SurveyEvent.SENT).count() == 1
        assert survey_invite(ticket=closed) is None  # an overlapping close finds it done
        assert SurveyInvitation.objects.filter(ticket=closed).count() == 1


def test_plain_get_records_nothing_and_post_records_and_can_change(world_a, closed):
    (email,) = survey_email(world_a, closed)
    client = Client(HTTP_HOST=world_a.host)
    with time_machine.travel(T0 + timedelta(days=3, hours=1)):
        page = client.get(f"/survey/{links(email)['bad']}/")  # what a mail scanner does
        assert page.status_code == 200
        assert 'value="bad" required id="id_rating_1" checked' in page.content.decode()
        with tenant_context(world_a.tenant):
            assert SurveyInvitation.objects.get(ticket=closed).rating == ""
        client.post(f"/survey/{links(email)['bad']}/", {"rating": "bad", "comment": "Slow"})
        client.post(f"/survey/{links(email)['good']}/", {"rating": "good", "comment": "OK now"})
    with tenant_context(world_a.tenant):
        invitation = SurveyInvitation.objects.get(ticket=closed)
        assert (invitation.rating, invitation.comment) == ("good", "OK now")
        answers = list(closed.events.filter(kind="survey_answered").values_list("before", "after"))
    assert answers == [("", "bad"), ("bad", "good")]


def test_tampered_expired_and_foreign_links_get_a_clear_page(world_a, world_b, closed):
    (email,) = survey_email(world_a, closed)
    token = links(email)["good"]
    tampered = Client(HTTP_HOST=world_a.host).get(f"/survey/{token[:-2]}xx/")
    assert tampered.status_code == 400 and "not valid" in tampered.content.decode()
    foreign = Client(HTTP_HOST=world_b.host).post(f"/survey/{token}/", {"rating": "bad"})
    assert foreign.status_code == 400 and "belongs to another helpdesk" in foreign.content.decode()
    with time_machine.travel(T0 + timedelta(days=3 + 15)):
        expired = Client(HTTP_HOST=world_a.host).post(f"/survey/{token}/", {"rating": "bad"})
    assert expired.status_code == 410 and "This survey has closed" in expired.content.decode()
    with tenant_context(world_a.tenant):
        assert SurveyInvitation.objects.get(ticket=closed).rating == ""


def test_bad_rating_offers_the_tenants_reasons(world_a, closed):
    world_a.tenant.survey_bad_reasons = ["Too slow", "Not solved"]
    world_a.tenant.save()
    (email,) = survey_email(world_a, closed)
    client = Client(HTTP_HOST=world_a.host)
    with time_machine.travel(T0 + timedelta(days=3, hours=1)):
        assert "Not solved" in client.get(f"/survey/{links(email)['bad']}/").content.decode()
        bad = client.post(f"/survey/{links(email)['bad']}/", {"rating": "bad", "reason": "Nope"})
        assert bad.status_code == 400 and "Select a valid choice" in bad.content.decode()
        client.post(f"/survey/{links(email)['bad']}/", {"rating": "bad", "reason": "Too slow"})
    with tenant_context(world_a.tenant):
        assert SurveyInvitation.objects.get(ticket=closed).reason == "Too slow"


def test_opted_out_and_bounced_requesters_are_skipped_with_the_reason(world_a, closed):
    (email,) = survey_email(world_a, closed)
    client = Client(HTTP_HOST=world_a.host)
    with time_machine.travel(T0 + timedelta(days=3, hours=1)):
        assert (
            "Stop satisfaction surveys?"
            in client.get(f"/survey/{links(email)['opt_out']}/").content.decode()
        )
        client.post(f"/survey/{links(email)['opt_out']}/")
    with tenant_context(world_a.tenant):
        assert SurveyOptOut.objects.filter(email=world_a.users["customer"].email).exists()
    second = world_a.submit(subject="Another")
    close(world_a, second)
    assert survey_email(world_a, second) == []
    with tenant_context(world_a.tenant):
        skipped = second.events.get(kind=SurveyEvent.SKIPPED)
    assert skipped.data == {"reason": "opted_out"}
    bounced_user = world_a.users["manager"]
    bounced_user.email_bounced_at = datetime.now(tz=UTC)
    bounced_user.save()
    third = world_a.submit(subject="Bounced", role="manager")
    close(world_a, third, role="agent")
    with tenant_context(world_a.tenant):
        assert third.events.get(kind="survey_skipped").data == {"reason": "address_bounced"}


def test_surveys_can_be_switched_off_and_delayed(world_a):
    world_a.tenant.surveys_enabled = False
    world_a.tenant.save()
    off = world_a.submit()
    close(world_a, off)
    assert survey_email(world_a, off) == []
    assert len(closed_emails(world_a, off)) == 1  # no survey: the closed email tells them
    world_a.tenant.surveys_enabled = True
    world_a.tenant.survey_delay = timedelta(hours=6)
    world_a.tenant.save()
    later = world_a.submit()
    close(world_a, later)
    (email,) = survey_email(world_a, later)
    with tenant_context(world_a.tenant):
        invitation = SurveyInvitation.objects.get(ticket=later)
    assert email.next_attempt_at == invitation.sent_at
    # The survey waits six hours: the closing is told at once, in the closed email.
    (closed_email,) = closed_emails(world_a, later)
    assert closed_email.next_attempt_at < invitation.sent_at - timedelta(hours=5)
    assert invitation.expires_at - invitation.sent_at == timedelta(days=14)


def test_one_batch_applies_each_tickets_own_survey_rule(world_a):
    with time_machine.travel(T0, tick=False):
        normal = world_a.submit(subject="Normal")
        opted = world_a.submit(subject="Opted", role=None, email="Opted.Out@Example.com")
        # Not ASCII: lowered by the database, as the opt-out is.
        accented = world_a.submit(subject="Accented", role=None, email="ÉLODIE@example.com")
        bounced = world_a.submit(subject="Bounced", role="manager")
        invited = world_a.submit(subject="Invited")
        tickets = (normal, opted, accented, bounced, invited)
        for ticket in tickets:
            world_a.reply(ticket, "agent", "Fixed", submit_as=Ticket.Status.SOLVED)
        with tenant_context(world_a.tenant):
            SurveyOptOut.objects.create(email="opted.out@example.com")  # matched whatever case
            SurveyOptOut.objects.create(email="élodie@example.com")
            survey_invite(ticket=invited)  # as if an overlapping run had got there first
        manager = world_a.users["manager"]
        manager.email_bounced_at = datetime.now(tz=UTC)
        manager.save()
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        report = run_automations(tenants=[world_a.tenant])  # the five in one batch
    assert sorted(number for _slug, number in report.closed) == sorted(t.number for t in tickets)
    with tenant_context(world_a.tenant):
        invitations = Counter(SurveyInvitation.objects.values_list("ticket_id", flat=True))
        emails = Counter(
            OutboxEmail.objects.filter(template="survey_invitation").values_list(
                "ticket_id", flat=True
            )
        )
        timeline = {
            ticket.pk: list(
                ticket.events.filter(kind__startswith="survey_").values_list("kind", "data")
            )
            for ticket in tickets
        }
        closed_news = Counter(
            OutboxEmail.objects.filter(template="ticket_closed").values_list("ticket_id", flat=True)
        )
    assert invitations == emails == {normal.pk: 1, invited.pk: 1}
    # Each requester hears of the closing once: in this batch's survey, else the closed email
    # (the invitation made before, by another run, is not this closing's news).
    assert closed_news == {ticket.pk: 1 for ticket in tickets if ticket is not normal}
    assert timeline[opted.pk] == [(SurveyEvent.SKIPPED, {"reason": "opted_out"})]
    assert timeline[accented.pk] == [(SurveyEvent.SKIPPED, {"reason": "opted_out"})]
    assert timeline[bounced.pk] == [(SurveyEvent.SKIPPED, {"reason": "address_bounced"})]
    assert [kind for kind, _data in timeline[normal.pk]] == [SurveyEvent.SENT]
    assert [kind for kind, _data in timeline[invited.pk]] == [SurveyEvent.SENT]  # not twice


def test_batch_signed_links_match_djangos_and_links_made_before_still_open(world_a, closed):
    from django.core import signing

    from surveys.services import SALT

    (email,) = survey_email(world_a, closed)
    token = links(email)["good"]
    value, signature = token.rsplit(":", 1)
    # The batch signer's signature is Django's own for the same value.
    assert signature == signing.TimestampSigner(salt=SALT).signature(value)
    with tenant_context(world_a.tenant):
        invitation = SurveyInvitation.objects.get(ticket=closed)
    # And each link, data written without the JSON encoder, is what sign_object makes.
    stamp = value.rsplit(":", 1)[1]
    for purpose in ("good", "bad", "opt-out"):
        made = sign(invitation, purpose)
        with mock.patch.object(signing.TimestampSigner, "timestamp", return_value=stamp):
            django_made = signing.TimestampSigner(salt=SALT).sign_object(
                {"t": world_a.tenant.pk, "i": invitation.pk, "p": purpose}
            )
            assert sign(invitation, purpose) == django_made
        assert signing.loads(made, salt=SALT) == {
            "t": world_a.tenant.pk,
            "i": invitation.pk,
            "p": purpose,
        }
    # What sign() made before (signing.dumps with compress=True, which a payload this small
    # never takes up): the same format, still accepted.
    older = signing.dumps(
        {"t": world_a.tenant.pk, "i": invitation.pk, "p": "bad"}, salt=SALT, compress=True
    )
    client = Client(HTTP_HOST=world_a.host)
    with time_machine.travel(T0 + timedelta(days=3, hours=1)):
        for link in (token, older):
            assert client.get(f"/survey/{link}/").status_code == 200


def test_a_batch_signs_every_link_with_the_second_it_began():
    from django.core import signing

    from surveys.services import SALT, _signer

    with time_machine.travel(T0, tick=False):
        signer = _signer()
        first = signer.sign_link(1, 2, "good")
    with time_machine.travel(T0 + timedelta(seconds=5), tick=False):
        later = signer.sign_link(1, 2, "good")
        fresh = _signer().sign_link(1, 2, "good")
    assert later == first != fresh
    assert signing.loads(later, salt=SALT) == {"t": 1, "i": 2, "p": "good"}
    # The stamp is the batch's start, as Django writes it.
    with time_machine.travel(T0, tick=False):
        assert first.split(":")[1] == signing.TimestampSigner(salt=SALT).timestamp()
