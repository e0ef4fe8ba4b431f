"""Volume data for the benchmarks: many tenants, a Zipf-like spread of tickets, generated inside
PostgreSQL.

Rows are made by ``INSERT ... SELECT`` over ``generate_series`` (COPY FROM is refused on tables
with row-level security), one tenant at a time and in chunks inside ``tenant_context``, so every
row passes the tenants' own policies. What the rows hold follows the lifecycle's invariants (the
database's check constraints hold them to it): status timestamps agree with the status, solved
tickets are younger than the close delay and pending ones younger than the solve delay (nothing
is due for the automations), unsolved tickets carry a next-update due time from their anchor
(hours by priority, not business time: the spread, not the exact due, is what the pages feel).

Not for requests: a management command's tool.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from tenants.context import tenant_context
from tenants.models import Tenant
from tenants.services import tenant_create
from tickets.models import Attachment, Comment, Ticket, TicketEvent

BIG_SLUG = "bench-big"
PASSWORD = "bench-helpdesk-2026"  # noqa: S105 (benchmark logins, printed by the command)
CHUNK = 25_000
# Share of the biggest tenant; the others follow 1/rank.
BIG_SHARE = 0.2
# The biggest tenant's heavy customer holds this share of its tickets (My tickets' worst case).
HEAVY_CUSTOMER_SHARE = 0.1

SUBJECTS = [
    "Backup not running since the update",
    "Restore of a single file fails",
    "Device shows offline in the console",
    "Cannot add a new device",
    "Question about retention settings",
    "Slow backup over VPN",
    "Error destination unavailable",
    "License seat count is wrong",
    "Move the archive to a new computer",
    "Backup selection keeps resetting",
    "Invoice shows the wrong plan",
    "Two-factor code not accepted",
    "Scheduled backup skipped overnight",
    "Mobile app cannot sign in",
    "Legal hold export is incomplete",
    "Deduplication uses too much memory",
]
SENTENCES = [
    "The backup stopped after last night's update and the console shows a warning.",
    "I restarted the service as the article suggests but nothing changed.",
    "We connect through a VPN from the branch office and the upload is very slow.",
    "Attached is the log from the client, the error appears at the end.",
    "Could you check whether the license covers the new laptops as well?",
    "The restore wizard stops at ninety percent with no message.",
    "Thanks, that fixed it. You can close this request.",
    "Please let us know which version of the app you are running.",
    "We reproduced the problem on a test machine and are escalating it.",
    "The archive was moved to a new disk and the device went offline.",
    "Our firewall blocks port 4287, is there another port we can use?",
    "Retention is set to ninety days but older versions are still there.",
]


@dataclass
class TenantPlan:
    slug: str
    tickets: int
    tenant: Tenant | None = None
    admins: list[int] = field(default_factory=list)
    managers: list[int] = field(default_factory=list)
    agents: list[int] = field(default_factory=list)
    customers: list[int] = field(default_factory=list)
    organizations: list[int] = field(default_factory=list)

    @property
    def domain(self) -> str:
        return f"{self.slug}.bench.example.com"


def spread(total: int, tenants: int) -> list[int]:
    """Tickets per tenant: the first holds ``BIG_SHARE``, the rest follow 1/rank, each >= 1."""
    if tenants < 1 or total < tenants:
        raise ValueError("Need at least one ticket per tenant.")
    if tenants == 1:
        return [total]
    big = max(1, int(total * BIG_SHARE))
    rest = total - big
    weights = [1 / rank for rank in range(2, tenants + 1)]
    scale = rest / sum(weights)
    counts = [max(1, math.floor(w * scale)) for w in weights]
    counts[0] += rest - sum(counts)  # rounding goes to the second biggest
    if counts[0] < 1:
        raise ValueError("Too few tickets for that many tenants.")
    return [big, *counts]


def plans(total: int, tenants: int) -> list[TenantPlan]:
    counts = spread(total, tenants)
    return [
        TenantPlan(slug=BIG_SLUG if index == 0 else f"bench-{index + 1:04d}", tickets=count)
        for index, count in enumerate(counts)
    ]


def clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, int(value)))


def seed(total: int, tenants: int, *, progress: Callable[[int, int], None]) -> list[TenantPlan]:
    """Make the tenants, their people and ``total`` tickets with comments, events and files."""
    if Tenant.objects.filter(slug__startswith="bench-").exists():
        raise ValueError("Benchmark tenants exist already: drop them first (--drop).")
    password = make_password(PASSWORD)
    done = 0
    result = plans(total, tenants)
    for plan in result:
        plan.tenant = tenant_create(slug=plan.slug, name=f"Bench {plan.slug[6:]}")
        _people(plan, password)
        first = 1
        while first <= plan.tickets:
            size = min(CHUNK, plan.tickets - first + 1)
            with tenant_context(plan.tenant):
                _tickets(plan, first, size)
            first += size
            done += size
            progress(done, total)
        with tenant_context(plan.tenant):
            _sample_file(plan)
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE tickets_ticketcounter SET last_number = %s WHERE tenant_id = %s",
                    [plan.tickets, plan.tenant.pk],
                )
    with connection.cursor() as cursor:
        for model in (Ticket, Comment, TicketEvent, Attachment):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return result


def _insert_users(plan: TenantPlan, password: str, kind: str, count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO accounts_user (password, is_superuser, email, name, is_active, is_staff,
                                       date_joined, updated_at, time_zone)
            SELECT %s, false, %s || g || '@' || %s, initcap(%s) || ' ' || g, true, false,
                   now(), now(), ''
            FROM generate_series(1, %s) AS g
            ORDER BY g
            RETURNING id
            """,
            [password, kind, plan.domain, kind, count],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        cursor.execute(
            """
            INSERT INTO account_emailaddress (email, verified, "primary", user_id)
            SELECT email, true, true, id FROM accounts_user WHERE id = ANY(%s)
            """,
            [ids],
        )
    return ids


