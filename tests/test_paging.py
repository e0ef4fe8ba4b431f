"""core.paging.page_of: Django's pages exactly, without a COUNT for a list that fits on one."""

import pytest
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.paging import page_of

NUMBERS = [None, "", "1", 1, "2", "3", "0", "-1", "99", "x", "²", "1.0"]


def people(count):
    User = get_user_model()
    for index in range(count):
        User.objects.create_user(email=f"p{index:03}@paging.example.com", password="x")
    return User.objects.filter(email__endswith="@paging.example.com").order_by("email")


def figures(page):
    return (
        [row.email for row in page.object_list],
        page.number,
        page.paginator.count,
        page.paginator.num_pages,
        page.has_next(),
        page.has_previous(),
    )


@pytest.mark.parametrize("count", [0, 1, 5, 6, 12])
def test_the_same_page_as_django_gives(db, count):
    rows = people(count)
    for number in NUMBERS:
        assert figures(page_of(rows, 5, number)) == figures(Paginator(rows, 5).get_page(number)), (
            number
        )


def test_a_list_that_fits_is_not_counted(db):
    rows = people(5)
    with CaptureQueriesContext(connection) as captured:
        figures(page_of(rows, 5, None))
    assert len(captured) == 1
    assert "COUNT" not in captured[0]["sql"]


def test_a_full_first_page_reads_its_rows_once_and_counts_once(db):
    rows = people(6)
    with CaptureQueriesContext(connection) as captured:
        figures(page_of(rows, 5, "1"))
    assert len(captured) == 2
    assert sum("COUNT" in query["sql"] for query in captured) == 1
