"""Every change to bug reports: filing one from a ticket, linking and unlinking tickets,
editing, status moves (fixed, won't fix, duplicate of another report) and internal comments.

Each change is written to the report's history and, where a ticket is concerned, to that
ticket's timeline, in one transaction. When a report is fixed, every linked ticket that is not
solved yet gets an internal note naming the version; the customers are told by the agents, from
a reply the report page prepares for each ticket (``reply_text``).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from bugs.models import BugComment, BugEvent, BugHistory, BugLink, BugReport
from core.errors import Conflict, InvalidInput, NotAllowed
from core.inputs import has_nul
from desk.versions import VERSION_RE, is_outdated
from tenants.context import current_tenant
from tenants.models import Membership, Tenant
from tenants.selectors import is_staff_user
from tickets import lifecycle
from tickets.lifecycle import Actor
from tickets.models import Ticket
from tickets.services import ticket_reply

Status = BugReport.Status

# What the edit form and the API may change (status has its own service).
EDITABLE = frozenset(
    {"title", "summary", "steps", "severity", "scope", "affected_versions", "tracker_url", "owner"}
)
TITLE_MAX = 200
TEXT_MAX = 20_000
COMMENT_MAX = 10_000


class UnsupportedVersion(Conflict):
    """The ticket comes from an app version that is no longer supported: filing it as a bug
    (or linking it to one) needs the agent's confirmation."""

    code = "unsupported_version"


# --- Checks ----------------------------------------------------------------------------------


def _staff(actor, membership: Membership | None = None) -> None:
    if membership is not None:
        if not membership.is_staff_role:
            raise NotAllowed("Only agents work with bug reports.")
    elif not is_staff_user(actor):
        raise NotAllowed("Only agents work with bug reports.")


