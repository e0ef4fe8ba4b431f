"""tenants.bulk: a batch of the current tenant's rows in one statement, as inserting them one
by one would leave them."""

import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from outbox.models import OutboxEmail
from tenants import bulk
from tenants.context import tenant_context
from tickets.models import TicketEvent

TRICKY = ["plain", 'quote " and \\ backslash', "{braces, commas}", "NULL", "ünï — ✓", "", "'"]


def test_rows_get_the_tenant_timestamps_defaults_and_come_back_in_order(world_a):
    ticket = world_a.ticket
    with tenant_context(world_a.tenant):
        events = bulk.insert_objects(
            TicketEvent,
            same={"kind": TicketEvent.Kind.NOTED, "actor_kind": "automation"},
            each={
                "ticket_id": [ticket.pk] * len(TRICKY),
                "after": TRICKY,
                "data": [{"n": n, "text": text} for n, text in enumerate(TRICKY)],
            },
        )
        stored = {
            event.pk: event for event in TicketEvent.objects.filter(pk__in=[e.pk for e in events])
        }
    assert [event.pk for event in events] == sorted(event.pk for event in events)
    for event in events:
        row = stored[event.pk]
        for field in TicketEvent._meta.concrete_fields:
            assert getattr(event, field.attname) == getattr(row, field.attname), field.name
        assert row.tenant_id == world_a.tenant.pk and row.before == "" and row.actor_id is None
        assert row.created_at is not None and row.updated_at is not None
    assert [event.after for event in events] == TRICKY
    assert events[0].data is not events[1].data
    # As a query would have loaded them: saved, in this database, their ticket a query away.
    for event in events:
        assert not event._state.adding and event._state.db == "default"
        assert event.__dict__.keys() >= {f.attname for f in TicketEvent._meta.concrete_fields}
    with tenant_context(world_a.tenant):
        assert events[0].ticket == ticket
        assert events[0] == stored[events[0].pk] and hash(events[0]) == hash(events[0].pk)


