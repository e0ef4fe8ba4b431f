"""Tags on tickets: names, adding and removing with events, bulk, and the admins' rename, merge
and delete (tickets.tags, tickets.tagging)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from core.errors import Conflict, InvalidInput, NotAllowed
from tenants.context import tenant_context
from tenants.models import AuditEntry
from tickets import queue, tagging, tags
from tickets.lifecycle import InvalidTransition
from tickets.models import SavedView, Tag, TagEvent, Ticket, TicketTag

pytestmark = pytest.mark.django_db


def staff(world, role="agent"):
    return {"actor": world.users[role], "membership": world.memberships[role]}


def names_on(ticket):
    return [tag.name for tag in tags.for_ticket(ticket)]


def test_adding_tags_records_one_event_per_new_tag_and_ignores_repeats(world_a):
    w = world_a
    with tenant_context(w.tenant):
        added = tagging.ticket_tags_add(
            ticket=w.ticket, names=["Billing", "vip, Billing"], **staff(w)
        )
        assert [t.name for t in added] == ["Billing", "vip"]
        again = tagging.ticket_tags_add(ticket=w.ticket, names=["BILLING"], **staff(w))
        assert again == []
        assert names_on(w.ticket) == ["Billing", "vip"]
        events = list(w.ticket.events.filter(kind=TagEvent.ADDED).order_by("pk"))
        assert [(e.after, e.actor) for e in events] == [
            ("Billing", w.users["agent"]),
            ("vip", w.users["agent"]),
        ]
        assert events[0].kind_label == "Tag added"


def test_removing_a_tag_records_its_event_and_keeps_the_tag_for_other_tickets(world_a):
    w = world_a
    other = w.submit(subject="Another")
    with tenant_context(w.tenant):
        for ticket in (w.ticket, other):
            tagging.ticket_tags_add(ticket=ticket, names=["billing"], **staff(w))
        removed = tagging.ticket_tags_remove(ticket=w.ticket, names=["BILLING"], **staff(w))
        assert [t.name for t in removed] == ["billing"]
        assert names_on(w.ticket) == [] and names_on(other) == ["billing"]
        (event,) = w.ticket.events.filter(kind=TagEvent.REMOVED)
        assert event.before == "billing"
        # Nothing to remove: no event.
        assert tagging.ticket_tags_remove(ticket=w.ticket, names=["billing"], **staff(w)) == []
        assert w.ticket.events.filter(kind=TagEvent.REMOVED).count() == 1


def test_names_differing_only_in_case_or_width_are_one_tag(world_a):
    w = world_a
    with tenant_context(w.tenant):
        tagging.ticket_tags_add(ticket=w.ticket, names=["VIP"], **staff(w))
    other = w.submit(subject="Second")
    with tenant_context(w.tenant):
        tagging.ticket_tags_add(ticket=other, names=["vip", "ｖｉｐ", "  Vip  "], **staff(w))
        assert Tag.objects.count() == 1
        assert names_on(other) == ["VIP"]  # the name as first typed


def test_the_database_refuses_a_second_tag_with_the_same_key(world_a):
    with tenant_context(world_a.tenant):
        Tag.objects.create(name="vip", key="vip")
        with pytest.raises(IntegrityError), transaction.atomic():
            Tag.objects.create(name="VIP", key="vip")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("bad\x00name", "control or invisible"),
        ("x" * 1_000_000, "at most 50 characters"),
        ("y" * 51, "at most 50 characters"),
        ("   \t  ", "Type a tag name"),
        ("", "Type a tag name"),
        ("right\u202eto left", "control or invisible"),
        ("zero\u200bwidth", "control or invisible"),
        ("\ue000private", "control or invisible"),
    ],
)
def test_hostile_names_are_refused_with_a_reason_and_nothing_changes(world_a, raw, reason):
    w = world_a
    with tenant_context(w.tenant):
        tagging.ticket_tags_add(ticket=w.ticket, names=["kept"], **staff(w))
        events = w.ticket.events.count()
        with pytest.raises(InvalidInput, match=reason):
            tagging.ticket_tags_add(ticket=w.ticket, names=[raw], **staff(w))
        if raw.strip():  # (an empty piece beside good names is skipped, as in "a, , b")
            # One bad name refuses the whole request: the good one is not added either.
            with pytest.raises(InvalidInput, match=reason):
                tagging.ticket_tags_add(ticket=w.ticket, names=["fine", raw], **staff(w))
        assert names_on(w.ticket) == ["kept"]
        assert list(Tag.objects.values_list("name", flat=True)) == ["kept"]
        assert w.ticket.events.count() == events


def test_markup_and_odd_unicode_are_kept_as_text(world_a):
    w = world_a
    with tenant_context(w.tenant):
        added = tagging.ticket_tags_add(
            ticket=w.ticket,
            names=["<script>alert(1)</script>", "café ☕", "👩‍💻 dev", "٣ arabic digit"],
            **staff(w),
        )
        assert [t.name for t in added] == [
            "<script>alert(1)</script>",
            "café ☕",
            "👩‍💻 dev",
            "٣ arabic digit",
        ]


def test_only_staff_tag_and_closed_tickets_keep_their_tags(world_a):
    w = world_a
    closing = w.submit(subject="Closing")
    w.reply(closing, "agent", "Fixed", submit_as="solved")
    with tenant_context(w.tenant):
        with pytest.raises(NotAllowed):
            tagging.ticket_tags_add(ticket=w.ticket, names=["x"], **staff(w, "customer"))
        Ticket.objects.filter(pk=closing.pk).update(status="closed", closed_at=datetime.now(tz=UTC))
        with pytest.raises(InvalidTransition, match="closed"):
            tagging.ticket_tags_add(ticket=closing, names=["late"], **staff(w))
        assert not Tag.objects.filter(key="late").exists()
        assert names_on(closing) == []


def test_a_ticket_carries_a_bounded_number_of_tags(world_a):
    w = world_a
    with tenant_context(w.tenant):
        for start in range(0, tags.MAX_PER_TICKET, 10):
            names = [f"t{n}" for n in range(start, start + 10)]
            tagging.ticket_tags_add(ticket=w.ticket, names=names, **staff(w))
        with pytest.raises(InvalidInput, match="at most 50 tags"):
            tagging.ticket_tags_add(ticket=w.ticket, names=["one more"], **staff(w))
        assert len(names_on(w.ticket)) == tags.MAX_PER_TICKET
        with pytest.raises(InvalidInput, match="at most 10 tags at once"):
            tagging.ticket_tags_add(ticket=w.ticket, names=[f"n{i}" for i in range(11)], **staff(w))


def test_setting_a_tickets_tags_adds_and_removes_with_events(world_a):
    w = world_a
    with tenant_context(w.tenant):
        tagging.ticket_tags_add(ticket=w.ticket, names=["a", "b"], **staff(w))
        result = tagging.ticket_tags_set(ticket=w.ticket, names=["B", "c"], **staff(w))
        assert [t.name for t in result] == ["b", "c"]
        assert list(w.ticket.events.filter(kind=TagEvent.REMOVED).values_list("before")) == [("a",)]
        assert w.ticket.events.filter(kind=TagEvent.ADDED, after="c").count() == 1


def test_bulk_add_and_remove_go_ticket_by_ticket_with_events(world_a):
    w = world_a
    tickets = [w.ticket, w.submit(subject="two"), w.submit(subject="three")]
    numbers = [t.number for t in tickets]
    with tenant_context(w.tenant):
        tagging.ticket_tags_add(ticket=tickets[0], names=["outage"], **staff(w))
        result = tagging.tickets_bulk_tag(
            numbers=numbers, operation=tagging.BULK_ADD, name="Outage", **staff(w)
        )
        assert result == {"updated": numbers[1:], "unchanged": numbers[:1], "refused": []}
        assert TicketTag.objects.filter(tag__key="outage").count() == 3
        assert Ticket.objects.filter(events__kind=TagEvent.ADDED).distinct().count() == 3
        result = tagging.tickets_bulk_tag(
            numbers=numbers[:2], operation=tagging.BULK_REMOVE, name="outage", **staff(w)
        )
        assert result["updated"] == numbers[:2]
        assert TicketTag.objects.filter(tag__key="outage").count() == 1
        assert Ticket.objects.filter(events__kind=TagEvent.REMOVED).count() == 2
        with pytest.raises(InvalidInput, match="no tag"):
            tagging.tickets_bulk_tag(
                numbers=numbers, operation=tagging.BULK_REMOVE, name="never", **staff(w)
            )
        with pytest.raises(InvalidInput, match="control"):
            tagging.tickets_bulk_tag(
                numbers=numbers, operation=tagging.BULK_ADD, name="a\x00", **staff(w)
            )


def test_a_closed_ticket_in_a_bulk_tagging_is_refused_by_name(world_a):
    w = world_a
    closed = w.submit(subject="Closed one")
    with tenant_context(w.tenant):
        Ticket.objects.filter(pk=closed.pk).update(
            status="closed", solved_at=datetime.now(tz=UTC), closed_at=datetime.now(tz=UTC)
        )
        result = tagging.tickets_bulk_tag(
            numbers=[w.ticket.number, closed.number],
            operation=tagging.BULK_ADD,
            name="sweep",
            **staff(w),
        )
    assert result["updated"] == [w.ticket.number]
    assert result["refused"][0][0] == closed.number and "closed" in result["refused"][0][1]


# --- The vocabulary: admins only, audited ---------------------------------------------------


def _audit_lines(world):
    return list(
        AuditEntry.objects.filter(action=AuditEntry.Action.SETTINGS_CHANGED)
        .order_by("pk")
        .values_list("target", flat=True)
    )


def test_rename_keeps_every_ticket_and_is_audited(world_a):
    w = world_a
    with tenant_context(w.tenant):
        (tag,) = tagging.ticket_tags_add(ticket=w.ticket, names=["biling"], **staff(w))
        for role in ("agent", "manager"):
            with pytest.raises(NotAllowed):
                tagging.tag_rename(tag=tag, name="billing", membership=w.memberships[role])
        tagging.tag_rename(tag=tag, name="Billing", membership=w.memberships["admin"])
        assert names_on(w.ticket) == ["Billing"]
        assert _audit_lines(w) == ["Tag renamed: biling → Billing"]
        Tag.objects.create(name="vip", key="vip")
        with pytest.raises(InvalidInput, match="merge into it"):
            tagging.tag_rename(tag=tag, name="VIP", membership=w.memberships["admin"])
        with pytest.raises(InvalidInput, match="control"):
            tagging.tag_rename(tag=tag, name="x\x00", membership=w.memberships["admin"])
        assert names_on(w.ticket) == ["Billing"]


def test_merge_leaves_every_ticket_with_one_target_tag(world_a):
    w = world_a
    both, only_a, only_b = w.ticket, w.submit(subject="a"), w.submit(subject="b")
    with tenant_context(w.tenant):
        tagging.ticket_tags_add(ticket=both, names=["bill", "billing"], **staff(w))
        tagging.ticket_tags_add(ticket=only_a, names=["bill"], **staff(w))
        tagging.ticket_tags_add(ticket=only_b, names=["billing"], **staff(w))
        source, target = tags.find("bill"), tags.find("billing")
        with pytest.raises(NotAllowed):
            tagging.tag_merge(source=source, target=target, membership=w.memberships["manager"])
        moved = tagging.tag_merge(source=source, target=target, membership=w.memberships["admin"])
        assert moved == 1
        assert not Tag.objects.filter(key="bill").exists()
        for ticket in (both, only_a, only_b):
            assert names_on(ticket) == ["billing"]
        assert TicketTag.objects.count() == 3
        assert _audit_lines(w) == ["Tag merged: bill → billing"]
        with pytest.raises(InvalidInput, match="another tag"):
            tagging.tag_merge(source=target, target=target, membership=w.memberships["admin"])


def test_delete_takes_the_tag_off_every_ticket_and_is_audited(world_a):
    w = world_a
    other = w.submit(subject="other")
    with tenant_context(w.tenant):
        tagging.ticket_tags_add(ticket=w.ticket, names=["old", "keep"], **staff(w))
        tagging.ticket_tags_add(ticket=other, names=["old"], **staff(w))
        tag = tags.find("old")
        with pytest.raises(NotAllowed):
            tagging.tag_delete(tag=tag, membership=w.memberships["agent"])
        assert tagging.tag_delete(tag=tag, membership=w.memberships["admin"]) == 2
        assert names_on(w.ticket) == ["keep"] and names_on(other) == []
        (line,) = AuditEntry.objects.filter(target="Tag deleted: old")
        assert line.detail == {"tag": "old", "tickets": 2}


def test_saved_views_follow_a_renamed_or_merged_tag_and_drop_a_deleted_one(world_a):
    w = world_a
    admin = w.memberships["admin"]
    with tenant_context(w.tenant):
        tagging.ticket_tags_add(ticket=w.ticket, names=["a", "b", "c"], **staff(w))
        view = SavedView.objects.create(name="A", query=queue.normalized_query("tag=a&tag=c"))
        tagging.tag_rename(tag=tags.find("a"), name="Alpha", membership=admin)
        view.refresh_from_db()
        assert queue.view_filters(view.query)["tag"] == ["c", "Alpha"]
        tagging.tag_merge(source=tags.find("c"), target=tags.find("b"), membership=admin)
        view.refresh_from_db()
        assert queue.view_filters(view.query)["tag"] == ["Alpha", "b"]
        tagging.tag_delete(tag=tags.find("alpha"), membership=admin)
        view.refresh_from_db()
        assert queue.view_filters(view.query)["tag"] == ["b"]


# --- Tenants ---------------------------------------------------------------------------------


def test_a_tag_of_another_tenant_never_applies(world_a, world_b):
    with tenant_context(world_b.tenant):
        (b_tag,) = tagging.ticket_tags_add(
            ticket=world_b.ticket, names=["shared name"], **staff(world_b)
        )
    with tenant_context(world_a.tenant):
        # The same name in A is A's own tag; B's is untouched.
        (a_tag,) = tagging.ticket_tags_add(
            ticket=world_a.ticket, names=["Shared Name"], **staff(world_a)
        )
        assert a_tag.pk != b_tag.pk and a_tag.tenant_id == world_a.tenant.pk
        assert not Tag.objects.filter(pk=b_tag.pk).exists()
        # B's tag by id cannot be merged, renamed or deleted from A.
        with pytest.raises(Conflict):
            tagging.tag_delete(tag=b_tag, membership=world_a.memberships["admin"])
        # A filter by the name finds A's ticket alone.
        found = list(queue.filtered({"tag": ["shared name"], "status": list(Ticket.Status)}, None))
        assert found == [world_a.ticket]
    with tenant_context(world_b.tenant):
        assert names_on(world_b.ticket) == ["shared name"]
        assert Tag.objects.get(pk=b_tag.pk).name == "shared name"


@pytest.mark.postgres
def test_the_database_refuses_a_link_to_another_tenants_tag(world_a, world_b):
    with tenant_context(world_b.tenant):
        (b_tag,) = tagging.ticket_tags_add(
            ticket=world_b.ticket, names=["theirs"], **staff(world_b)
        )
    with tenant_context(world_a.tenant), pytest.raises(IntegrityError), transaction.atomic():
        TicketTag.objects.create(ticket=world_a.ticket, tag_id=b_tag.pk)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


# --- The report --------------------------------------------------------------------------------

NOW = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)


def test_the_report_counts_tickets_created_in_the_period_per_tag(world_a):
    w = world_a
    with time_machine.travel(NOW - timedelta(days=40), tick=False):
        old = w.submit(subject="old")
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        recent = [w.submit(subject=f"new {i}") for i in range(3)]
    with tenant_context(w.tenant):
        tagging.ticket_tags_add(ticket=old, names=["billing"], **staff(w))
        tagging.ticket_tags_add(ticket=recent[0], names=["billing", "vip"], **staff(w))
        tagging.ticket_tags_add(ticket=recent[1], names=["billing"], **staff(w))
        week = tags.report(7, NOW)
        month = tags.report(90, NOW)
        with pytest.raises(InvalidInput):
            tags.report(8, NOW)
    assert [(r.name, r.tickets) for r in week.rows] == [("billing", 2), ("vip", 1)]
    assert week.created == 3
    assert [(r.name, r.tickets) for r in month.rows] == [("billing", 3), ("vip", 1)]
