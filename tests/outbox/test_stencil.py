"""A batch's emails rendered once and filled in are the emails rendered one by one; a template
that does more with a per-email value than print it is rendered one by one instead."""

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, engines

from outbox.services import _PARTS_ESCAPED, _render_parts, render_email, render_emails
from outbox.stencil import Stencil
from tenants.models import Tenant
from tickets.models import Ticket

HOSTILE = [
    "Quotes \"double\" and 'single' & <b>bold</b> <script>alert(1)</script>",
    "&amp; already escaped &lt;",
    "Ünïcödé — ✓ 日本語 \u200b zero width",
    "{{ ticket.subject }} {% if x %} template syntax",
    "  leading and trailing spaces  ",
    "a" * 200,
    "word " * 40,
    "",
]
NUMBERS = [1, 42, 1234, 1234567, 99999999]
TENANT = Tenant(slug="alpha", name='Alpha & "Sons" <Support>', time_zone="America/Chicago")
WHEN = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # the day the US clocks change


def _each(template: str) -> list[dict]:
    each = []
    for index, (subject, number) in enumerate(zip(HOSTILE, NUMBERS * 2, strict=False)):
        values = {
            "ticket": Ticket(pk=index + 1, number=number, subject=subject),
            "ticket_url": TENANT.url(f"/tickets/{number}/?a=1&b=<2>"),
        }
        if template == "survey_invitation":
            for purpose in ("good", "bad", "opt_out"):
                values[f"{purpose}_url"] = TENANT.url(f"/survey/{purpose}.{index}:x-y_z/")
        if template == "pending_reminder":
            values["solves_at"] = WHEN + timedelta(hours=index * 7)
        each.append(values)
    return each


SHARED = {
    "ticket_closed": {"new_ticket_url": TENANT.url("/tickets/new/")},
    "ticket_solved": {
        "new_ticket_url": TENANT.url("/tickets/new/"),
        "comment": None,
        "automatic": True,
        "closes_after": "2 days",
    },
    "survey_invitation": {"expires_at": WHEN},
    "pending_reminder": {"tenant_time_zone": "America/Chicago"},
}


@pytest.mark.parametrize("template", list(SHARED))
def test_a_batch_renders_as_each_email_alone_would(template, caplog):
    shared = {**SHARED[template], "tenant": TENANT}
    each = _each(template)
    alone = [render_email(template, {**shared, **values}) for values in each]
    assert render_emails(template, shared, each) == alone
    assert "differs from a full render" not in caplog.text  # the fill itself was right


@pytest.mark.parametrize(
    ("template", "filled_in"),
    [
        ("ticket_closed", True),
        ("ticket_solved", True),
        ("survey_invitation", True),
        # Its per-ticket time goes through |timezone and |date: each email is rendered alone.
        ("pending_reminder", False),
    ],
)
def test_which_templates_are_filled_in(template, filled_in):
    shared = {**SHARED[template], "tenant": TENANT}
    stencil = Stencil.make(
        lambda context: _render_parts(template, context),
        shared,
        _each(template)[0].keys(),
        escaped=_PARTS_ESCAPED,
    )
    assert (stencil is not None) == filled_in


def _stencil(text: str, html: str = "") -> Stencil | None:
    engine = engines["django"].engine

    def render(context):
        return [
            engine.from_string(text).render(Context(context, autoescape=False)),
            engine.from_string(html).render(Context(context, autoescape=True)),
        ]

    return Stencil.make(render, {"shared": "S&S"}, ["ticket", "when"], escaped=[False, True])


@pytest.mark.parametrize(
    "text",
    [
        "{% if ticket.subject %}yes{% endif %}",
        "{% if ticket.number == 3 %}three{% endif %}",
        "{{ ticket.subject|upper }}",
        "{{ ticket.subject|lower }}",
        "{{ ticket.subject|capfirst }}",
        "{{ ticket.subject|truncatechars:4 }}",
        "{{ ticket.subject|length }}",
        "{{ ticket.subject|default:'none' }}",
        "{{ ticket.subject|slice:':3' }}",
        "{{ ticket.subject|escape }}",
        "{{ ticket.number|floatformat }}",
        "{{ when|date:'Y' }}",
        "{% load tz %}{{ when|timezone:'UTC' }}",
        "{% for letter in ticket.subject %}{{ letter }}{% endfor %}",
        "{% with s=ticket.subject|upper %}{{ s }}{% endwith %}",
    ],
)
def test_a_template_that_does_more_than_print_a_value_is_rendered_email_by_email(text):
    assert _stencil(text) is None


def test_a_safe_filter_in_the_html_part_is_rendered_email_by_email():
    assert _stencil("{{ ticket.subject }}", "{{ ticket.subject|safe }}") is None


@pytest.mark.parametrize("grouping", [False, True], ids=["plain-numbers", "thousands-grouped"])
def test_printed_values_are_filled_in_as_django_renders_them(grouping, settings):
    # Numbers take a short path unless thousands are grouped; both print as Django does.
    settings.USE_THOUSAND_SEPARATOR = grouping
    text = "#{{ ticket.number }}: {{ ticket.subject }} ({{ shared }}) at {{ when }}"
    html = "<p>#{{ ticket.number }}: {{ ticket.subject }} {{ ticket.subject }} {{ shared }}</p>"
    stencil = _stencil(text, html)
    assert stencil is not None
    engine = engines["django"].engine
    each = [
        {
            "ticket": Ticket(number=number, subject=subject),
            "when": WHEN + timedelta(hours=number % 1000),
        }
        for subject, number in zip(HOSTILE, NUMBERS * 2, strict=False)
    ]
    texts, htmls = stencil.fill(each)
    for index, values in enumerate(each):
        context = {"shared": "S&S", **values}
        assert texts[index] == engine.from_string(text).render(Context(context, autoescape=False))
        assert htmls[index] == engine.from_string(html).render(Context(context))
