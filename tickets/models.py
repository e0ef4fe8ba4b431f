import secrets
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from desk.priorities import RANK, Priority
from tenants.context import current_tenant
from tenants.managers import TenantManager, TenantQuerySet
from tenants.models import Membership, Tenant, TenantOwned
from tickets import events

# Sorts tickets that owe no update (pending) after every due time, in the queue's index.
QUEUE_NEVER_DUE = datetime(9999, 12, 31, tzinfo=UTC)


class TicketCounter(TenantOwned):
    """The last ticket number handed out in a tenant.

    Submission locks this row and takes the next number inside the same transaction as the
    ticket insert: concurrent submissions queue on the lock, and a rolled-back submission gives
    its number back, so numbers are consecutive and gap-free per tenant.
    """

    last_number = models.PositiveIntegerField(default=0)

    class Meta(TenantOwned.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="ticketcounter_one_per_tenant"),
        ]

    def __str__(self):
        return f"{self.tenant_id}: {self.last_number}"


class Team(TenantOwned):
    """A group of staff that tickets are routed to; new tickets go to the default team, and
    when the tenant turns assignment on, to one of its available members (tickets.assignment).
    """

    name = models.CharField(max_length=80)
    # New tickets join this team (at most one per tenant, by the constraint below).
    is_default = models.BooleanField(default=False)
    # Round-robin's place: the TeamMember id that got the last automatic assignment. The next
    # goes to the first available member after it (by id), wrapping around. A plain number,
    # not a foreign key, so removing that member does not lose the place in the rotation.
    rotation_cursor = models.PositiveBigIntegerField(default=0)

    class Meta(TenantOwned.Meta):
        constraints = [
            # Team names are unique within a tenant, whatever their case.
            models.UniqueConstraint(models.F("tenant"), Lower("name"), name="team_tenant_name_ci"),
            # One default team per tenant.
            models.UniqueConstraint(
                fields=["tenant"], condition=models.Q(is_default=True), name="team_one_default"
            ),
        ]

    def __str__(self):
        return self.name


