"""The agent workspace's left navigation: the built-in queue views and the saved ones, each
with a live, bounded count.

One capped count per view (``queue.VIEW_COUNT_CAP``): the cost follows the number of views,
never the number of tickets, so every workspace page pays the same few queries.
"""

from __future__ import annotations

from django import template
from django.conf import settings

from tickets import queue

register = template.Library()


def _current_query(request) -> str | None:
    """The queue's filters on this request, normalised like a saved view's (None off the queue
    or when they are not valid)."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name != "agent:home":
        return None
    return queue.current_query(request.GET)


@register.inclusion_tag("agent/_side_nav.html", takes_context=True)
def workspace_nav(context):
    request = context["request"]
    membership = context.get("membership")
    current = _current_query(request)
    views = []
    for key, label, query in queue.BUILT_IN_VIEWS:
        count = queue.bounded_count(queue.filtered(queue.view_filters(query), request.user))
        views.append(
            {"key": key, "label": label, "query": query, "current": current == query, **count}
        )
    saved = queue.saved_views_with_counts(
        request.user, can_share=bool(membership and membership.is_manager_or_admin)
    )
    for item in saved:
        item["current"] = current == item["view"].query
    return {
        "request": request,
        "membership": membership,
        "nav_badges": context.get("nav_badges", {}),
        "views": views,
        "saved_views": saved,
        # The demo's sent-emails page exists only with DEBUG on (demo/views.py).
        "demo_emails": settings.DEBUG,
    }