def _people(plan: TenantPlan, password: str) -> None:
    plan.admins = _insert_users(plan, password, "admin", 1)
    plan.managers = _insert_users(plan, password, "manager", 1)
    plan.agents = _insert_users(plan, password, "agent", clamp(plan.tickets / 5000, 2, 40))
    plan.customers = _insert_users(plan, password, "customer", clamp(plan.tickets / 20, 3, 10_000))
    with tenant_context(plan.tenant), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tenants_organization (tenant_id, name, email_domains, notes,
                                              created_at, updated_at)
            SELECT %s, 'Organization ' || g, '[]'::jsonb, '', now(), now()
            FROM generate_series(1, %s) AS g ORDER BY g RETURNING id
            """,
            [plan.tenant.pk, clamp(len(plan.customers) / 50, 1, 200)],
        )
        plan.organizations = sorted(row[0] for row in cursor.fetchall())
        for role, ids in (
            ("admin", plan.admins),
            ("manager", plan.managers),
            ("agent", plan.agents),
        ):
            cursor.execute(
                """
                INSERT INTO tenants_membership (tenant_id, user_id, role, is_away, created_at,
                                                updated_at)
                SELECT %s, unnest(%s::bigint[]), %s, false, now(), now()
                """,
                [plan.tenant.pk, ids, role],
            )
        # Four customers in five belong to an organization: customer i to organization i % n.
        cursor.execute(
            """
            INSERT INTO tenants_membership (tenant_id, user_id, role, organization_id,
                                            is_away, created_at, updated_at)
            SELECT %(tenant)s, c.id, 'customer',
                   CASE WHEN c.i %% 5 <> 0
                        THEN (%(orgs)s::bigint[])[1 + c.i %% cardinality(%(orgs)s::bigint[])]
                   END,
                   false, now(), now()
            FROM unnest(%(customers)s::bigint[]) WITH ORDINALITY AS c(id, i)
            """,
            {"tenant": plan.tenant.pk, "orgs": plan.organizations, "customers": plan.customers},
        )


# One chunk of tickets numbered first .. first+size-1, with their comments, events and files.
# r_* are independent uniform draws per ticket; customer index 1 is the heavy customer.
TICKETS_SQL = """
WITH draws AS (
    SELECT g AS number, random() AS r_status, random() AS r_priority, random() AS r_age,
           random() AS r_changed, random() AS r_assign, random() AS r_subject,
           CASE WHEN random() < %(heavy)s THEN 1
                ELSE 1 + floor(random() * %(customer_count)s)::int END AS customer
    FROM generate_series(%(first)s, %(last)s) AS g
), shaped AS (
    SELECT d.*,
           CASE WHEN r_status < 0.08 THEN 'new' WHEN r_status < 0.33 THEN 'open'
                WHEN r_status < 0.45 THEN 'pending' WHEN r_status < 0.55 THEN 'solved'
                ELSE 'closed' END AS status,
           CASE WHEN r_priority < 0.05 THEN 0 WHEN r_priority < 0.20 THEN 1
                WHEN r_priority < 0.75 THEN 2 ELSE 3 END AS rank,
           now() - (r_age ^ 2) * interval '730 days' - interval '10 minutes' AS created
    FROM draws AS d
), timed AS (
    SELECT s.*,
           CASE status
               WHEN 'new' THEN created
               WHEN 'solved' THEN greatest(created, now() - r_changed * interval '40 hours')
               WHEN 'pending' THEN greatest(created, now() - r_changed * interval '80 hours')
               ELSE created + (now() - created) * r_changed END AS changed
    FROM shaped AS s
)
INSERT INTO tickets_ticket (
    tenant_id, number, subject, requester_email, requester_id, organization_id, assignee_id,
    priority, priority_rank, status, channel, form_answers, app_version, app_version_outdated,
    first_replied_at, last_public_reply_by, sla_anchor_at, next_update_due_at,
    sla_breached_due_at, status_changed_at, pending_since, solved_at, closed_at,
    created_at, updated_at)