class TeamMember(TenantOwned):
    """A staff member in a team (a person may be in several). Tied to the membership, so a
    person removed from the helpdesk leaves its teams with it."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")

    class Meta(TenantOwned.Meta):
        constraints = [
            # Once per team; also serves reading a team's members in rotation (id) order.
            models.UniqueConstraint(
                fields=["tenant", "team", "membership"], name="teammember_once"
            ),
        ]
        indexes = [
            # "My teams": the teams of one person (the queue's team=mine filter).
            models.Index(fields=["tenant", "membership"], name="teammember_membership"),
        ]

    def __str__(self):
        return f"{self.membership_id} in {self.team_id}"


class Ticket(TenantOwned):
    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        PENDING = "pending", "Pending"
        SOLVED = "solved", "Solved"
        CLOSED = "closed", "Closed"

    class Channel(models.TextChoices):
        WEB = "web", "Web form"
        EMAIL = "email", "Email"
        AGENT = "agent", "Agent"
        FOLLOW_UP = "follow_up", "Follow-up"
        CHAT = "chat", "Chat"
        API = "api", "API"

    UNSOLVED = (Status.NEW, Status.OPEN, Status.PENDING)

    number = models.PositiveIntegerField()
    subject = models.CharField(max_length=200)
    # The address the ticket came from. ``requester`` is set once a verified account owns that
    # address, so a ticket submitted without an account is claimed when its owner signs up.
    requester_email = models.EmailField()
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requested_tickets",
    )
    organization = models.ForeignKey(
        "tenants.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # ticket_organization below holds only the rows that have one
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    # The team the ticket is routed to (the tenant's default team at submission, or moved).
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        db_index=False,  # ticket_team below holds only the rows that have one
    )
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    # 0 = Urgent ... 3 = Low, kept in step with ``priority`` by save(): the queue sorts on it.
    priority_rank = models.PositiveSmallIntegerField(default=RANK[Priority.NORMAL])
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.WEB)
    form_answers = models.JSONField(default=dict, blank=True)
    app_version = models.CharField(max_length=40, blank=True)
    # Older than the tenant's current app version at submission: the agent sees a flag.
    app_version_outdated = models.BooleanField(default=False)
    follow_up_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        db_index=False,  # ticket_follow_up_of below holds only the follow-ups
    )
    # A duplicate merged into another ticket (tickets/merging.py) points at it, and is closed.
    # The database keeps it inside the tenant: a composite foreign key (tenant_id,
    # merged_into_id) -> (tenant_id, id), added by migration 0022 on PostgreSQL.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
        db_index=False,  # ticket_merged_into below leads with the tenant
    )
    first_replied_at = models.DateTimeField(null=True, blank=True)
    # Who wrote the last public message, "customer" or "agent" (the queue's "customer replied").
    last_public_reply_by = models.CharField(max_length=16, blank=True)
    # SLA: the agent owes an update by next_update_due_at, counted in business time from the
    # anchor (the last public agent reply, or when the ticket last became new/open). None for
    # pending, solved and closed tickets. sla_breached_due_at remembers which due time already
    # has its breach event, so the periodic check records each breach once.
    sla_anchor_at = models.DateTimeField(null=True, blank=True)
    next_update_due_at = models.DateTimeField(null=True, blank=True)
    sla_breached_due_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    pending_since = models.DateTimeField(null=True, blank=True)
    # When the "we still need your answer" reminder went out for this pending period.
    pending_reminded_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The queue's second sort key: the next update due, "never" for tickets that owe none.
    # Kept by the database. A plain column, so under row-level security its comparisons are
    # leakproof and the index serves keyset pages (a COALESCE in the query would not be).
    queue_due = models.GeneratedField(
        expression=Coalesce("next_update_due_at", models.Value(QUEUE_NEVER_DUE)),
        output_field=models.DateTimeField(),
        db_persist=True,
    )

    class Meta(TenantOwned.Meta):
        constraints = [
            # The number customers quote; also the lookup of every ticket URL.
            models.UniqueConstraint(fields=["tenant", "number"], name="ticket_tenant_number"),
            # Timestamps agree with status (the lifecycle keeps them; the database insists).
            models.CheckConstraint(
                condition=models.Q(status="pending", pending_since__isnull=False)
                | (~models.Q(status="pending") & models.Q(pending_since__isnull=True)),
                name="ticket_pending_since_iff_pending",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["solved", "closed"], solved_at__isnull=False)
                | (~models.Q(status__in=["solved", "closed"]) & models.Q(solved_at__isnull=True)),
                name="ticket_solved_at_iff_solved_or_closed",
            ),
            models.CheckConstraint(
                condition=models.Q(status="closed", closed_at__isnull=False)
                | (~models.Q(status="closed") & models.Q(closed_at__isnull=True)),
                name="ticket_closed_at_iff_closed",
            ),
            # What composite foreign keys point at, so that a reference from one ticket to
            # another (merged_into, TicketLink) cannot leave the tenant (migration 0022).
            models.UniqueConstraint(fields=["tenant", "id"], name="ticket_tenant_id"),
            # A merged ticket is closed, and never merged into itself.
            models.CheckConstraint(
                condition=models.Q(merged_into__isnull=True) | models.Q(status="closed"),
                name="ticket_merged_only_when_closed",
            ),
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("id")),
                name="ticket_not_merged_into_itself",
            ),
        ]
        # Every index here is written on every change of a ticket's status (such an UPDATE is
        # never HOT: updated_at and status are indexed), so the automation's close pass pays
        # for each: dropping an unused one and narrowing four to the rows they serve took its
        # UPDATE of 20,000 tickets at 1M from 1.55 s to 1.3-1.4 s. An index is partial where
        # most tickets have nothing to find in it.
        indexes = [
            # A customer's tickets newest first (the API's list for customers).
            models.Index(fields=["tenant", "requester", "-created_at"], name="ticket_requester"),
            # "My tickets" in its order (most recently updated first) ...
            models.Index(
                fields=["tenant", "requester", "-updated_at", "-number"],
                name="ticket_requester_updated",
            ),
            # ... and the count of each of its status tabs, from the index alone.
            models.Index(fields=["tenant", "requester", "status"], name="ticket_requester_status"),
            # Claiming tickets submitted before the account existed (only those have no
            # requester).
            models.Index(
                fields=["tenant", "requester_email"],
                name="ticket_unclaimed_email",
                condition=models.Q(requester__isnull=True),
            ),
            # Organization-shared ticket lists, and the foreign key's checks and SET NULL. An
            # organization belongs to one tenant, so its id alone is as selective as
            # (tenant, id); the same holds for teams and follow-ups.
            models.Index(
                fields=["organization"],
                name="ticket_organization",
                condition=models.Q(organization__isnull=False),
            ),
            models.Index(
                fields=["team"], name="ticket_team", condition=models.Q(team__isnull=False)
            ),
            models.Index(
                fields=["follow_up_of"],
                name="ticket_follow_up_of",
                condition=models.Q(follow_up_of__isnull=False),
            ),
            # Agent lists by status and priority.
            models.Index(fields=["tenant", "status", "priority"], name="ticket_status_priority"),
            # The queue filtered by status, newest or oldest first, and its keyset pages.
            models.Index(
                fields=["tenant", "status", "created_at", "id"], name="ticket_status_created"
            ),
            # The overview's backlog by status, priority and assignee, overdue counted: read from
            # the index alone, never the table.
            models.Index(
                fields=["tenant", "status", "priority", "assignee", "next_update_due_at"],
                name="ticket_backlog",
                condition=models.Q(status__in=["new", "open", "pending"]),
            ),
            # The queue sorted by age, newest or oldest first, and its keyset pages.
            models.Index(fields=["tenant", "created_at", "id"], name="ticket_created"),
            # The automation's "what is due": small partial indexes over only the rows that
            # can become due, however many closed tickets the table holds.
            models.Index(
                fields=["tenant", "pending_since"],
                name="ticket_pending_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(
                fields=["tenant", "solved_at"],
                name="ticket_solved_due",
                condition=models.Q(status="solved"),
            ),
            # The overview's "solved per day" (solved and closed tickets alike): its range on
            # solved_at is a leakproof comparison, so it stays an index condition under RLS.
            models.Index(
                fields=["tenant", "solved_at"],
                name="ticket_solved_at",
                condition=models.Q(solved_at__isnull=False),
            ),
            # Queue order by next update due, and the periodic breach check.
            models.Index(
                fields=["tenant", "next_update_due_at"],
                name="ticket_update_due",
                condition=models.Q(next_update_due_at__isnull=False),
            ),
            # The agent queue's default view and its keyset pagination: exactly its sort key
            # (most severe, then next update due with "nothing due" last, then oldest).
            models.Index(
                fields=["tenant", "priority_rank", "queue_due", "created_at", "id"],
                name="ticket_queue_order",
                condition=models.Q(status__in=["new", "open", "pending"]),
            ),
            # "Merged from" on a target's page, and the foreign key's ON DELETE: only the few
            # merged rows are in it.
            models.Index(
                fields=["tenant", "merged_into"],
                name="ticket_merged_into",
                condition=models.Q(merged_into__isnull=False),
            ),
            # The queue filtered by team (team=<id>, team=mine), in the queue's order.
            models.Index(
                fields=["tenant", "team", "priority_rank", "queue_due", "created_at", "id"],
                name="ticket_team_queue",
                condition=models.Q(status__in=["new", "open", "pending"]),
            ),
            # The queue filtered by assignee (assignee=me, assignee=<id>), in the queue's order;
            # least-open assignment counts each candidate's unsolved tickets from its prefix.
            # On (tenant, assignee) alone, an agent's 1,713 unsolved tickets of the bench tenant
            # were read, joined and sorted for every page of "My tickets": 18 ms.
            models.Index(
                fields=["tenant", "assignee", "priority_rank", "queue_due", "created_at", "id"],
                name="ticket_assignee_queue",
                condition=models.Q(status__in=["new", "open", "pending"]),
            ),
        ]

    def __str__(self):
        return f"#{self.number} {self.subject}"

    @property
    def customer_replied(self) -> bool:
        """The customer wrote after an agent's answer, and nobody has answered that yet."""
        return (
            self.last_public_reply_by == "customer"
            and self.first_replied_at is not None
            and self.status in self.UNSOLVED
        )

    def save(self, *args, **kwargs):
        self.priority_rank = RANK[self.priority]
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "priority" in update_fields:
            kwargs["update_fields"] = {*update_fields, "priority_rank"}
        super().save(*args, **kwargs)

    @property
    def is_overdue(self) -> bool:
        """The agent's next update is late (see tickets.sla)."""
        return self.next_update_due_at is not None and self.next_update_due_at < timezone.now()

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def is_unsolved(self) -> bool:
        return self.status in self.UNSOLVED


