"""Pages of a list for templates, without counting a list that fits on its first page."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


def page_of(rows: QuerySet, per_page: int, number) -> Page:
    """``Paginator(rows, per_page).get_page(number)``, the same page and the same figures.

    The first page reads one row more than it shows: with that row absent, the list is all
    there (its count is the rows read) and no COUNT is sent. Most people's lists (a customer's
    open requests) fit on one page, where the COUNT was one of the list's three queries."""
    if number not in (None, "", "1", 1):
        return Paginator(rows, per_page).get_page(number)
    first = list(rows[: per_page + 1])
    if len(first) <= per_page:
        return Paginator(first, per_page).get_page(1)
    paginator = Paginator(rows, per_page)  # counts when the page asks how many there are
    return paginator._get_page(first[:per_page], 1, paginator)
