"""The ticket form suggests articles while the subject is typed; opening one is noted, and a
ticket the same browser submits afterwards marks the note (the suggestion did not deflect it)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from helpcenter.contributions import VISITOR_SESSION_KEY
from helpcenter.models import Deflection
from tenants.context import tenant_context
from tests.conftest import login_client
from tests.helpcenter.public_helpers import article, browser, page, structure
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

SUBJECT = "Restore keeps failing on my laptop"


@pytest.fixture
def articles(world_a):
    _backups, restoring = structure(world_a, "Backups", "Restoring")
    _account, billing = structure(world_a, "Account", "Billing")
    return {
        "restore": article(world_a, "Restore a deleted file", "Pick the file.", section=restoring),
        "laptop": article(
            world_a, "Move your backup to a new laptop", "Sign in on the laptop.", section=restoring
        ),
        "invoice": article(world_a, "Download an invoice", "Under Billing.", section=billing),
        "draft": article(
            world_a,
            "Restore on a laptop (draft)",
            "restore laptop",
            section=restoring,
            status="draft",
        ),
    }


def suggested(client, subject) -> list[str]:
    response = client.get("/help/suggest/", {"q": subject})
    assert response.status_code == 200
    return re.findall(r'target="_blank" rel="noopener">([^<]+)<', response.content.decode())


def open_suggestion(client, item, subject=SUBJECT):
    return page(client, f"/help/articles/{item.slug}/", data={"ref": "ticket-form", "q": subject})


def submit(world, client, subject="Still broken"):
    response = client.post(
        "/tickets/new/",
        {
            "email": "dana@example.org",
            "subject": subject,
            "priority": "normal",
            "description": "Restore fails at 40%.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(world.tenant):
        return Ticket.objects.get(subject=subject)


def notes(world):
    with tenant_context(world.tenant):
        return list(
            Deflection.objects.order_by("pk").values(
                "article__title", "query", "ticket_id", "visitor_key"
            )
        )


# --- Suggestions -----------------------------------------------------------------------------


def test_the_ticket_form_has_a_live_region_for_suggestions_and_loads_the_script(world_a):
    body = page(browser(world_a), "/tickets/new/")
    region = re.search(r'<div id="help-suggestions"[^>]*>', body).group(0)
    assert 'aria-live="polite"' in region and 'data-for="id_subject"' in region
    assert 'data-url="/help/suggest/"' in region
    assert body.index('id="id_subject"') < body.index('id="help-suggestions"')
    assert 'src="/static/js/help-suggest.js"' in body


def test_suggestions_match_the_subject(world_a, articles):
    titles = suggested(browser(world_a), SUBJECT)
    # Articles sharing a meaningful word of the subject ("restore", "laptop"), none other.
    assert set(titles) == {"Restore a deleted file", "Move your backup to a new laptop"}
    assert suggested(browser(world_a), "Where is my invoice?") == ["Download an invoice"]


def test_an_article_matching_every_word_comes_first(world_a, articles):
    both = article(
        world_a, "Restore to a laptop", "restore laptop", section=articles["restore"].section
    )
    assert suggested(browser(world_a), "restore laptop")[0] == both.title


def test_suggestion_links_carry_the_reference_and_the_subject(world_a, articles):
    body = browser(world_a).get("/help/suggest/", {"q": "Restore & <b>fail</b>"}).content.decode()
    assert (
        f'href="/help/articles/{articles["restore"].slug}/?ref=ticket-form&amp;'
        'q=Restore%20%26%20%3Cb%3Efail%3C%2Fb%3E"' in body
    )
    assert "<b>" not in body


@pytest.mark.parametrize("subject", ["", "   ", "re", "Hi!", "the and for", "1234 5678"])
def test_short_empty_or_meaningless_subjects_get_no_suggestions(world_a, articles, subject):
    response = browser(world_a).get("/help/suggest/", {"q": subject})
    assert response.status_code == 200 and response.content.decode().strip() == ""


def test_nothing_is_shown_when_nothing_matches(world_a, articles):
    response = browser(world_a).get("/help/suggest/", {"q": "zebra crossing lights"})
    assert response.content.decode().strip() == ""


def test_at_most_five_articles_are_suggested(world_a, articles):
    for number in range(8):
        article(world_a, f"Restore guide {number}", "restore", section=articles["restore"].section)
    assert len(suggested(browser(world_a), "restore guide")) == 5


def test_drafts_and_the_policy_are_never_suggested(world_a, articles):
    titles = suggested(browser(world_a), "Restore on a laptop draft support policy")
    assert "Restore on a laptop (draft)" not in titles and "Support policy" not in titles


# --- Deflection notes ------------------------------------------------------------------------


def test_opening_a_suggestion_is_noted_once_for_the_browser(world_a, articles):
    client = browser(world_a)
    open_suggestion(client, articles["restore"])
    open_suggestion(client, articles["restore"])  # again, and a reload
    page(client, f"/help/articles/{articles['restore'].slug}/")  # not from the form
    open_suggestion(client, articles["laptop"])
    (first, second) = notes(world_a)
    assert (first["article__title"], first["query"], first["ticket_id"]) == (
        "Restore a deleted file",
        SUBJECT,
        None,
    )
    assert second["article__title"] == "Move your backup to a new laptop"
    assert first["visitor_key"] == second["visitor_key"] == client.session[VISITOR_SESSION_KEY]


def test_opening_without_a_subject_or_as_staff_notes_nothing(world_a, articles):
    page(
        browser(world_a), f"/help/articles/{articles['restore'].slug}/", data={"ref": "ticket-form"}
    )
    page(
        browser(world_a),
        f"/help/articles/{articles['restore'].slug}/",
        data={"ref": "elsewhere", "q": SUBJECT},
    )
    open_suggestion(login_client(world_a.users["agent"], world_a.tenant), articles["restore"])
    assert notes(world_a) == []


def test_a_ticket_submitted_afterwards_in_the_same_browser_marks_the_notes(world_a, articles):
    client = browser(world_a)
    open_suggestion(client, articles["restore"])
    open_suggestion(client, articles["laptop"])
    ticket = submit(world_a, client)
    assert [n["ticket_id"] for n in notes(world_a)] == [ticket.pk, ticket.pk]


def test_a_member_who_signs_in_keeps_the_notes_of_the_same_browser(world_a, articles):
    """Signing in keeps the session's data (Django rotates only its key)."""
    client = login_client(world_a.users["customer"], world_a.tenant)
    open_suggestion(client, articles["restore"])
    response = client.post(
        "/tickets/new/",
        {"subject": "Member ticket", "priority": "normal", "description": "Still failing."},
    )
    assert response.status_code == 302
    with tenant_context(world_a.tenant):
        ticket = Ticket.objects.get(subject="Member ticket")
    assert [n["ticket_id"] for n in notes(world_a)] == [ticket.pk]


def test_another_browsers_ticket_does_not_mark_them(world_a, articles):
    reader = browser(world_a)
    open_suggestion(reader, articles["restore"])
    submit(world_a, browser(world_a), subject="Someone else")
    assert [n["ticket_id"] for n in notes(world_a)] == [None]
    # The reader's own later ticket still does.
    ticket = submit(world_a, reader, subject="Mine after all")
    assert [n["ticket_id"] for n in notes(world_a)] == [ticket.pk]


def test_a_suggestion_opened_long_before_the_ticket_is_left_as_deflected(world_a, articles):
    client = browser(world_a)
    open_suggestion(client, articles["restore"])
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        submit(world_a, client)
        # A new visit after that long is a new note.
        open_suggestion(client, articles["restore"])
    assert [n["ticket_id"] for n in notes(world_a)] == [None, None]


def test_an_already_marked_note_is_not_reused_by_the_next_visit(world_a, articles):
    client = browser(world_a)
    open_suggestion(client, articles["restore"])
    first = submit(world_a, client, subject="First")
    open_suggestion(client, articles["restore"])
    second = submit(world_a, client, subject="Second")
    assert [n["ticket_id"] for n in notes(world_a)] == [first.pk, second.pk]