class Comment(TenantOwned):
    """A public reply or an internal note; ``body`` is Markdown, ``body_html`` its safe HTML."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # For comments written before the author had an account (anonymous submission).
    author_email = models.EmailField(blank=True)
    is_public = models.BooleanField(default=True)
    body = models.TextField()
    body_html = models.TextField()

    class Meta(TenantOwned.Meta):
        indexes = [
            # A ticket's conversation in order.
            models.Index(fields=["tenant", "ticket", "created_at"], name="comment_ticket_time"),
        ]

    def __str__(self):
        return f"{'Reply' if self.is_public else 'Note'} on ticket {self.ticket_id}"


def attachment_path(instance, filename):
    """``attachments/<tenant id>/<random>``: each tenant's files in a folder of their own.

    The file is stored before the row is saved, so a new row has no tenant yet (TenantOwned.save
    stamps it later): take the current tenant, as that save will. With neither, fail closed
    (TenantNotSet) rather than file the upload under no tenant.
    """
    tenant_id = instance.tenant_id if instance.tenant_id is not None else current_tenant().pk
    # A random name: the stored path says nothing about the upload and cannot be guessed.
    return f"attachments/{tenant_id}/{secrets.token_hex(16)}"


class Attachment(TenantOwned):
    """A file on a ticket. Until its form is submitted successfully it is staged under a key."""

    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    field_key = models.CharField(max_length=50, blank=True)
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    # Set while the file waits for its form to validate (see tickets.attachments).
    staged_key = models.CharField(max_length=64, blank=True)

    class Meta(TenantOwned.Meta):
        indexes = [
            models.Index(fields=["tenant", "ticket"], name="attachment_ticket"),
            # Re-attaching staged files and sweeping abandoned ones.
            models.Index(
                fields=["tenant", "staged_key"],
                name="attachment_staged",
                condition=~models.Q(staged_key=""),
            ),
        ]

    def __str__(self):
        return self.original_name

    @property
    def is_public(self) -> bool:
        return self.comment_id is None or self.comment.is_public


class Actor(models.TextChoices):
    """Who causes a change, in the role they act in: the lifecycle's table (tickets/lifecycle.py)
    says which role may make which change, and the timeline stores the same value."""

    AGENT = "agent", "Agent"
    CUSTOMER = "customer", "Customer"
    AUTOMATION = "automation", "Automation"
    SYSTEM = "system", "System"  # rows from before roles were stored, whose author was unknown


class TicketEventQuerySet(TenantQuerySet):
    def update(self, **kwargs):
        raise TypeError("Ticket events are immutable.")

    def delete(self):
        raise TypeError("Ticket events are immutable.")


class TicketEvent(TenantOwned):
    """One immutable entry on a ticket's timeline: who did what, from what to what, when."""

    class Kind(models.TextChoices):
        """The ticket's own kinds. Apps built on tickets register theirs (tickets/events.py)."""

        CREATED = "created", "Created"
        REPLIED = "replied", "Public reply"
        NOTED = "noted", "Internal note"
        STATUS_CHANGED = "status_changed", "Status changed"
        PRIORITY_CHANGED = "priority_changed", "Priority changed"
        ASSIGNEE_CHANGED = "assignee_changed", "Assignee changed"
        TEAM_CHANGED = "team_changed", "Team changed"
        ASSIGNMENT_SKIPPED = "assignment_skipped", "Not assigned automatically"
        REQUESTER_LINKED = "requester_linked", "Requester account linked"
        SLA_BREACHED = "sla_breached", "Update overdue (SLA breached)"
        MERGED_INTO = "merged_into", "Merged into another ticket"
        MERGED_FROM = "merged_from", "Another ticket merged into this one"
        SPLIT_INTO = "split_into", "Message split off into a new ticket"
        SPLIT_FROM = "split_from", "Split off from another ticket"
        LINKED = "linked", "Linked to a ticket"
        UNLINKED = "unlinked", "Link to a ticket removed"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # event_actor below: the automation's events (most of them) have none
    )
    actor_kind = models.CharField(max_length=16, choices=Actor.choices, default=Actor.AGENT)
    # No choices: the kinds are registered at start-up by the apps that own them.
    kind = models.CharField(max_length=events.MAX_KIND_LENGTH)
    before = models.CharField(max_length=200, blank=True)
    after = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)

    # Still the tenant-scoped manager, with bulk update/delete refused.
    objects = TenantManager.from_queryset(TicketEventQuerySet)()

    class Meta(TenantOwned.Meta):
        indexes = [
            # A ticket's timeline in order.
            models.Index(fields=["tenant", "ticket", "created_at"], name="event_ticket_time"),
            # The foreign key's checks and SET NULL when an account goes.
            models.Index(
                fields=["actor"], name="event_actor", condition=models.Q(actor__isnull=False)
            ),
        ]

    def __str__(self):
        return f"{self.kind_label} on ticket {self.ticket_id}"

    @property
    def kind_label(self) -> str:
        return events.label(self.kind)

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Ticket events are immutable.")
        if not events.is_registered(self.kind):
            raise ValueError(f"Unregistered ticket event kind {self.kind!r} (tickets/events.py).")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Ticket events are immutable.")


