"""Merging, splitting and linking tickets (tickets/merging.py), through the real services."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction

from outbox.models import OutboxEmail
from tenants.context import cross_tenant, tenant_context
from tickets import merging, selectors, signals
from tickets.lifecycle import InvalidTransition
from tickets.models import Attachment, Ticket, TicketEvent, TicketLink

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # a Monday


def _log(name: str, text: str):
    return [("files", SimpleUploadedFile(name, text.encode()), "text/plain")]


@pytest.fixture
def pair(world_a):
    """A target and a duplicate whose messages interleave in time (times 0..4 hours):
    target at 0 and 2 hours, duplicate at 1 (with a file) and 3 hours (an agent's note at 4)."""
    with time_machine.travel(T0, tick=False):
        target = world_a.submit(subject="Restore fails", description="target first")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        source = world_a.submit(
            subject="Restore still fails",
            description="source first",
            role="manager",  # another requester: the merge tells them, and CCs them
            log="source log\n",
        )
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        world_a.reply(target, "customer", "target second")
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        world_a.reply(source, "manager", "source second", uploads=_log("more.log", "more\n"))
    with time_machine.travel(T0 + timedelta(hours=4), tick=False):
        world_a.reply(source, "agent", "source note", public=False)
    return source, target


def _merge(world, source, target, actor="agent"):
    with tenant_context(world.tenant):
        return merging.ticket_merge(source=source, target=target, actor=world.users[actor])


def _merged_emails(world, source):
    with tenant_context(world.tenant):
        return list(OutboxEmail.objects.filter(ticket=source, template="ticket_merged"))


def test_merge_moves_the_conversation_in_time_order_onto_the_target(world_a, pair):
    source, target = pair
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        merged = _merge(world_a, source, target)
    assert (merged.messages, merged.files, merged.repeated) == (3, 2, False)
    with tenant_context(world_a.tenant):
        bodies = [
            c.body
            for c in selectors.conversation(target, world_a.memberships["agent"])  # staff view
        ]
        assert bodies == [
            "target first",
            "source first",
            "target second",
            "source second",
            "source note",
        ]
        # The messages kept their own times: the merge happened a day later.
        times = [c.created_at for c in target.comments.order_by("created_at")]
        assert times == [T0 + timedelta(hours=h) for h in range(5)]
        assert not source.comments.exists()
        # The customer of the target never sees the duplicate's internal note.
        public = selectors.conversation(target, world_a.memberships["customer"])
        assert "source note" not in [c.body for c in public]


def test_merged_files_move_and_the_targets_viewers_can_download_them(world_a, pair, as_member):
    source, target = pair
    with tenant_context(world_a.tenant):
        files = list(Attachment.objects.filter(ticket=source).order_by("id"))
    assert [f.original_name for f in files] == ["app.log", "more.log"]
    _merge(world_a, source, target)
    with tenant_context(world_a.tenant):
        assert set(Attachment.objects.filter(ticket=target).values_list("pk", flat=True)) >= {
            f.pk for f in files
        }
    # The target's requester (not the duplicate's) downloads them from the target's page.
    customer = as_member(world_a.users["customer"], world_a.tenant)
    for attachment, text in zip(files, [b"source log\n", b"more\n"], strict=True):
        response = customer.get(f"/tickets/{target.number}/attachments/{attachment.pk}/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == text
        # ... and no longer under the source's number.
        assert (
            customer.get(f"/tickets/{source.number}/attachments/{attachment.pk}/").status_code
            == 404
        )


def test_merge_records_events_on_both_and_closes_the_source_with_a_pointer(world_a, pair):
    source, target = pair
    before = world_a.refresh(target).status
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        _merge(world_a, source, target)
    world_a.refresh(source)
    assert source.status == Ticket.Status.CLOSED
    assert source.merged_into_id == target.pk
    assert source.closed_at == T0 + timedelta(days=1)
    assert source.next_update_due_at is None
    with tenant_context(world_a.tenant):
        kinds = list(source.events.order_by("id").values_list("kind", "after"))
        assert ("merged_into", f"#{target.number}") in kinds
        status = source.events.get(kind=TicketEvent.Kind.STATUS_CHANGED, after="closed")
        assert status.data == {"reason": "merged"}
        assert status.actor == world_a.users["agent"]
        # The duplicate's own history stays on the duplicate.
        assert source.events.filter(kind=TicketEvent.Kind.CREATED).exists()
        merged_from = target.events.get(kind=TicketEvent.Kind.MERGED_FROM)
        assert merged_from.after == f"#{source.number}"
        assert merged_from.data["requester"] == world_a.users["manager"].email
        assert target.merged_from.get() == source
    world_a.refresh(target)
    assert target.status == before == Ticket.Status.OPEN  # the target carries on as it was


def test_the_sources_customer_is_emailed_once_even_when_the_merge_is_retried(world_a, pair):
    source, target = pair
    _merge(world_a, source, target)
    (email,) = _merged_emails(world_a, source)
    assert email.recipient == world_a.users["manager"].email
    assert f"#{source.number}" in email.subject and f"#{target.number}" in email.subject
    for part in (email.body_text, email.body_html):
        assert "merged the two" in part
        assert f"#{target.number}" in part
        assert f"/tickets/{source.number}/" in part
        assert "Restore fails" not in part  # the target's subject: another customer's words
    assert "<strong>#" in email.body_html and "<strong>" not in email.body_text
    # The reply address threads an answer into the target, where the conversation went.
    assert f".{target.number}." in email.reply_to
    again = _merge(world_a, world_a.refresh(source), target)
    assert again.repeated and (again.messages, again.files) == (0, 0)
    assert len(_merged_emails(world_a, source)) == 1
    with tenant_context(world_a.tenant):
        assert source.events.filter(kind=TicketEvent.Kind.MERGED_INTO).count() == 1


def test_merge_sends_the_signal_the_cc_feature_listens_to(world_a, pair):
    source, target = pair
    heard = []

    def receiver(sender, source, target, actor, **kwargs):
        heard.append((source.pk, target.pk, actor.pk, source.status))

    signals.ticket_merged.connect(receiver)
    try:
        _merge(world_a, source, target)
    finally:
        signals.ticket_merged.disconnect(receiver)
    assert heard == [(source.pk, target.pk, world_a.users["agent"].pk, "closed")]


def test_merge_refuses_itself_closed_tickets_and_chains(world_a, pair):
    source, target = pair
    with pytest.raises(merging.MergeRefused, match="into itself") as refused:
        _merge(world_a, source, source)
    assert refused.value.status == 400
    third = world_a.submit(subject="Third")
    _merge(world_a, third, target)
    # The merged ticket is closed: it cannot be merged again, nor merged into.
    with pytest.raises(merging.MergeRefused, match="closed") as refused:
        _merge(world_a, world_a.refresh(third), source)
    assert refused.value.status == 409
    with pytest.raises(merging.MergeRefused, match="itself merged into another"):
        _merge(world_a, source, world_a.refresh(third))
    # A closed target (solved, then closed by the automation) takes no more messages.
    closed = world_a.submit(subject="Old")
    world_a.reply(closed, "agent", "Done", submit_as="solved")
    from tickets.automations import run_automations

    with time_machine.travel(datetime.now(tz=UTC) + timedelta(days=3)):
        run_automations(tenants=[world_a.tenant])
    with pytest.raises(merging.MergeRefused, match="is closed and cannot take more"):
        _merge(world_a, source, world_a.refresh(closed))
    with pytest.raises(merging.MergeRefused, match="closed ticket stays"):
        _merge(world_a, world_a.refresh(closed), source)
    world_a.refresh(source)
    with tenant_context(world_a.tenant):
        assert source.status != "closed" and source.comments.count() == 3


def test_merge_refuses_a_ticket_of_another_tenant(world_a, world_b):
    with pytest.raises(merging.MergeRefused, match="another helpdesk"):
        _merge(world_a, world_a.ticket, world_b.ticket)
    # Even when the check is passed by: the tenant's manager does not find B's ticket.
    b_ticket = world_b.ticket
    with tenant_context(world_a.tenant):
        b_ticket.tenant_id = world_a.tenant.pk  # a forged object
        with pytest.raises(merging.NotFound):
            merging.ticket_merge(source=world_a.ticket, target=b_ticket, actor=None)
    world_a.refresh(world_a.ticket)
    assert world_a.ticket.status != "closed"


def test_the_lifecycle_refuses_to_close_a_closed_ticket_as_merged(world_a, pair):
    source, target = pair
    _merge(world_a, source, target)
    from tickets import lifecycle

    with tenant_context(world_a.tenant), pytest.raises(InvalidTransition):
        lifecycle.close_merged(world_a.refresh(source), into=target, actor=None)


@pytest.mark.postgres
def test_the_database_refuses_a_merged_into_of_another_tenant(world_a, world_b):
    """Raw SQL, past every service and across tenants on purpose: PostgreSQL's composite key
    (tenant_id, merged_into_id) -> ticket (tenant_id, id) still refuses."""
    world_a.reply(world_a.ticket, "agent", "Done", submit_as="solved")
    table = Ticket._meta.db_table
    with cross_tenant(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = 'closed', closed_at = now() WHERE id = %s",  # noqa: S608
            [world_a.ticket.pk],
        )
        refused = pytest.raises(IntegrityError, match="ticket_merged_into_same_tenant")
        with refused, transaction.atomic():
            cursor.execute(
                f"UPDATE {table} SET merged_into_id = %s WHERE id = %s",  # noqa: S608
                [world_b.ticket.pk, world_a.ticket.pk],
            )
        # The same statement within the tenant is accepted: the key is about tenants only.
        other = world_a.submit(subject="Same tenant")
        cursor.execute(
            f"UPDATE {table} SET merged_into_id = %s WHERE id = %s",  # noqa: S608
            [other.pk, world_a.ticket.pk],
        )


@pytest.mark.postgres
def test_the_database_refuses_a_link_across_tenants(world_a, world_b):
    low, high = world_a.ticket.pk, world_b.ticket.pk  # A's world was made first
    assert low < high
    refused = pytest.raises(IntegrityError, match="ticketlink_high_same_tenant")
    with cross_tenant(), connection.cursor() as cursor, refused, transaction.atomic():
        cursor.execute(
            f"INSERT INTO {TicketLink._meta.db_table} "  # noqa: S608
            "(tenant_id, low_id, high_id, created_at, updated_at) "
            "VALUES (%s, %s, %s, now(), now())",
            [world_a.tenant.pk, low, high],
        )


# --- Split -----------------------------------------------------------------------------------


def test_split_moves_one_message_and_its_files_to_a_new_ticket_of_the_same_requester(world_a):
    ticket = world_a.ticket
    world_a.reply(ticket, "customer", "Also my license expired", uploads=_log("lic.log", "x\n"))
    with tenant_context(world_a.tenant):
        comment = ticket.comments.get(body="Also my license expired")
        assert merging.default_split_subject(comment, ticket) == "Also my license expired"
        new = merging.comment_split(
            ticket=ticket,
            comment_id=comment.pk,
            actor=world_a.users["agent"],
            subject="  License expired ",
        )
        comment.refresh_from_db()
        assert comment.ticket_id == new.pk
        assert [a.original_name for a in new.attachments.all()] == ["lic.log"]
        assert not ticket.comments.filter(pk=comment.pk).exists()
        assert (new.subject, new.requester, new.status) == (
            "License expired",
            world_a.users["customer"],
            "new",
        )
        assert new.number == ticket.number + 1
        assert new.events.get(kind="split_from").after == f"#{ticket.number}"
        assert ticket.events.get(kind="split_into").after == f"#{new.number}"
        assert new.next_update_due_at is not None  # the agent owes it an answer


def test_split_refuses_the_only_message_internal_notes_and_closed_tickets(world_a):
    lone = world_a.submit(subject="One message")
    with tenant_context(world_a.tenant):
        only = lone.comments.get()
        with pytest.raises(merging.SplitRefused, match="only message"):
            merging.comment_split(
                ticket=lone, comment_id=only.pk, actor=world_a.users["agent"], subject="x"
            )
        note = world_a.ticket.comments.get(is_public=False)
        with pytest.raises(merging.SplitRefused, match="Internal notes"):
            merging.comment_split(
                ticket=world_a.ticket, comment_id=note.pk, actor=world_a.users["agent"], subject="x"
            )
        with pytest.raises(merging.NotFound):
            merging.comment_split(
                ticket=lone, comment_id=note.pk, actor=world_a.users["agent"], subject="x"
            )
    source = world_a.submit(subject="To merge")
    world_a.reply(source, "customer", "second")
    _merge(world_a, source, lone)
    with tenant_context(world_a.tenant), pytest.raises(merging.SplitRefused, match="closed"):
        merging.comment_split(
            ticket=world_a.refresh(source),
            comment_id=only.pk,
            actor=world_a.users["agent"],
            subject="x",
        )


# --- Links -----------------------------------------------------------------------------------


def test_a_link_shows_on_both_tickets_and_is_stored_once(world_a):
    one, two = world_a.ticket, world_a.submit(subject="Related")
    agent = world_a.users["agent"]
    with tenant_context(world_a.tenant):
        link, created = merging.ticket_link(ticket=two, other=one, actor=agent)
        again, created_again = merging.ticket_link(ticket=one, other=two, actor=agent)
        assert created and not created_again and again.pk == link.pk
        assert (link.low_id, link.high_id) == (one.pk, two.pk)
        assert selectors.linked_tickets(one) == [two]
        assert selectors.linked_tickets(two) == [one]
        assert one.events.get(kind="linked").after == f"#{two.number}"
        assert two.events.get(kind="linked").after == f"#{one.number}"
        merging.ticket_unlink(ticket=one, other=two, actor=agent)
        assert selectors.linked_tickets(two) == []
        assert two.events.get(kind="unlinked").before == f"#{one.number}"
        with pytest.raises(merging.NotFound):
            merging.ticket_unlink(ticket=one, other=two, actor=agent)


def test_links_refuse_self_other_tenants_and_more_than_the_bound(world_a, world_b, settings):
    agent = world_a.users["agent"]
    with tenant_context(world_a.tenant):
        with pytest.raises(merging.LinkRefused, match="itself"):
            merging.ticket_link(ticket=world_a.ticket, other=world_a.ticket, actor=agent)
        with pytest.raises(merging.LinkRefused, match="another helpdesk"):
            merging.ticket_link(ticket=world_a.ticket, other=world_b.ticket, actor=agent)
    others = [world_a.submit(subject=f"Related {i}") for i in range(3)]
    with tenant_context(world_a.tenant):
        for other in others[:2]:
            merging.ticket_link(ticket=world_a.ticket, other=other, actor=agent)
    with tenant_context(world_a.tenant):
        original = merging.MAX_LINKS
        merging.MAX_LINKS = 2
        try:
            with pytest.raises(merging.LinkRefused, match="already has 2 links"):
                merging.ticket_link(ticket=others[2], other=world_a.ticket, actor=agent)
        finally:
            merging.MAX_LINKS = original
        assert TicketLink.objects.count() == 2


def test_the_duplicates_customer_becomes_a_cc_of_the_target_and_hears_its_replies(world_a):
    from tickets.models import TicketCC

    with tenant_context(world_a.tenant):
        target = world_a.submit(subject="Printer offline")
    source = world_a.submit(
        subject="Printer still offline", role=None, email="Second.Customer@example.com"
    )
    staff_source = world_a.submit(subject="Printer offline too", role="manager")
    _merge(world_a, source, target)
    _merge(world_a, staff_source, target)  # a staff address is never copied; the merge goes on
    with tenant_context(world_a.tenant):
        assert list(TicketCC.objects.filter(ticket=target).values_list("email", flat=True)) == [
            "second.customer@example.com"
        ]
        assert Ticket.objects.get(pk=staff_source.pk).merged_into_id == target.pk
    world_a.reply(target, "agent", "A new driver fixes it")
    with tenant_context(world_a.tenant):
        reply = OutboxEmail.objects.filter(ticket=target, template="agent_reply")
        recipients = sorted(reply.values_list("recipient", flat=True))
    assert "second.customer@example.com" in recipients