SELECT %(tenant)s, number,
       (%(subjects)s::text[])[1 + floor(r_subject * cardinality(%(subjects)s::text[]))::int]
           || ' (' || number || ')',
       'customer' || customer || '@' || %(domain)s,
       (%(customers)s::bigint[])[customer],
       CASE WHEN customer %% 5 <> 0
            THEN (%(orgs)s::bigint[])[1 + customer %% cardinality(%(orgs)s::bigint[])] END,
       CASE WHEN status <> 'new' AND r_assign < 0.9
            THEN (%(agents)s::bigint[])[1 + floor(r_assign / 0.9
                                              * cardinality(%(agents)s::bigint[]))::int] END,
       (ARRAY['urgent', 'high', 'normal', 'low'])[rank + 1], rank, status,
       CASE WHEN number %% 7 = 0 THEN 'email' ELSE 'web' END,
       '{"product": "CrashPlan for Small Business"}'::jsonb,
       CASE WHEN number %% 3 = 0 THEN '11.3.0' ELSE '11.4.1' END, number %% 3 = 0,
       CASE WHEN status <> 'new' THEN changed END,
       CASE WHEN status = 'new' THEN 'customer' ELSE 'agent' END,
       CASE WHEN status IN ('new', 'open') THEN changed END,
       CASE WHEN status IN ('new', 'open')
            THEN changed + (ARRAY[1, 4, 8, 24])[rank + 1] * interval '1 hour' END,
       CASE WHEN status IN ('new', 'open')
                 AND changed + (ARRAY[1, 4, 8, 24])[rank + 1] * interval '1 hour' < now()
            THEN changed + (ARRAY[1, 4, 8, 24])[rank + 1] * interval '1 hour' END,
       changed,
       CASE WHEN status = 'pending' THEN changed END,
       CASE WHEN status IN ('solved', 'closed') THEN changed END,
       CASE WHEN status = 'closed' THEN changed END,
       created, changed
FROM timed
"""

# 1 to 3 messages per ticket (2 on average): the first from the customer, then the agent and
# the customer in turn; one message in ten after the first is an internal note.
COMMENTS_SQL = """
INSERT INTO tickets_comment (tenant_id, ticket_id, author_id, author_email, is_public, body,
                             body_html, created_at, updated_at)