events.register(TicketEvent.Kind.choices, owner="tickets")


class TicketLink(TenantOwned):
    """Two related tickets of one tenant, shown on both (tickets/merging.py links them).

    A link has no direction, so it is stored once, as an ordered pair: ``low`` is the ticket
    with the smaller id. The unique constraint then holds each pair once whichever page linked
    it, and "the links of ticket T" are the rows with T at either end. On PostgreSQL both ends
    are also composite foreign keys (tenant_id, low_id/high_id) -> ticket (tenant_id, id), so a
    link across tenants cannot be stored even by hand (migration 0022).
    """

    low = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # ticketlink_pair leads with (tenant, low)
    high = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", db_index=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(TenantOwned.Meta):
        constraints = [
            # Each pair once; also the lookup of a ticket's links by its ``low`` end.
            models.UniqueConstraint(fields=["tenant", "low", "high"], name="ticketlink_pair"),
            # Stored in order, never a ticket with itself.
            models.CheckConstraint(
                condition=models.Q(low__lt=models.F("high")), name="ticketlink_ordered"
            ),
        ]
        indexes = [
            # A ticket's links by their ``high`` end (the other half of "links of T").
            models.Index(fields=["tenant", "high"], name="ticketlink_high"),
        ]

    def __str__(self):
        return f"link {self.low_id} - {self.high_id}"

    def other(self, ticket: Ticket) -> Ticket:
        """The ticket at the other end from ``ticket``."""
        return self.high if self.low_id == ticket.pk else self.low