def test_made_objects_go_through_init_when_someone_listens_to_it(world_a):
    from django.db.models.signals import post_init

    seen = []

    def listener(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(listener, sender=TicketEvent)
    try:
        with tenant_context(world_a.tenant):
            events = bulk.insert_objects(
                TicketEvent,
                same={"kind": TicketEvent.Kind.NOTED, "actor_kind": "automation"},
                each={"ticket_id": [world_a.ticket.pk] * 2},
            )
    finally:
        post_init.disconnect(listener, sender=TicketEvent)
    assert seen == events and all(not event._state.adding for event in events)


def test_a_joined_column_is_the_fixed_text_around_each_rows_values(world_a):
    body = bulk.Joined(["<p>", 0, "</p>\\n", 1, "", "tail"], [TRICKY, TRICKY[::-1]], len(TRICKY))
    with tenant_context(world_a.tenant), CaptureQueriesContext(connection) as queries:
        bulk.insert(
            OutboxEmail,
            same={"template": "test", "recipient": "a@example.com"},
            each={
                "idempotency_key": [f"joined:{n}" for n in range(len(TRICKY))],
                "subject": [f"s{n}" for n in range(len(TRICKY))],
                "body_text": [""] * len(TRICKY),  # one value for every row: sent once
                "body_html": body,
            },
        )
        stored = dict(
            OutboxEmail.objects.filter(template="test").values_list("idempotency_key", "body_html")
        )
    inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert stored == {
        f"joined:{n}": f"<p>{a}</p>\\n{b}tail"
        for n, (a, b) in enumerate(zip(TRICKY, TRICKY[::-1], strict=True))
    }
    assert list(body) == [stored[f"joined:{n}"] for n in range(len(TRICKY))]


def test_conflicts_are_skipped_when_asked_and_refused_otherwise(world_a):
    def insert(keys, **kwargs):
        return bulk.insert(
            OutboxEmail,
            same={"template": "test", "recipient": "a@example.com", "subject": "s"},
            each={"idempotency_key": keys},
            **kwargs,
        )

    with tenant_context(world_a.tenant):
        insert(["k1"])  # a batch of one
        insert(["k1", "k2"], ignore_conflicts=True)
        assert sorted(
            OutboxEmail.objects.filter(template="test").values_list("idempotency_key", flat=True)
        ) == ["k1", "k2"]
        with pytest.raises(IntegrityError), transaction.atomic():
            insert(["k2", "k3"])


@pytest.mark.postgres  # SQLite keeps any length
def test_a_value_too_long_for_its_column_is_refused_not_cut(world_a):
    with tenant_context(world_a.tenant), pytest.raises(DataError), transaction.atomic():
        bulk.insert(
            OutboxEmail,
            same={"template": "x" * 65, "recipient": "a@example.com", "subject": "s"},
            each={"idempotency_key": ["long"]},
        )


def test_rows_are_always_the_current_tenants(world_a, world_b):
    with tenant_context(world_a.tenant), pytest.raises(ValueError, match="tenant"):
        bulk.insert(
            OutboxEmail,
            same={"tenant_id": world_b.tenant.pk, "template": "t", "recipient": "a@example.com"},
            each={"idempotency_key": ["k"]},
        )


def test_json_objects_are_built_by_the_database_as_the_dicts_say(world_a):
    rows = [
        {"shared": "same", "text": text, "n": n, "flag": n % 2 == 0, "maybe": None if n else "x"}
        for n, text in enumerate(TRICKY)
    ]
    column = bulk.JsonObjects.of(rows)
    assert isinstance(column, bulk.JsonObjects)
    assert column.same == {"shared": "same"} and list(column) == rows
    with tenant_context(world_a.tenant), CaptureQueriesContext(connection) as queries:
        bulk.insert(
            OutboxEmail,
            same={"template": "test", "recipient": "a@example.com", "subject": "s"},
            each={
                "idempotency_key": [f"json:{n}" for n in range(len(TRICKY))],
                # The same list as the context's "text" member: sent once.
                "body_text": list(TRICKY),
                "context": column,
                "ticket_id": [None] * (len(TRICKY) - 1) + [world_a.ticket.pk],
            },
        )
        stored = dict(
            OutboxEmail.objects.filter(template="test").values_list("idempotency_key", "context")
        )
        tickets = list(
            OutboxEmail.objects.filter(template="test")
            .order_by("idempotency_key")
            .values_list("idempotency_key", "ticket_id", "body_text")
        )
    assert stored == {f"json:{n}": row for n, row in enumerate(rows)}
    assert tickets[-1][1] == world_a.ticket.pk and {t[1] for t in tickets[:-1]} == {None}
    assert [t[2] for t in sorted(tickets, key=lambda t: int(t[0][5:]))] == TRICKY
    (insert,) = [q["sql"] for q in queries if q["sql"].startswith("INSERT")]
    if connection.vendor == "postgresql":
        # key, body text (= the context's text), n, flag, maybe, ticket: six arrays, not seven.
        assert insert.count("[]") == 6


def test_json_objects_fall_back_to_plain_rows_when_they_differ_in_shape():
    assert bulk.JsonObjects.of([]) == []
    differ = [{"a": 1}, {"b": 1}]
    assert bulk.JsonObjects.of(differ) is differ
    # 1 and True are equal in Python, not in JSON: neither "same" nor one typed column.
    mixed = [{"a": 1}, {"a": True}]
    assert bulk.JsonObjects.of(mixed) is mixed
    floats = [{"a": 1.5}, {"a": 2.5}]
    assert bulk.JsonObjects.of(floats) is floats
    alike = bulk.JsonObjects.of([{"a": 1.5, "b": 1}, {"a": 1.5, "b": 2}])
    assert alike.same == {"a": 1.5} and alike.each == {"b": [1, 2]}
    with pytest.raises(IndexError):
        alike[2]


def test_json_objects_keep_each_rows_key_order():
    """SQLite keeps JSON as text, in the order given (email headers are written out in it):
    a batch's rows must read exactly as the dicts they came from, order included."""
    rows = [
        {"List-Unsubscribe": f"<https://x/{n}>", "Post": "One-Click", "Auto-Submitted": "yes"}
        for n in range(3)
    ]
    column = bulk.JsonObjects.of(rows)
    assert isinstance(column, bulk.JsonObjects)
    assert column.same.keys() == {"Post", "Auto-Submitted"}  # the varying key comes first
    for n, row in enumerate(rows):
        assert list(column[n].items()) == list(row.items())
