"""The queue's text search (tickets.search): words of subjects and messages, kept by triggers,
read through the tenant's own index entries and nothing else."""

import pytest
from django.db import connection
from django.db.models import Q

from tenants.context import tenant_context
from tickets import queue, search
from tickets.models import Comment, Ticket, TicketSearch

pytestmark = pytest.mark.postgres


def found(world, text, user_role="agent"):
    with tenant_context(world.tenant):
        form = queue.QueueFilterForm({"q": text, "status": [s.value for s in Ticket.Status]})
        assert form.is_valid(), form.errors
        return {t.number for t in queue.filtered(form.cleaned_data, world.users[user_role])}


def test_words_of_subjects_and_messages_are_found_by_their_beginnings(world_a):
    vpn = world_a.submit(subject="Slow backup over VPN", description="Branch office upload")
    note = world_a.submit(subject="Restore fails")
    world_a.reply(note, "agent", "Checked the firewall logs", public=False)
    other = world_a.submit(subject="License question")
    assert found(world_a, "vpn") == {vpn.number}
    assert found(world_a, "VP") == {vpn.number}  # a word's beginning
    assert found(world_a, "branch upload") == {vpn.number}  # every word, anywhere in it
    assert found(world_a, "branch license") == set()
    assert found(world_a, "firewall") == {note.number}  # internal notes too: the queue is staff's
    assert other.number not in found(world_a, "slow")


def test_a_new_message_and_a_new_subject_are_searchable_at_once(world_a):
    ticket = world_a.submit(subject="Device offline")
    assert found(world_a, "kerberos") == set()
    world_a.reply(ticket, "customer", "Kerberos ticket expired on the server")
    assert found(world_a, "kerberos") == {ticket.number}
    with tenant_context(world_a.tenant):
        ticket.subject = "Archive moved"
        ticket.save(update_fields=["subject"])
    assert found(world_a, "archive") == {ticket.number}
    assert found(world_a, "device") == set()


def test_deleting_a_ticket_deletes_its_entries(world_a):
    ticket = world_a.submit(subject="Temporary", description="Gone soon")
    with tenant_context(world_a.tenant):
        assert Comment.objects.filter(ticket=ticket).exists()
        ticket.delete()
    assert not TicketSearch.objects.filter(ticket_id=ticket.pk).exists()


def test_another_tenants_words_are_never_found(world_a, world_b):
    mine = world_a.submit(subject="Quarantine alert on laptop")
    theirs = world_b.submit(subject="Quarantine alert on laptop")
    world_b.reply(theirs, "customer", "zebracorn in the logs")
    assert found(world_a, "quarantine") == {mine.number}
    assert found(world_a, "zebracorn") == set()
    # The ids the search hands out are read back under the tickets' policy as well: even an id
    # of the other tenant (as if the entries were wrong) brings no ticket of theirs.
    with tenant_context(world_a.tenant):
        assert not Ticket.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("text", ["'", "&|!:*()", "<->", "'':*", "!!!", "\\"])
def test_text_without_words_finds_nothing(world_a, text):
    world_a.submit(subject="Ordinary ticket")
    assert found(world_a, text) == set()


@pytest.mark.parametrize("text", ["it's", "a\\b", "x:*", "ÅÄÖ", "日本語", "x" * 200, "a & !b"])
def test_odd_text_is_a_search_not_an_error(world_a, text):
    """Query syntax in the text is taken as words, never as tsquery operators."""
    ordinary = world_a.submit(subject="Ordinary ticket")
    assert ordinary.number not in found(world_a, text)


def test_quotes_and_accents_in_words_are_matched(world_a):
    ticket = world_a.submit(subject="Can't restore Zoë's files")
    assert found(world_a, "can't") == {ticket.number}
    assert found(world_a, "zoë") == {ticket.number}


def test_number_search(world_a):
    first = world_a.submit(subject="First")
    # "#N" is that ticket alone; "N" is that ticket and tickets mentioning the number.
    second = world_a.submit(subject=f"Mentions {first.number} in the subject")
    assert found(world_a, f"#{first.number}") == {first.number}
    assert {first.number, second.number} <= found(world_a, str(first.number))


def _plan(world, text: str) -> str:
    with tenant_context(world.tenant):
        form = queue.QueueFilterForm({"q": text})
        assert form.is_valid()
        tickets = queue.filtered(form.cleaned_data, world.users["agent"])
        sql, params = tickets[:51].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: show the index
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())


def test_the_plan_reads_the_tenants_own_index_entries(world_a):
    world_a.submit(subject="Slow backup over VPN")
    with tenant_context(world_a.tenant):
        plan = search.explain("vpn")
    assert "ticketsearch_tenant_vector" in plan
    # The tenant and the words are both conditions of the index, as the application's role.
    condition = next(line for line in plan.splitlines() if "Index Cond" in line and "@@" in line)
    assert "tenant_id" in condition


def test_common_words_are_checked_along_the_queue_order(world_a, world_b, monkeypatch):
    """Past FEW matches the queue walks its own index and checks each ticket's entries, and
    only entries of the current tenant count (another tenant's words never match)."""
    monkeypatch.setattr(search, "FEW", 0)
    mine = [world_a.submit(subject=f"Backup agent crash {n}") for n in range(3)]
    world_b.submit(subject="Backup agent crash elsewhere")
    assert found(world_a, "backup crash") == {t.number for t in mine}
    plan = _plan(world_a, "backup crash")
    assert "ticketsearch" in plan and "SubPlan" in plan
    assert "Hash" not in plan  # never a join over every match


def test_a_number_is_found_by_the_number_index(world_a):
    from datetime import timedelta

    from django.utils import timezone

    from demo.bulk import create_due_tickets

    ticket = world_a.submit(subject="Anything")
    create_due_tickets(world_a.tenant, 3000, status="pending", since=timezone.now() - timedelta(1))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket")
    plan = _plan(world_a, f"#{ticket.number}")
    assert "ticket_tenant_number" in plan
    assert "ticketsearch" not in plan


def test_words_common_among_the_newest_tickets_skip_the_full_match(world_a, monkeypatch):
    """When a tenth of the newest tickets match, the entries are never all read: the queue
    checks tickets along its order (the sample decides, before any bitmap of every match)."""
    monkeypatch.setattr(search, "COMMON", 1)
    ticket = world_a.submit(subject="Restore fails on laptop")
    with tenant_context(world_a.tenant):
        condition = search.matching("restore")
    assert "EXISTS" in str(condition.children[0])  # the ticket-by-ticket check
    assert found(world_a, "restore") == {ticket.number}
    monkeypatch.setattr(search, "COMMON", 10_000)
    with tenant_context(world_a.tenant):
        assert search.matching("restore") == Q(pk__in=[ticket.pk])
