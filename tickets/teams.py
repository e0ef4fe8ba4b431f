"""Teams and automatic assignment: who tickets are routed to, and who gets a new one.

A ticket belongs to at most one team. New tickets join the tenant's default team; when the
tenant turns assignment on, ``assign_new_ticket`` (called by ``ticket_submit``, in its
transaction) also gives the ticket to one of the team's available members:

- available: the member is still staff here, their account is active, and they are not
  away (``Membership.is_away``; chat's "available for chat" switch is a different thing);
- round-robin: the first available member after the one who got the previous ticket, in
  the order they joined the team (``Team.rotation_cursor``), wrapping around;
- least open tickets: the available member with the fewest unsolved tickets assigned (all
  teams counted), ties broken by the round-robin order.

The decision reads the cursor and the open counts under a lock on the team row, held until
the submission commits: a second submission for the team waits for the first to commit and
then reads what it wrote, so no two tickets are decided from the same state. With nobody
available the ticket stays unassigned in the team, and its timeline says why.

Admins manage teams on Settings → Teams; every change is written to the audit log.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from core.errors import InvalidInput
from core.inputs import has_nul, parse_id
from tenants import audit, kept
from tenants.context import current_tenant
from tenants.models import AssignmentMode, Membership, Tenant
from tickets import lifecycle
from tickets.models import Actor, Team, TeamMember, Ticket, TicketEvent

MAX_TEAMS = 100  # per tenant: a settings page and a menu, not a directory
NAME_MAX = Team._meta.get_field("name").max_length
# Solved and closed tickets of a deleted team are relabelled in batches of this size.
RELABEL_BATCH = 1000


# --- Reads ---------------------------------------------------------------------------------


def teams() -> QuerySet[Team]:
    """The tenant's teams by name."""
    return Team.objects.order_by("name", "pk")


@kept.kept("team-choices", Team)
def team_choices() -> list[tuple[int, str]]:
    """(id, name) of every team, for menus (kept per tenant, no model objects)."""
    return list(teams().values_list("pk", "name"))


def team_for_id(value) -> Team | None:
    """The current tenant's team for an id from a form or URL (None: missing or not a number)."""
    team_id = parse_id(value)
    return Team.objects.filter(pk=team_id).first() if team_id is not None else None


def teams_with_members_query() -> QuerySet[Team]:
    """Teams by name, each with ``member_list`` (memberships and users, by email) and
    ``unsolved`` (its unsolved tickets): two queries, whatever the number of teams and members.
    """
    members = TeamMember.objects.select_related("membership__user").order_by(
        "membership__user__email", "pk"
    )
    return (
        teams()
        .annotate(unsolved=Count("tickets", filter=Q(tickets__status__in=Ticket.UNSOLVED)))
        .prefetch_related(Prefetch("members", queryset=members, to_attr="member_list"))
    )


def teams_with_members() -> list[Team]:
    return list(teams_with_members_query())


def my_team_ids(user) -> list[int]:
    """The teams ``user`` is a member of (the queue's "my teams")."""
    return list(TeamMember.objects.filter(membership__user=user).values_list("team_id", flat=True))


# --- Automatic assignment ------------------------------------------------------------------


def available_members(team: Team) -> list[TeamMember]:
    """The team's members who may get tickets now, in rotation (joining) order."""
    return list(
        TeamMember.objects.filter(
            team=team,
            membership__role__in=Membership.STAFF_ROLES,
            membership__is_away=False,
            membership__user__is_active=True,
        )
        .select_related("membership__user")
        .order_by("pk")
    )


def _in_rotation(members: list[TeamMember], cursor: int) -> list[TeamMember]:
    """``members`` starting after the one who got the last ticket (by member id), wrapping."""
    return [m for m in members if m.pk > cursor] + [m for m in members if m.pk <= cursor]


