"""Cells drawn for every row of the agent's lists, made in Python: a template include and its
filters per row cost more than the rest of the queue page together."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from desk.priorities import Priority
from tickets.models import Ticket

register = template.Library()


_PRIORITY_LABELS = dict(Priority.choices)
_STATUS_LABELS = dict(Ticket.Status.choices)
_CHANNEL_LABELS = dict(Ticket.Channel.choices)
_UNITS = (
    (365 * 86400, "year"),
    (30 * 86400, "month"),
    (7 * 86400, "week"),
    (86400, "day"),
    (3600, "hour"),
    (60, "minute"),
)


def span(seconds: float) -> str:
    """ "3 hours", "1 day": the largest whole unit (what a glance at a list needs)."""
    seconds = abs(seconds)
    for size, unit in _UNITS:
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return "less than a minute"


def relative(when, now) -> str:
    """ "in 3 hours", "2 days ago", "just now"."""
    seconds = (when - now).total_seconds()
    if abs(seconds) < 60:
        return "just now"
    return f"in {span(seconds)}" if seconds > 0 else f"{span(seconds)} ago"


def _short(local) -> str:
    """ "Mar 2, 09:00 CST" (as the ``M j, H:i T`` date format, without its machinery)."""
    return f"{local:%b} {local.day}, {local:%H:%M} {local.tzname()}"


@register.simple_tag
def sla_badge(ticket, now=None):
    """When the agent's next update is due: "Overdue 2 hours", "Due in 3 hours" or a dash."""
    due = ticket.next_update_due_at
    if due is None:
        return mark_safe('<span class="muted">—</span>')
    now = now or timezone.now()
    title = _short(timezone.localtime(due))
    if due < now:
        return mark_safe(  # noqa: S308 (built from our own words and a formatted date)
            f'<span class="badge badge-overdue" title="Update was due {title}">'
            f"Overdue {span((now - due).total_seconds())}</span>"
        )
    return mark_safe(  # noqa: S308 (as above)
        f'<span class="sla-due" title="{title}">Due {relative(due, now)}</span>'
    )


@register.simple_tag
def updated_cell(when, now=None):
    """A ``<time>`` saying how long ago, with the exact time as its title."""
    local = timezone.localtime(when)
    return mark_safe(  # noqa: S308 (dates and our own words only)
        f'<time datetime="{local.isoformat(timespec="seconds")}" '
        f'title="{local:%b} {local.day}, {local.year} {local:%H:%M} {local.tzname()}">'
        f"{relative(when, now or timezone.now())}</time>"
    )


@register.simple_tag
def options(choices, selected="", prefix=""):
    """``<option>`` elements for (value, label) pairs, ``selected`` marked (compared as text);
    ``prefix`` goes before each value (the bulk menu's "assignee:"). Joined by hand: the queue
    draws a few hundred of them (agents twice, organizations) on every page."""
    chosen = str(selected)
    lead = escape(prefix)
    return mark_safe(  # noqa: S308 (every value and label is escaped here)
        "".join(
            f'<option value="{lead}{escape(value)}"'
            f"{' selected' if str(value) == chosen else ''}>{escape(label)}</option>"
            for value, label in choices
        )
    )


ROW_TAGS = 4  # tags shown on a queue row; the rest are counted


def tag_chips(tags) -> str:
    """A row's tags, compactly: the first few as chips, then "+N" for the rest (all of them in
    its title). ``tags`` were read for the whole page at once (``tickets.tags.for_tickets``)."""
    if not tags:
        return ""
    shown = "".join(f'<span class="tag">{escape(tag.name)}</span>' for tag in tags[:ROW_TAGS])
    if len(tags) > ROW_TAGS:
        rest = escape(", ".join(tag.name for tag in tags[ROW_TAGS:]))
        shown += f'<span class="tag" title="{rest}">+{len(tags) - ROW_TAGS}</span>'
    return f'<span class="row-tags"><span class="visually-hidden">Tags: </span>{shown}</span>'


