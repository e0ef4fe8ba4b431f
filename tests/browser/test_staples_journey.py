"""The day-one staples in two browsers: an agent merges a customer's duplicate into the first
ticket, tags that ticket, logs fifteen minutes on it and mentions a colleague in an internal
note; the colleague's bell shows the mention and leads to the ticket.

Screenshots of the merge confirmation, the merged ticket and the colleague's notifications at
desktop and phone widths go to /tmp/helpdesk-browser/staples-<page>-<width>.png; each page must
fit its window.
"""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from desk.services import desk_create
from tenants.context import tenant_context
from tenants.models import Membership
from tests.browser.conftest import ARTIFACTS
from tickets.models import Comment, Notification, Ticket, TicketCC, TimeEntry
from tickets.services import ticket_submit

pytestmark = pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous")

PASSWORD = "a-long-browser-password-42"
WIDTHS = {"1440": (1440, 900), "390": (390, 844)}
PEOPLE = [
    ("cara", "customer", "Cara Lindqvist"),
    ("dmitri", "customer", "Dmitri Volkov"),
    ("ravi", "agent", "Ravi Patel"),
    ("sofia", "agent", "Sofia Marchetti"),
]


@pytest.fixture
def staples_desk(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tenant = desk_create(slug="staples", name="Northwind Support")
    User = get_user_model()
    people = {}
    with tenant_context(tenant):
        for key, role, name in PEOPLE:
            user = User.objects.create_user(
                email=f"{key}@staples.example", password=PASSWORD, name=name
            )
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
            Membership.objects.create(user=user, role=role)
            people[key] = user
        target = ticket_submit(
            requester_email=people["cara"].email,
            requester=people["cara"],
            subject="Invoice shows the wrong VAT rate",
            description="The March invoice charges 25% VAT instead of 19%.",
        )
        duplicate = ticket_submit(
            requester_email=people["dmitri"].email,
            requester=people["dmitri"],
            subject="Wrong VAT on our invoice",
            description="Our invoice for March has the wrong VAT rate too.",
        )
    return tenant, people, target, duplicate


def sign_in(browser, base, user):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    return page


def shot(page, name):
    """Full-page screenshots at both widths (then back to desktop); each must fit its window."""
    for width, (w, h) in WIDTHS.items():
        page.set_viewport_size({"width": w, "height": h})
        page.evaluate("Promise.all(document.getAnimations().map(a => a.finished))")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(
            path=str(ARTIFACTS / f"staples-{name}-{width}.png"),
            full_page=True,
            animations="disabled",
        )
        assert scroll <= w, f"{name}: {scroll}px wide in a {w}px window"
    page.set_viewport_size({"width": 1440, "height": 900})


def test_merge_tag_log_time_and_mention_a_colleague(asgi_server, staples_desk, browser_page):
    tenant, people, target, duplicate = staples_desk
    base = asgi_server.base(tenant.slug)

    def db(func):
        def run():
            with tenant_context(tenant):
                return func()

        return asgi_server.db(run)

    browser = browser_page.context.browser
    ravi = sign_in(browser, base, people["ravi"])

    # Merge the duplicate into the first ticket: More → Merge into… → number → confirm.
    ravi.goto(f"{base}/agent/tickets/{duplicate.number}/")
    ravi.get_by_label(f"More actions for #{duplicate.number}").click()
    ravi.get_by_role("link", name="Merge into…").click()
    ravi.get_by_label("Merge into ticket").fill(str(target.number))
    ravi.get_by_role("button", name="Review the merge").click()
    expect(ravi.get_by_role("heading", name="Merge these two tickets?")).to_be_visible()
    shot(ravi, "merge-confirm")
    ravi.get_by_role("button", name=f"Merge #{duplicate.number} into #{target.number}").click()
    expect(ravi).to_have_url(re.compile(rf"/agent/tickets/{target.number}/"))
    expect(ravi.locator(".comment", has_text="wrong VAT rate too")).to_be_visible()

    # Tag the target: type a new name and press Enter.
    tag_box = ravi.locator("#tag-name")
    tag_box.fill("billing")
    tag_box.press("Enter")
    expect(ravi.get_by_role("button", name="Remove tag billing")).to_be_visible()

    # Log fifteen minutes without a message (the time card's "Log time" opens the form).
    ravi.locator("#time summary", has_text="Log time").click()
    ravi.locator("#log-minutes").fill("15")
    ravi.get_by_role("button", name="Log time").click()
    expect(ravi.locator("[data-time-total]")).to_contain_text("15")

    # An internal note mentioning Sofia, by her handle.
    ravi.get_by_label("Internal note").check()
    ravi.locator("[data-shortcut-reply-wrapper] textarea").fill(
        "@sofia could you confirm the VAT table for Germany?"
    )
    ravi.get_by_role("button", name="Send", exact=True).click()
    expect(ravi.locator(".comment", has_text="could you confirm the VAT table")).to_be_visible()
    shot(ravi, "merged-ticket")

    state = db(
        lambda: {
            "source": Ticket.objects.get(pk=duplicate.pk),
            "ccs": list(TicketCC.objects.filter(ticket=target).values_list("email", flat=True)),
            "tags": list(
                Ticket.objects.get(pk=target.pk).tag_links.values_list("tag__name", flat=True)
            ),
            "minutes": sum(
                TimeEntry.objects.filter(ticket=target).values_list("minutes", flat=True)
            ),
            "note": Comment.objects.filter(ticket=target, is_public=False).count(),
            "mentions": list(
                Notification.objects.filter(recipient=people["sofia"]).values_list(
                    "kind", "ticket_id"
                )
            ),
            "ravi's": Notification.objects.filter(recipient=people["ravi"]).count(),
        }
    )
    assert state["source"].status == Ticket.Status.CLOSED
    assert state["source"].merged_into_id == target.pk
    assert state["ccs"] == [people["dmitri"].email]
    assert state["tags"] == ["billing"]
    assert state["minutes"] == 15
    assert state["note"] == 1
    assert [ticket for _kind, ticket in state["mentions"]] == [target.pk]
    assert state["ravi's"] == 0  # the author is never told of their own note

    # Sofia's bell shows the mention; it leads to the ticket.
    sofia = sign_in(browser, base, people["sofia"])
    sofia.goto(f"{base}/agent/")
    bell = sofia.get_by_role("link", name=re.compile("Notifications"))
    expect(bell).to_contain_text("1")
    bell.click()
    mention = sofia.get_by_role("link", name=re.compile(rf"mentioned you on #{target.number}"))
    expect(mention).to_be_visible()
    shot(sofia, "notifications")
    mention.click()
    expect(sofia).to_have_url(re.compile(rf"/agent/tickets/{target.number}/"))
    expect(sofia.locator(".comment", has_text="could you confirm the VAT table")).to_be_visible()
    sofia.goto(f"{base}/agent/")
    expect(sofia.get_by_role("link", name=re.compile("Notifications"))).not_to_contain_text("1")