class TicketFormField(TenantOwned):
    """One question of a tenant's ticket submission form."""

    class FieldType(models.TextChoices):
        SHORT_TEXT = "short_text", "Short text"
        LONG_TEXT = "long_text", "Long text"
        CHOICE = "choice", "Choice"
        MULTI_CHOICE = "multi_choice", "Multiple choice"
        EMAIL_LIST = "email_list", "Email list"
        GUID_LIST = "guid_list", "GUID list"
        VERSION = "version", "Version"
        FILES = "files", "Files"

    class FileKind(models.TextChoices):
        LOGS = "logs", "Logs (text or zip)"
        IMAGES = "images", "Images (PNG, JPEG, WebP)"

    # The answer under this key is compared with the tenant's current app version. (Subject,
    # impact and the description are built into every form; these rows are the extra questions.)
    APP_VERSION_KEY = "app_version"
    # Questions placed before this position are asked before the built-in description.
    DESCRIPTION_POSITION = 50

    key = models.SlugField(max_length=50)
    label = models.CharField(max_length=200)
    help_text = models.CharField(max_length=500, blank=True)
    field_type = models.CharField(max_length=16, choices=FieldType.choices)
    required = models.BooleanField(default=False)
    choices = models.JSONField(default=list, blank=True)
    file_kind = models.CharField(max_length=16, choices=FileKind.choices, blank=True)
    # For email lists: also accept plain usernames (the policy asks for "email or username").
    allow_usernames = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta(TenantOwned.Meta):
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="formfield_tenant_key"),
        ]

    def __str__(self):
        return self.label