@register.simple_tag(takes_context=True)
def queue_row(context, ticket):
    """One row of the agent queue (templates/agent/_queue_table.html draws the table around
    it). Python, not template markup: fifty rows of template lookups, URL reversals and date
    formatting were half the page. Every value from a person is escaped here."""
    cache = context.render_context
    if "queue_row" not in cache:
        cache["queue_row"] = (reverse("agent:ticket", args=[0]).removesuffix("0/"), timezone.now())
    base, now = cache["queue_row"]
    number = int(ticket.number)
    url = f"{base}{number}/"
    cues = []
    if ticket.customer_replied:
        cues.append(
            '<span class="badge badge-replied" title="The customer wrote after our last '
            'reply">Customer replied</span>'
        )
    for cue in getattr(ticket, "cues", ()):
        title = f' title="{escape(cue.title)}"' if cue.title else ""
        cues.append(
            f'<span class="badge {escape(cue.css_class)}"{title}>{escape(cue.label)}</span>'
        )
    if ticket.app_version_outdated:
        cues.append(
            '<span class="badge badge-flag" title="Older app version than the current one">'
            "Old version</span>"
        )
    if ticket.follow_up_of_id:
        cues.append('<span class="badge badge-soft">Follow-up</span>')
    cue_html = f'<span class="cues">{"".join(cues)}</span>' if cues else ""
    cue_html += tag_chips(getattr(ticket, "tag_list", ()))
    channel = _CHANNEL_LABELS.get(ticket.channel, ticket.channel)
    organization = f" · {escape(ticket.organization.name)}" if ticket.organization_id else ""
    if ticket.assignee_id:
        assignee = escape(ticket.assignee.display_name)
    else:
        assignee = (
            f'<button type="submit" class="btn btn-secondary btn-sm" name="take" '
            f'value="{number}" aria-label="Assign #{number} to me">Take</button>'
        )
    overdue = ticket.next_update_due_at is not None and ticket.next_update_due_at < now
    row_class = ' class="overdue-row"' if overdue else ""
    channel_key = escape(ticket.channel)
    return mark_safe(  # noqa: S308 (every value from a person is escaped above or here)
        f"<tr data-queue-row{row_class}>"
        f'<td class="col-select"><input type="checkbox" name="ticket" value="{number}" '
        f'aria-label="Select ticket #{number}"></td>'
        f'<td class="col-number"><a href="{url}">#{number}</a></td>'
        f'<td><a class="subject" href="{url}" data-queue-link>{escape(ticket.subject)}</a>'
        f"{cue_html}"
        f'<span class="requester muted small"><span class="channel channel-{channel_key}" '
        f'title="Came in by {channel.lower()}">{channel}</span> · '
        f"{escape(ticket.requester_email)}{organization}</span></td>"
        f'<td class="inline-cell"><span class="badge priority-{escape(ticket.priority)}">'
        f"{_PRIORITY_LABELS.get(ticket.priority, '')}</span></td>"
        f'<td class="inline-cell"><span class="status status-{escape(ticket.status)}">'
        f"{_STATUS_LABELS.get(ticket.status, '')}</span></td>"
        f'<td data-label="Next update">{sla_badge(ticket, now)}</td>'
        f'<td data-label="Assignee">{assignee}</td>'
        f'<td data-label="Updated" class="nowrap">{updated_cell(ticket.updated_at, now)}</td>'
        "</tr>"
    )


@register.simple_tag(takes_context=True)
def requester_row(context, ticket, scope):
    """One row of a customer's "My tickets" (templates/portal/my_tickets.html), drawn in Python
    like the queue's rows; every value from a person is escaped."""
    cache = context.render_context
    if "requester_row" not in cache:
        cache["requester_row"] = reverse("portal:ticket", args=[0]).removesuffix("0/")
    number = int(ticket.number)
    url = f"{cache['requester_row']}{number}/"
    viewer = context.get("user")
    whose = ""
    if scope == "organization" and viewer is not None and ticket.requester_id != viewer.pk:
        whose = f' <span class="muted">· {escape(ticket.requester_email)}</span>'
    local = timezone.localtime(ticket.updated_at)
    return mark_safe(  # noqa: S308 (every value from a person is escaped here)
        f'<tr><td><a href="{url}">#{number}</a></td>'
        f'<td><a href="{url}">{escape(ticket.subject)}</a>{whose}</td>'
        f'<td data-label="Status"><span class="status status-{escape(ticket.status)}">'
        f"{_STATUS_LABELS.get(ticket.status, '')}</span></td>"
        f'<td data-label="Priority"><span class="badge priority-{escape(ticket.priority)}">'
        f"{_PRIORITY_LABELS.get(ticket.priority, '')}</span></td>"
        f'<td data-label="Updated"><time datetime="{local.isoformat(timespec="seconds")}">'
        f"{local:%b} {local.day}, {local.year}</time></td></tr>"
    )