SELECT t.tenant_id, t.id,
       CASE WHEN m.k %% 2 = 1 THEN t.requester_id ELSE t.assignee_id END,
       CASE WHEN m.k %% 2 = 1 THEN t.requester_email ELSE '' END,
       m.k = 1 OR random() >= 0.1,
       b.body, '<p>' || b.body || '</p>',
       t.created_at + (t.updated_at - t.created_at) * (m.k - 1) / 3,
       t.created_at + (t.updated_at - t.created_at) * (m.k - 1) / 3
FROM tickets_ticket AS t
CROSS JOIN LATERAL generate_series(1, 1 + (t.number * 7919 + t.id) %% 3) AS m(k)
CROSS JOIN LATERAL (
    SELECT (%(sentences)s::text[])[1 + (t.number + m.k) %% cardinality(%(sentences)s::text[])]
           || ' ' ||
           (%(sentences)s::text[])[1 + (t.number * 3 + m.k * 5) %%
                                    cardinality(%(sentences)s::text[])] AS body
) AS b
WHERE t.tenant_id = %(tenant)s AND t.number BETWEEN %(first)s AND %(last)s
"""

EVENTS_SQL = """
INSERT INTO tickets_ticketevent (tenant_id, ticket_id, actor_id, actor_kind, kind, before, after,
                                 data, created_at, updated_at)
SELECT tenant_id, id, requester_id, 'customer', 'created', '', 'new', '{}'::jsonb,
       created_at, created_at
FROM tickets_ticket WHERE tenant_id = %(tenant)s AND number BETWEEN %(first)s AND %(last)s
UNION ALL
SELECT tenant_id, id, assignee_id, 'agent', 'status_changed', 'new', status, '{}'::jsonb,
       status_changed_at, status_changed_at
FROM tickets_ticket
WHERE tenant_id = %(tenant)s AND number BETWEEN %(first)s AND %(last)s AND status <> 'new'
"""

# One ticket in ten has a file on its first message (all point at the tenant's sample file).
ATTACHMENTS_SQL = """
INSERT INTO tickets_attachment (tenant_id, ticket_id, comment_id, field_key, file,
                                original_name, content_type, size, staged_key,
                                created_at, updated_at)
SELECT t.tenant_id, t.id, c.id, '', %(path)s, 'backup-log.txt', 'text/plain', %(size)s, '',
       c.created_at, c.created_at
FROM tickets_ticket AS t
CROSS JOIN LATERAL (
    SELECT id, created_at FROM tickets_comment
    WHERE tenant_id = t.tenant_id AND ticket_id = t.id
    ORDER BY created_at, id LIMIT 1
) AS c
WHERE t.tenant_id = %(tenant)s AND t.number BETWEEN %(first)s AND %(last)s AND t.number %% 10 = 0
"""

SAMPLE = b"2026-11-27 08:00:01 backup started\n2026-11-27 08:00:09 destination unavailable\n"


def sample_path(plan: TenantPlan) -> str:
    return f"attachments/{plan.tenant.pk}/bench-sample.txt"


def _tickets(plan: TenantPlan, first: int, size: int) -> None:
    params = {
        "tenant": plan.tenant.pk,
        "first": first,
        "last": first + size - 1,
        "heavy": HEAVY_CUSTOMER_SHARE if plan.slug == BIG_SLUG else 0,
        "customer_count": len(plan.customers),
        "customers": plan.customers,
        "agents": plan.agents,
        "orgs": plan.organizations,
        "domain": plan.domain,
        "subjects": SUBJECTS,
        "sentences": SENTENCES,
        "path": sample_path(plan),
        "size": len(SAMPLE),
    }
    with connection.cursor() as cursor:
        for statement in (TICKETS_SQL, COMMENTS_SQL, EVENTS_SQL, ATTACHMENTS_SQL):
            cursor.execute(statement, params)


def _sample_file(plan: TenantPlan) -> None:
    path = sample_path(plan)
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(SAMPLE))