class Macro(TenantOwned):
    """A canned public reply, optionally setting status and priority, applied in one click."""

    name = models.CharField(max_length=100)
    body = models.TextField(help_text="Markdown. Sent to the customer as a public reply.")
    submit_as = models.CharField(
        max_length=16,
        blank=True,
        choices=[(s, Ticket.Status(s).label) for s in ("open", "pending", "solved")],
        help_text="Leave empty to submit as Open.",
    )
    priority = models.CharField(max_length=16, blank=True, choices=Priority.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta(TenantOwned.Meta):
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="macro_tenant_name"),
        ]

    def __str__(self):
        return self.name


class SavedView(TenantOwned):
    """A named set of queue filters: personal (``owner``) or shared with the whole team."""

    name = models.CharField(max_length=80)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    query = models.CharField(max_length=1000, help_text="The queue's filter query string.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta(TenantOwned.Meta):
        ordering = ["position", "name"]
        indexes = [models.Index(fields=["tenant", "owner"], name="savedview_owner")]

    def __str__(self):
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None


class TicketSearch(models.Model):
    """The words of one ticket's subject (``comment`` empty) or of one of its messages, for the
    agent queue's text search. Written by database triggers (migration 0017), so every way a
    ticket or message is stored (forms, email, chat, bulk inserts) is searchable at once.

    No row-level security policy: the full-text match is not leakproof, so under a policy no
    index could serve it. The only reader is ``tickets.search``, which applies the current
    tenant itself and returns ticket ids that are then read under the tickets' own policy.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    comment = models.OneToOneField(Comment, null=True, on_delete=models.CASCADE, related_name="+")
    vector = SearchVectorField()

    RLS_EXEMPT = (
        "The text-search match is not leakproof: under a policy no index could serve it. Read "
        "only by tickets.search, which filters by the current tenant itself and returns ids "
        "that are read back under the tickets' policy."
    )

    class Meta:
        constraints = [
            # One entry per message (the one-to-one), and one for the subject.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=models.Q(comment__isnull=True),
                name="ticketsearch_subject",
            ),
        ]
        # PostgreSQL only, made by the migration (btree_gin): GIN on (tenant_id, vector).

    def __str__(self):
        return f"search entry of ticket {self.ticket_id}"


class Tag(TenantOwned):
    """A label agents put on tickets, one vocabulary per tenant (managed under Settings → Tags).

    ``name`` is shown as typed the first time; ``key`` is its normalised form (``tickets.tags``:
    NFKC, spaces collapsed, case folded), so "Billing", "billing" and "ＢＩＬＬＩＮＧ" are one tag.
    Lookups go by ``key`` with plain equality: under row-level security that stays an index
    condition, where ``Lower(name)`` or ``ILIKE`` would not.
    """

    MAX_LENGTH = 50
    # Case folding can lengthen a name (ß -> ss): at most three characters for one.
    KEY_MAX_LENGTH = 3 * MAX_LENGTH

    name = models.CharField(max_length=MAX_LENGTH)
    key = models.CharField(max_length=KEY_MAX_LENGTH)

    class Meta(TenantOwned.Meta):
        ordering = ["key"]
        constraints = [
            # One tag per normalised name: the case-insensitive uniqueness, and the lookup of
            # the queue's ``tag=`` filter and of every tag typed on a ticket.
            models.UniqueConstraint(fields=["tenant", "key"], name="tag_tenant_key"),
            # The target of ticket tags' (tenant, tag) foreign key (migration 0022): a ticket
            # of one tenant can never carry another tenant's tag, even by a raw insert.
            models.UniqueConstraint(fields=["tenant", "id"], name="tag_tenant_id"),
        ]

    def __str__(self):
        return self.name


class TicketTag(TenantOwned):
    """One tag on one ticket."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="tag_links", db_index=False
    )
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="links", db_index=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(TenantOwned.Meta):
        constraints = [
            # A ticket carries a tag once; also "the tags of these tickets" (the queue's rows
            # and the ticket page, one query for all of them).
            models.UniqueConstraint(fields=["tenant", "ticket", "tag"], name="tickettag_once"),
        ]
        indexes = [
            # "Tickets with tag X": the queue's tag filter (``tag_id = X``, a leakproof
            # equality), the report's counts per tag, and a tag's merge and delete.
            models.Index(fields=["tenant", "tag", "ticket"], name="tickettag_tag"),
        ]

    def __str__(self):
        return f"tag {self.tag_id} on ticket {self.ticket_id}"


