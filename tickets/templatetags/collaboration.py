"""The note form's mention picker (tickets.mentions): each colleague's handle, listed for
completion. It reads the staff list the ticket page already loaded for its assignee menu."""

from __future__ import annotations

from django import template

from tickets.collaboration_selectors import mention_handles

register = template.Library()


@register.inclusion_tag("agent/_mention_picker.html", takes_context=True)
def mention_picker(context, members):
    return {"handles": mention_handles(members), "CSP_NONCE": context.get("CSP_NONCE", "")}