def choose(team: Team, mode: str) -> TeamMember | None:
    """Who gets the team's next ticket under ``mode`` (None: nobody is available). The caller
    holds the team's row lock, so the cursor and counts read here are the latest committed."""
    members = _in_rotation(available_members(team), team.rotation_cursor)
    if not members or mode == AssignmentMode.OFF:
        return None
    if mode == AssignmentMode.LEAST_OPEN:
        open_counts = dict(
            Ticket.objects.filter(
                status__in=Ticket.UNSOLVED,
                assignee_id__in=[m.membership.user_id for m in members],
            )
            .values("assignee_id")
            .annotate(open=Count("pk"))
            .values_list("assignee_id", "open")
        )
        # min() keeps the first of equals: ties go to whoever is next in the rotation.
        return min(members, key=lambda m: open_counts.get(m.membership.user_id, 0))
    return members[0]


def _why_nobody(team: Team) -> str:
    if not TeamMember.objects.filter(team=team).exists():
        return f"{team.name} has no members"
    return f"every member of {team.name} is away or no longer an active agent"


def assign_new_ticket(ticket: Ticket) -> None:
    """Route a just-submitted ticket to the default team and, when assignment is on, give it
    to a member. Runs inside ``ticket_submit``'s transaction, after its "created" event."""
    mode = current_tenant().assignment_mode
    defaults = Team.objects.filter(is_default=True)
    if mode != AssignmentMode.OFF:
        # The decision is serialized per team: this lock is held until the submission commits.
        defaults = defaults.select_for_update()
    team = defaults.first()
    if team is None:
        return
    lifecycle.set_team(ticket, team, actor=None, actor_kind=Actor.AUTOMATION, reason="default team")
    if mode == AssignmentMode.OFF:
        return
    member = choose(team, mode)
    if member is None:
        lifecycle.record(
            ticket,
            TicketEvent.Kind.ASSIGNMENT_SKIPPED,
            actor_kind=Actor.AUTOMATION,
            after=f"{_why_nobody(team)}"[:200],
            data={"team": team.pk, "rule": mode},
        )
        return
    lifecycle.assign(
        ticket,
        member.membership.user,
        actor=None,
        actor_kind=Actor.AUTOMATION,
        data={"rule": mode, "team": team.pk},
    )
    team.rotation_cursor = member.pk
    team.save(update_fields=["rotation_cursor", "updated_at"])


# --- Moving tickets between teams ----------------------------------------------------------


@transaction.atomic
def ticket_set_team(*, ticket: Ticket, actor, team: Team | None) -> Ticket:
    """An agent moving a ticket to another team (or none); the assignee stays as it is."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    lifecycle.set_team(ticket, team, actor=actor)
    return ticket


# --- Managing teams (admins) ---------------------------------------------------------------


def clean_name(name: str) -> str:
    """A team name as stored: trimmed, one line, 1 to 80 characters, no NUL."""
    name = " ".join(str(name or "").split())
    if not name:
        raise InvalidInput("Give the team a name.")
    if has_nul(name):
        raise InvalidInput("The name contains a NUL character.")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"Keep the name to {NAME_MAX} characters.")
    return name


def _save_name(team: Team, name: str) -> Team:
    clash = Team.objects.filter(name__iexact=name)
    if team.pk is not None:
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        raise InvalidInput(f"There is already a team named “{name}”.")
    team.name = name
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError:  # the same name saved from another tab at the same moment
        raise InvalidInput(f"There is already a team named “{name}”.") from None
    return team


@transaction.atomic
def team_create(*, name: str) -> Team:
    name = clean_name(name)
    if Team.objects.count() >= MAX_TEAMS:
        raise InvalidInput(f"A helpdesk can have up to {MAX_TEAMS} teams.")
    team = _save_name(Team(), name)
    audit.record(audit.Action.SETTINGS_CHANGED, target=f"Team created: {name}")
    return team


@transaction.atomic
def team_rename(*, team: Team, name: str) -> Team:
    name = clean_name(name)
    before = team.name
    if name == before:
        return team
    team = Team.objects.select_for_update().get(pk=team.pk)
    _save_name(team, name)
    audit.record(
        audit.Action.SETTINGS_CHANGED,
        target=f"Team renamed: {name}",
        detail={"from": before, "to": name},
    )
    return team


@transaction.atomic
def team_delete(*, team: Team) -> None:
    """Delete a team with no unsolved tickets. Its solved and closed tickets lose the team, each
    with a "team changed" entry on its timeline (the entry keeps the old name)."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    unsolved = team.tickets.filter(status__in=Ticket.UNSOLVED).count()
    if unsolved:
        raise InvalidInput(
            f"{team.name} still has {unsolved} unsolved ticket{'s' if unsolved != 1 else ''}: "
            "move them to another team first."
        )
    while True:
        batch = list(Ticket.objects.filter(team=team).order_by("pk")[:RELABEL_BATCH])
        if not batch:
            break
        Ticket.objects.filter(pk__in=[t.pk for t in batch]).update(team=None)
        lifecycle.record_many(
            batch,
            TicketEvent.Kind.TEAM_CHANGED,
            actor_kind=Actor.AGENT,
            before=team.name,
            after="",
            data={"from": team.pk, "to": None, "reason": "team deleted"},
        )
    name = team.name
    team.delete()
    audit.record(audit.Action.SETTINGS_CHANGED, target=f"Team deleted: {name}")