class TagEvent(models.TextChoices):
    """The timeline's entries for tags (``before``/``after`` hold the tag's name)."""

    ADDED = "tag_added", "Tag added"
    REMOVED = "tag_removed", "Tag removed"


events.register(TagEvent.choices, owner="tickets")


class TimeEntry(TenantOwned):
    """Minutes an agent spent on a ticket: typed with a reply or note (``comment``), logged on
    their own, or measured by a timer (``started_at``..``ended_at``). Never shown to customers.

    An entry counts in the report on the day it was logged (a timer's: when it was stopped), in
    the helpdesk's calendar."""

    # The most one entry holds: a whole day. A longer piece of work is several entries.
    MAX_MINUTES = 24 * 60
    MAX_NOTE_CHARS = 500

    class Event(models.TextChoices):
        """This feature's timeline kinds (registered below, owned by tickets)."""

        LOGGED = "time_logged", "Time logged"
        DELETED = "time_deleted", "Time entry deleted"
        TIMER_STARTED = "timer_started", "Timer started"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="time_entries")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    minutes = models.PositiveIntegerField()
    # The reply or note the time was logged with, if any.
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="time_entries"
    )
    note = models.CharField(max_length=MAX_NOTE_CHARS, blank=True)
    # Set for entries a timer measured (both or neither).
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwned.Meta):
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gte=1, minutes__lte=24 * 60),
                name="timeentry_minutes_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(started_at__isnull=True, ended_at__isnull=True)
                | models.Q(
                    started_at__isnull=False,
                    ended_at__isnull=False,
                    ended_at__gte=models.F("started_at"),
                ),
                name="timeentry_timer_span",
            ),
        ]
        indexes = [
            # A ticket's entries and total (the agent ticket page, the API), and the report's
            # way from an organization's tickets (``ticket_org``) to their time in a period.
            models.Index(fields=["tenant", "ticket", "created_at"], name="timeentry_ticket"),
            # The report's range of days over every agent and organization.
            models.Index(fields=["tenant", "created_at"], name="timeentry_period"),
            # One agent's time in a period.
            models.Index(fields=["tenant", "agent", "created_at"], name="timeentry_agent"),
        ]

    def __str__(self):
        return f"{self.minutes} min on ticket {self.ticket_id}"


events.register(TimeEntry.Event.choices, owner="tickets")


class RunningTimer(TenantOwned):
    """An agent's timer on a ticket, from ``started_at`` until they stop it (which turns it
    into a ``TimeEntry``). One per agent and ticket."""

    # The unique constraint below serves lookups by ticket.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", db_index=False)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField()

    class Meta(TenantOwned.Meta):
        constraints = [
            # One running timer per agent per ticket (a second start is refused); also the
            # ticket page's "is my timer running here" lookup.
            models.UniqueConstraint(
                fields=["tenant", "ticket", "agent"], name="runningtimer_one_per_agent"
            ),
        ]

    def __str__(self):
        return f"timer of {self.agent_id} on ticket {self.ticket_id}"


