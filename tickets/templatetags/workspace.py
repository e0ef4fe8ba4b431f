"""The agent workspace's left navigation: the built-in queue views and the saved ones, each
with a live, bounded count.

One capped count per view (``queue.VIEW_COUNT_CAP``): the cost follows the number of views,
never the number of tickets; and the counts are kept a few seconds per person
(``NAV_COUNT_SECONDS``), so a page pays them at most twice a minute.
"""

from __future__ import annotations

import time

from django import template
from django.conf import settings
from django.core.cache import cache

from tenants.context import current_tenant
from tickets import queue

register = template.Library()


def _current_query(request) -> str | None:
    """The queue's filters on this request, normalised like a saved view's (None off the queue
    or when they are not valid)."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name != "agent:home":
        return None
    return queue.current_query(request.GET)


class _Counts:
    """Each view's bounded count, kept ``settings.NAV_COUNT_SECONDS`` per person: every
    workspace page shows them, and the queue itself always counts the view it shows. A view
    saved meanwhile is counted at once and joins the set until it expires, so no count is
    older than the setting."""

    def __init__(self, user):
        self.user = user
        self.key = f"tickets:nav-counts:{current_tenant().pk}:{user.pk}"
        self.seconds = settings.NAV_COUNT_SECONDS
        stored = cache.get(self.key) if self.seconds else None
        # The age is checked here too, not only by the cache's expiry (which runs on the cache
        # server's clock).
        if stored and time.time() - stored[0] < self.seconds:
            self.made, self.known = stored
        else:
            self.made, self.known = time.time(), {}
        self.changed = False

    def of(self, query: str) -> dict | None:
        if query not in self.known:
            data = queue.view_filters(query)
            self.known[query] = (
                queue.bounded_count(queue.filtered(data, self.user)) if data is not None else None
            )
            self.changed = True
        return self.known[query]

    def keep(self) -> None:
        left = self.made + self.seconds - time.time()
        if self.changed and left >= 1:
            cache.set(self.key, (self.made, self.known), int(left))


@register.inclusion_tag("agent/_side_nav.html", takes_context=True)
def workspace_nav(context):
    request = context["request"]
    membership = context.get("membership")
    # The queue page passes its filters, already validated; other pages are not the queue.
    current = context["queue_query"] if "queue_query" in context else _current_query(request)
    counts = _Counts(request.user)
    views = [
        {
            "key": key,
            "label": label,
            "query": query,
            "current": current == query,
            **counts.of(query),
        }
        for key, label, query in queue.BUILT_IN_VIEWS
    ]
    saved = []
    # The queue page has read them already for its title and "Saved views" menu.
    listed = context.get("saved_views_here")
    if listed is None:
        listed = queue.saved_views(
            request.user, can_share=bool(membership and membership.is_manager_or_admin)
        )
    for item in listed:
        count = counts.of(item["view"].query)
        if count is not None:  # a view whose filters are no longer valid: shown no more
            saved.append({**item, **count, "current": current == item["view"].query})
    counts.keep()
    return {
        "request": request,
        "membership": membership,
        "nav_badges": context.get("nav_badges", {}),
        "views": views,
        "saved_views": saved,
        # The demo's sent-emails page exists only with DEBUG on (demo/views.py).
        "demo_emails": settings.DEBUG,
    }