@transaction.atomic
def team_member_add(*, team: Team, membership: Membership | None) -> TeamMember:
    """Put a staff member of this helpdesk in the team (customers never are)."""
    if membership is None or not membership.is_staff_role:
        raise InvalidInput("Only agents, managers and admins of this helpdesk can join a team.")
    existing = TeamMember.objects.filter(team=team, membership=membership).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            member = TeamMember.objects.create(team=team, membership=membership)
    except IntegrityError:  # added from another tab at the same moment
        return TeamMember.objects.get(team=team, membership=membership)
    audit.record(
        audit.Action.SETTINGS_CHANGED,
        target=f"Team {team.name}: added {membership.user.email}",
    )
    return member


@transaction.atomic
def team_member_remove(*, team: Team, membership_id) -> bool:
    member = (
        TeamMember.objects.filter(team=team, membership_id=parse_id(membership_id))
        .select_related("membership__user")
        .first()
    )
    if member is None:
        return False
    member.delete()
    audit.record(
        audit.Action.SETTINGS_CHANGED,
        target=f"Team {team.name}: removed {member.membership.user.email}",
    )
    return True


@transaction.atomic
def assignment_settings_update(*, mode: str, default_team: Team | None) -> None:
    """The tenant's assignment rule and the team new tickets join. A rule other than off needs
    a default team (it picks among that team's members)."""
    if mode not in AssignmentMode.values:
        raise InvalidInput("Choose off, round-robin or least open tickets.")
    if mode != AssignmentMode.OFF and default_team is None:
        raise InvalidInput("Choose the team new tickets go to: assignment picks its members.")
    tenant = current_tenant()
    # Two admins saving at once queue here: the second reads the default the first set (else
    # both would clear the old default and the second's new one would break the constraint).
    locked = Tenant.objects.select_for_update().only("pk", "assignment_mode").get(pk=tenant.pk)
    tenant.assignment_mode = locked.assignment_mode
    before_team = Team.objects.filter(is_default=True).first()
    changed = {}
    if (before_team.pk if before_team else None) != (default_team.pk if default_team else None):
        # Clear first: the constraint allows one default team per tenant at any moment.
        Team.objects.filter(is_default=True).update(is_default=False)
        if default_team is not None:
            Team.objects.filter(pk=default_team.pk).update(is_default=True)
        kept.forget_model(tenant.pk, Team)  # updated without signals
        changed["default_team"] = {
            "from": before_team.name if before_team else "",
            "to": default_team.name if default_team else "",
        }
    if tenant.assignment_mode != mode:
        changed["assignment_mode"] = {"from": tenant.assignment_mode, "to": mode}
        tenant.assignment_mode = mode
        tenant.save(update_fields=["assignment_mode", "updated_at"])
    if changed:
        audit.record(audit.Action.SETTINGS_CHANGED, target="Ticket assignment", detail=changed)


def staff_not_in(team: Team) -> QuerySet[Membership]:
    """Staff memberships that could join ``team``, by email (the "Add member" menu)."""
    return (
        Membership.objects.filter(role__in=Membership.STAFF_ROLES)
        .exclude(Exists(TeamMember.objects.filter(team=team, membership=OuterRef("pk"))))
        .select_related("user")
        .order_by("user__email")
    )
