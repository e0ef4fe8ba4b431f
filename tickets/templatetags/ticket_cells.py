"""Cells drawn for every row of the agent's lists, made in Python: a template include and its
filters per row cost more than the rest of the queue page together."""

from __future__ import annotations

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

register = template.Library()


@register.simple_tag
def sla_badge(ticket):
    """When the agent's next update is due: "Overdue 2 hours", "Due in 3 hours" or a dash."""
    due = ticket.next_update_due_at
    if due is None:
        return mark_safe('<span class="muted">—</span>')
    title = date_format(timezone.localtime(due), "M j, H:i T")
    if due < timezone.now():
        return format_html(
            '<span class="badge badge-overdue" title="Update was due {}">Overdue {}</span>',
            title,
            timesince(due),
        )
    return format_html('<span class="sla-due" title="{}">Due {}</span>', title, naturaltime(due))


@register.simple_tag
def updated_cell(when):
    """A ``<time>`` saying how long ago, with the exact time as its title."""
    local = timezone.localtime(when)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        local.isoformat(timespec="seconds"),
        date_format(local, "M j, Y H:i T"),
        naturaltime(when),
    )


@register.simple_tag
def options(choices, selected="", prefix=""):
    """``<option>`` elements for (value, label) pairs, ``selected`` marked (compared as text);
    ``prefix`` goes before each value (the bulk menu's "assignee:")."""
    chosen = str(selected)
    return format_html_join(
        "",
        '<option value="{}{}"{}>{}</option>',
        (
            (prefix, value, mark_safe(" selected") if str(value) == chosen else "", label)
            for value, label in choices
        ),
    )


@register.simple_tag
def queue_row(ticket):
    """One row of the agent queue (templates/agent/_queue_table.html draws the table around
    it). Python, not template markup: fifty rows of template lookups were half the page."""
    url = reverse("agent:ticket", args=[ticket.number])
    cues = []
    if ticket.customer_replied:
        cues.append(
            mark_safe(
                '<span class="badge badge-replied" title="The customer wrote after our last '
                'reply">Customer replied</span>'
            )
        )
    for cue in getattr(ticket, "cues", ()):
        title = format_html(' title="{}"', cue.title) if cue.title else ""
        cues.append(
            format_html('<span class="badge {}"{}>{}</span>', cue.css_class, title, cue.label)
        )
    if ticket.app_version_outdated:
        cues.append(
            mark_safe(
                '<span class="badge badge-flag" title="Older app version than the current one">'
                "Old version</span>"
            )
        )
    if ticket.follow_up_of_id:
        cues.append(mark_safe('<span class="badge badge-soft">Follow-up</span>'))
    cue_html = format_html('<span class="cues">{}</span>', mark_safe("".join(cues))) if cues else ""  # noqa: S308 (each part escaped above)
    channel = ticket.get_channel_display()
    organization = format_html(" · {}", ticket.organization.name) if ticket.organization_id else ""
    if ticket.assignee_id:
        assignee = format_html("{}", ticket.assignee.display_name)
    else:
        assignee = format_html(
            '<button type="submit" class="btn btn-secondary btn-sm" name="take" value="{}" '
            'aria-label="Assign #{} to me">Take</button>',
            ticket.number,
            ticket.number,
        )
    return format_html(
        "<tr data-queue-row{overdue}>"
        '<td class="col-select"><input type="checkbox" name="ticket" value="{number}" '
        'aria-label="Select ticket #{number}"></td>'
        '<td class="col-number"><a href="{url}">#{number}</a></td>'
        '<td><a class="subject" href="{url}" data-queue-link>{subject}</a>{cues}'
        '<span class="requester muted small"><span class="channel channel-{channel_key}" '
        'title="Came in by {channel_lower}">{channel}</span> · {email}{organization}</span></td>'
        '<td class="inline-cell">'
        '<span class="badge priority-{priority}">{priority_label}</span></td>'
        '<td class="inline-cell"><span class="status status-{status}">{status_label}</span></td>'
        '<td data-label="Next update">{due}</td>'
        '<td data-label="Assignee">{assignee}</td>'
        '<td data-label="Updated" class="nowrap">{updated}</td>'
        "</tr>",
        overdue=mark_safe(' class="overdue-row"') if ticket.is_overdue else "",
        number=ticket.number,
        url=url,
        subject=ticket.subject,
        cues=cue_html,
        channel_key=ticket.channel,
        channel_lower=channel.lower(),
        channel=channel,
        email=ticket.requester_email,
        organization=organization,
        priority=ticket.priority,
        priority_label=ticket.get_priority_display(),
        status=ticket.status,
        status_label=ticket.get_status_display(),
        due=sla_badge(ticket),
        assignee=assignee,
        updated=updated_cell(ticket.updated_at),
    )