def _text(value: object, label: str, *, limit: int, required: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{label} is text.")
    if has_nul(value):
        raise InvalidInput(f"{label} contains a NUL character.")
    value = value.replace("\r\n", "\n").strip()  # browsers send CRLF from a textarea
    if required and not value:
        raise InvalidInput(f"{label} is required.")
    if len(value) > limit:
        raise InvalidInput(f"{label} is at most {limit:,} characters (this has {len(value):,}).")
    return value


def clean_version(value: object, label: str = "The version") -> str:
    value = _text(value, label, limit=40)
    if value and not VERSION_RE.match(value):
        raise InvalidInput(f"{label} is a version number such as 11.4.1.")
    return value


def clean_versions(value: object) -> str:
    """A comma-separated list of version numbers, normalised to "a, b" without repeats."""
    text = _text(value, "Affected versions", limit=200)
    versions: list[str] = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not VERSION_RE.match(part):
            raise InvalidInput(
                f"“{part[:40]}” is not a version number: list versions such as 11.3, 11.4.1."
            )
        if part not in versions:
            versions.append(part)
    return ", ".join(versions)


def clean_tracker_url(value: object) -> str:
    from django.core.exceptions import ValidationError  # noqa: PLC0415 (only this check)
    from django.core.validators import URLValidator  # noqa: PLC0415

    url = _text(value, "The tracker link", limit=500)
    if not url:
        return ""
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError:
        raise InvalidInput("The tracker link is a web address (https://…).") from None
    return url


def unsupported_version(ticket: Ticket) -> str | None:
    """The ticket's version when it is older than the tenant's current one (else None)."""
    current = current_tenant().current_app_version
    if ticket.app_version and is_outdated(ticket.app_version, current):
        return ticket.app_version
    return None


def _check_version(ticket: Ticket, confirmed: bool) -> None:
    version = unsupported_version(ticket)
    if version and not confirmed:
        current = current_tenant().current_app_version
        raise UnsupportedVersion(
            f"Ticket #{ticket.number} comes from version {version}, which is no longer supported "
            f"(the current version is {current}). Confirm that this is a bug in a supported "
            "version, or ask the customer to update first."
        )


# --- Writing ---------------------------------------------------------------------------------


def _history(report: BugReport, actor, kind: str, text: str) -> None:
    BugHistory.objects.create(report=report, actor=actor, kind=kind, text=text[:300])


def _on_timeline(ticket: Ticket, kind: str, report: BugReport, actor, *, before: str = "") -> None:
    lifecycle.record(
        ticket,
        kind,
        actor=actor,
        actor_kind=Actor.AGENT if actor else Actor.SYSTEM,
        before=before,
        after=str(report)[:200],
        data={"bug": report.pk},
    )


def _next_number() -> int:
    # One filing at a time per tenant (the tenant's row is the lock): numbers never collide.
    Tenant.objects.select_for_update().filter(pk=current_tenant().pk).first()
    return (BugReport.objects.aggregate(top=Max("number"))["top"] or 0) + 1


def _values(values: dict) -> dict:
    unknown = set(values) - EDITABLE
    if unknown:
        raise InvalidInput(f"Not a bug report field: {', '.join(sorted(unknown))}.")
    clean = {}
    for name, value in values.items():
        if name == "title":
            clean[name] = _text(value, "The title", limit=TITLE_MAX, required=True)
        elif name in ("summary", "steps"):
            label = "The summary" if name == "summary" else "The steps to reproduce"
            clean[name] = _text(value, label, limit=TEXT_MAX)
        elif name == "severity":
            if value not in BugReport.Severity.values:
                raise InvalidInput("Choose critical, major or minor.")
            clean[name] = value
        elif name == "scope":
            if value not in BugReport.Scope.values:
                raise InvalidInput("Choose how many customers are affected.")
            clean[name] = value
        elif name == "affected_versions":
            clean[name] = clean_versions(value)
        elif name == "tracker_url":
            clean[name] = clean_tracker_url(value)
        elif name == "owner":
            if value is not None and not is_staff_user(value):
                raise InvalidInput("The owner is an agent of this helpdesk.")
            clean[name] = value
    return clean


@transaction.atomic
def bug_file(
    *, ticket: Ticket, actor, membership: Membership, values: dict, confirm_version=False
) -> BugReport:
    """A new report from a ticket, the ticket linked to it."""
    _staff(actor, membership)
    _check_version(ticket, confirm_version)
    values = _values(values)
    if "title" not in values:
        raise InvalidInput("The title is required.")
    if ticket.app_version and not values.get("affected_versions"):
        values["affected_versions"] = ticket.app_version
    report = BugReport.objects.create(number=_next_number(), created_by=actor, **values)
    _history(report, actor, "filed", f"Filed from ticket #{ticket.number}")
    BugLink.objects.create(report=report, ticket=ticket, linked_by=actor)
    _on_timeline(ticket, BugEvent.FILED, report, actor)
    return report


def canonical(report: BugReport) -> BugReport:
    """The report a duplicate stands for (itself when it is not one)."""
    seen = {report.pk}
    while report.status == Status.DUPLICATE and report.duplicate_of_id:
        report = BugReport.objects.get(pk=report.duplicate_of_id)
        if report.pk in seen:  # never loops (bug_set_status refuses cycles), but stay safe
            break
        seen.add(report.pk)
    return report


@transaction.atomic
def bug_link(
    *, report: BugReport, ticket: Ticket, actor, membership: Membership, confirm_version=False
) -> BugReport:
    """Link a ticket to a report (to the original, when the report is a duplicate). Returns the
    report the ticket is now linked to."""
    _staff(actor, membership)
    report = canonical(BugReport.objects.select_for_update().get(pk=report.pk))
    if BugLink.objects.filter(report=report, ticket=ticket).exists():
        raise Conflict(f"Ticket #{ticket.number} is already linked to bug #{report.number}.")
    _check_version(ticket, confirm_version)
    BugLink.objects.create(report=report, ticket=ticket, linked_by=actor)
    _history(report, actor, "linked", f"Ticket #{ticket.number} linked")
    _on_timeline(ticket, BugEvent.LINKED, report, actor)
    if report.status == Status.FIXED and ticket.status in Ticket.UNSOLVED:
        _fixed_note(report, ticket, actor, membership)
    return report


@transaction.atomic
def bug_unlink(*, report: BugReport, ticket: Ticket, actor, membership: Membership) -> None:
    _staff(actor, membership)
    deleted, _ = BugLink.objects.filter(report=report, ticket=ticket).delete()
    if not deleted:
        raise Conflict(f"Ticket #{ticket.number} is not linked to bug #{report.number}.")
    _history(report, actor, "unlinked", f"Ticket #{ticket.number} unlinked")
    _on_timeline(ticket, BugEvent.UNLINKED, report, actor)


@transaction.atomic
def bug_update(*, report: BugReport, actor, membership: Membership, values: dict) -> BugReport:
    _staff(actor, membership)
    report = BugReport.objects.select_for_update().get(pk=report.pk)
    values = _values(values)
    changed = [name for name, value in values.items() if getattr(report, name) != value]
    if not changed:
        return report
    for name in changed:
        setattr(report, name, values[name])
    report.save(update_fields=[*changed, "updated_at"])
    labels = ", ".join(str(BugReport._meta.get_field(name).verbose_name) for name in changed)
    _history(report, actor, "edited", f"Changed {labels}")
    return report


def reply_text(report: BugReport) -> str:
    """The reply an agent reviews before telling a customer that their bug is fixed."""
    return (
        f"Good news: the problem you reported is fixed in version {report.fixed_in}. Please "
        f"update to version {report.fixed_in} or later, and reply here if it still happens."
    )


def _fixed_note(report: BugReport, ticket: Ticket, actor, membership: Membership | None):
    ticket_reply(
        ticket=ticket,
        author=actor,
        membership=membership,
        body=(
            f"Bug #{report.number} “{report.title}” is fixed in version {report.fixed_in}. "
            "Tell the customer to update (the bug report lists a reply for each ticket)."
        ),
        public=False,
    )


@transaction.atomic
def bug_set_status(
    *,
    report: BugReport,
    actor,
    membership: Membership,
    status: str,
    fixed_in: str = "",
    duplicate_of: BugReport | None = None,
) -> BugReport:
    """Move a report to ``status``. Fixed needs the version (and notes every linked unsolved
    ticket); duplicate needs the original report, and moves the tickets over to it."""
    _staff(actor, membership)
    if status not in Status.values:
        raise InvalidInput("Choose a status.")
    report = BugReport.objects.select_for_update().get(pk=report.pk)
    before = report.get_status_display()
    fields = ["status", "updated_at"]
    if status == Status.FIXED:
        fixed_in = clean_version(fixed_in, "The fixed-in version")
        if not fixed_in:
            raise InvalidInput("Say which version fixes it.")
        if report.status == Status.FIXED and report.fixed_in == fixed_in:
            return report
        report.fixed_in = fixed_in
        report.fixed_at = timezone.now()
        fields += ["fixed_in", "fixed_at"]
    elif status == report.status and status != Status.DUPLICATE:
        return report
    if status == Status.DUPLICATE:
        if duplicate_of is None:
            raise InvalidInput("Choose the report this one duplicates.")
        original = canonical(duplicate_of)
        if original.pk == report.pk:
            raise Conflict("A report cannot duplicate itself (or a duplicate of itself).")
        if report.duplicate_of_id == original.pk and report.status == Status.DUPLICATE:
            return report
        report.duplicate_of = original
        fields.append("duplicate_of")
    elif report.duplicate_of_id is not None:
        report.duplicate_of = None
        fields.append("duplicate_of")
    report.status = status
    report.save(update_fields=fields)
    after = report.get_status_display()
    if status == Status.FIXED:
        after = f"Fixed in {report.fixed_in}"
    _history(report, actor, "status", f"Status: {before} → {after}")
    links = list(BugLink.objects.filter(report=report).select_related("ticket"))
    for link in links:
        if status == Status.FIXED:
            _on_timeline(link.ticket, BugEvent.FIXED, report, actor)
            if link.ticket.status in Ticket.UNSOLVED:
                _fixed_note(report, link.ticket, actor, membership)
        elif status != Status.DUPLICATE:  # a duplicate's tickets get "linked" to the original
            lifecycle.record(
                link.ticket,
                BugEvent.STATUS,
                actor=actor,
                before=f"Bug #{report.number}: {before}",
                after=f"Bug #{report.number}: {after}",
                data={"bug": report.pk},
            )
    if status == Status.DUPLICATE:
        _move_links(report, original, actor, membership)
    return report


def _move_links(duplicate: BugReport, original: BugReport, actor, membership) -> None:
    """A duplicate's tickets belong to the original from now on (one place to be told)."""
    moved = []
    for link in BugLink.objects.filter(report=duplicate).select_related("ticket"):
        if not BugLink.objects.filter(report=original, ticket=link.ticket).exists():
            BugLink.objects.create(report=original, ticket=link.ticket, linked_by=actor)
            _on_timeline(link.ticket, BugEvent.LINKED, original, actor, before=str(duplicate))
            if original.status == Status.FIXED and link.ticket.status in Ticket.UNSOLVED:
                _fixed_note(original, link.ticket, actor, membership)
        moved.append(f"#{link.ticket.number}")
        link.delete()
    _history(duplicate, actor, "duplicate", f"Duplicate of bug #{original.number}")
    if moved:
        text = f"From duplicate #{duplicate.number}: {', '.join(moved)}"
        _history(original, actor, "merged", text)


@transaction.atomic
def bug_comment(*, report: BugReport, actor, membership: Membership, body: object) -> BugComment:
    _staff(actor, membership)
    body = _text(body, "The comment", limit=COMMENT_MAX, required=True)
    return BugComment.objects.create(report=report, author=actor, body=body)