# --- People around a ticket: CCs, followers, in-app notifications (tickets.collaboration) ------


class CollaborationEvent(models.TextChoices):
    """Timeline kinds of tickets.collaboration: who is copied on, and who follows, a ticket."""

    CC_ADDED = "cc_added", "CC added"
    CC_REMOVED = "cc_removed", "CC removed"
    FOLLOWED = "followed", "Agent followed"
    UNFOLLOWED = "unfollowed", "Agent stopped following"


events.register(CollaborationEvent.choices, owner="tickets")


class TicketCC(TenantOwned):
    """Someone copied on a ticket: they get its public replies by email and may answer them
    (by email, or on the portal when ``user`` is a member of this helpdesk)."""

    MAX_PER_TICKET = 20

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="ccs")
    # Stored lower-cased and stripped, like ``Ticket.requester_email``.
    email = models.EmailField()
    # The member who owns the address (verified), found when the CC is added or later when
    # they make an account; it is what lets them open the ticket on the portal.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(TenantOwned.Meta):
        constraints = [
            # One row per address per ticket, whatever its case (the email is stored lower-cased
            # too; the constraint holds even for a row written some other way).
            models.UniqueConstraint(
                "tenant", "ticket", models.functions.Lower("email"), name="ticketcc_unique_email"
            ),
        ]
        indexes = [
            # "Tickets I am copied on": the portal's visibility rule and My tickets.
            models.Index(fields=["tenant", "user", "ticket"], name="ticketcc_user"),
            # Claiming CCs of an address when its owner makes an account.
            models.Index(fields=["tenant", "email"], name="ticketcc_email"),
        ]

    def __str__(self):
        return f"{self.email} on ticket {self.ticket_id}"


class TicketFollower(TenantOwned):
    """A staff member who follows a ticket: told in the workspace (and by email, as they
    choose) of every update that someone else makes."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta(TenantOwned.Meta):
        constraints = [
            # A ticket's followers (the fan-out after each update) and "am I following?".
            models.UniqueConstraint(
                fields=["tenant", "ticket", "user"], name="ticketfollower_unique"
            ),
        ]

    def __str__(self):
        return f"user {self.user_id} follows ticket {self.ticket_id}"


class Notification(TenantOwned):
    """One in-app notification for a staff member about a ticket."""

    class Kind(models.TextChoices):
        MENTION = "mention", "Mentioned you"
        UPDATE = "update", "Followed ticket updated"
        ASSIGNED = "assigned", "Assigned to you"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(max_length=300)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwned.Meta):
        indexes = [
            # My notifications page, newest first (ids grow with time), and its keyset pages.
            models.Index(fields=["tenant", "recipient", "-id"], name="notification_mine"),
            # The workspace bell: my unread ones, newest first, counted from this small index.
            models.Index(
                fields=["tenant", "recipient", "-id"],
                name="notification_unread",
                condition=models.Q(read_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.kind} for user {self.recipient_id} on ticket {self.ticket_id}"


class NotificationPreference(TenantOwned):
    """Which notification emails a staff member wants in this helpdesk. No row: every switch
    on (the default); the in-app notifications are always written."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    email_on_mention = models.BooleanField(
        "Email me when someone mentions me in a note", default=True
    )
    email_on_follow = models.BooleanField(
        "Email me when a ticket I follow is updated", default=True
    )
    email_on_assign = models.BooleanField("Email me when a ticket is assigned to me", default=True)

    SWITCHES = ("email_on_mention", "email_on_follow", "email_on_assign")

    class Meta(TenantOwned.Meta):
        constraints = [
            # One row per person per helpdesk; also the lookup of each fan-out's recipients.
            models.UniqueConstraint(fields=["tenant", "user"], name="notificationpref_user"),
        ]

    def __str__(self):
        return f"notification preferences of user {self.user_id}"
