"""The agent queue's text search: the one way into ``TicketSearch``.

PostgreSQL: each word of the query matches the start of a word in a ticket's subject or in one
of its messages (internal notes included: the queue is the agents'), all words required. The
entries are read through the GIN index on (tenant_id, vector), with the current tenant applied
here, from ``tenants.context.current_tenant()``, never from an argument; the table has no
policy (see ``TicketSearch``). What comes out is a condition on the queue's own query: the ids
of the matching tickets (rare words), or a check of each ticket's entries as the queue walks
its index (common words); either way the tickets themselves are read under their policy.

SQLite (the embedded default): the subject or a message contains the text.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Q
from django.db.models.expressions import RawSQL

from tenants.context import current_tenant
from tickets.models import Comment, Ticket, TicketSearch

QUERY_MAX_CHARS = 200

# The query's words, parsed as the entries were ("simple": no stemming), each one a prefix,
# all of them required. Quoting: inside a tsquery literal, ' doubles and \ escapes.
_TSQUERY = """
    (SELECT to_tsquery('simple', coalesce(string_agg(
         '''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || ''':*', ' & '), ''))
     FROM unnest(to_tsvector('simple', %s)))
"""

_MATCHING = f"""
    SELECT s.ticket_id FROM {TicketSearch._meta.db_table} AS s
    WHERE s.tenant_id = %s::bigint AND s.vector @@ {_TSQUERY}
    LIMIT %s
"""  # noqa: S608 (table name from the model; values are parameters)

# A ticket's own entries, found by ticket_id; the match is written so that no index can serve
# it (coalesce), since on a small table the planner would otherwise re-read the GIN index for
# every ticket checked (2 s at 20,000 tickets, caught by the benchmark's waste check).
_PROBE = f"""
    EXISTS (SELECT 1 FROM {TicketSearch._meta.db_table} AS s
            WHERE s.ticket_id = tickets_ticket.id AND s.tenant_id = %s::bigint
              AND coalesce(s.vector, ''::tsvector) @@ {_TSQUERY}
            OFFSET 0)
"""  # noqa: S608 (as above; OFFSET 0 keeps it a per-row check, not a join over every match)

# How many of the tenant's newest tickets are checked first, and how many of them must match
# for the words to count as common (a tenth). Common words are found ticket by ticket along the
# queue's own order, stopping at the page's end: a GIN bitmap of a third of the tenant would
# cost more than the whole page.
SAMPLE = 200
COMMON = 20
_SAMPLE = f"""
    SELECT count(*) FROM (
        SELECT t.id FROM {Ticket._meta.db_table} AS t WHERE t.tenant_id = %s::bigint
        ORDER BY t.created_at DESC, t.id DESC LIMIT {SAMPLE}
    ) AS tickets_ticket
    WHERE {_PROBE}
"""  # noqa: S608 (table names from the models; values are parameters)
# Otherwise, up to this many matching tickets the search hands the queue their ids (and the
# queue reads just those); past it (words common in older tickets only), ticket by ticket too.
FEW = 2000
ENTRIES_PER_TICKET = 3  # a subject and two messages, as tickets go


def has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def matching(text: str) -> Q:
    """A condition on tickets: their subject or a message holds every word of ``text``."""
    text = text[:QUERY_MAX_CHARS]
    if connection.vendor != "postgresql":
        in_comments = Comment.objects.filter(ticket=OuterRef("pk"), body__icontains=text)
        return Q(subject__icontains=text) | Exists(in_comments)
    if not has_words(text):
        return Q(pk__in=[])
    tenant = current_tenant().pk
    probe = Q(RawSQL(_PROBE, [tenant, text], output_field=BooleanField()))  # noqa: S611 (fixed SQL)
    with connection.cursor() as cursor:
        cursor.execute(_SAMPLE, [tenant, tenant, text])
        if cursor.fetchone()[0] >= COMMON:
            return probe
        # Entries, not tickets (a ticket has one per message): no DISTINCT, so the scan stops
        # at the limit instead of reading every match to de-duplicate them.
        cursor.execute(_MATCHING, [tenant, text, FEW * ENTRIES_PER_TICKET + 1])
        entries = [row[0] for row in cursor.fetchall()]
    if len(entries) <= FEW * ENTRIES_PER_TICKET:
        return Q(pk__in=sorted(set(entries)))
    return probe


def explain(text: str) -> str:
    """The plan of the entries' query as this connection's role runs it (tests read it)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # small tables in tests
        limit = FEW * ENTRIES_PER_TICKET + 1
        cursor.execute("EXPLAIN " + _MATCHING, [current_tenant().pk, text, limit])
        return "\n".join(row[0] for row in cursor.fetchall())
