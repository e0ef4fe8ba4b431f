"""Bug reports in four browsers: an agent files a customer's problem as a product bug from the
ticket; a second agent links another customer's ticket to it; the manager marks it fixed in
11.5 and sends one customer the prepared "fixed in 11.5" reply; that customer's portal says
which version fixes it and nothing of the internal report.

Screenshots of the bug list, the fixed report, the "File or link a bug" page and the customer's
ticket at desktop and phone widths go to /tmp/helpdesk-browser/bugs-<page>-<width>.png; each
page must fit its window.
"""

import re
import uuid

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from bugs.models import BugComment, BugLink, BugReport
from desk.services import desk_create
from tenants.context import tenant_context
from tenants.models import Membership
from tests.browser.conftest import ARTIFACTS
from tickets.models import Comment
from tickets.services import ticket_submit

# WhiteNoise serves static files from synchronous iterators; under ASGI Django says so.
pytestmark = pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous")

PASSWORD = "a-long-browser-password-42"
WIDTHS = {"1440": (1440, 900), "390": (390, 844)}
PEOPLE = [
    ("cara", "customer", "Cara Lindqvist"),
    ("dmitri", "customer", "Dmitri Volkov"),
    ("ravi", "agent", "Ravi Patel"),
    ("sofia", "agent", "Sofia Marchetti"),
    ("priya", "agent", "Priya Raman"),  # owns the report; never touches a ticket
    ("mia", "manager", "Mia Okafor"),
]
FIRST_SUBJECT = "Restore stops at 97% on large folders"
FIRST_DESCRIPTION = (
    "1. Choose Restore files.\n2. Pick a folder over 10 GB.\nThe restore stops at 97% every time."
)
SECOND_SUBJECT = "Photos folder never finishes restoring"


@pytest.fixture
def bug_desk(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tenant = desk_create(slug="bugdesk", name="Northwind Support")
    User = get_user_model()
    people = {}
    with tenant_context(tenant):
        for key, role, name in PEOPLE:
            user = User.objects.create_user(
                email=f"{key}@bugdesk.example", password=PASSWORD, name=name
            )
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
            Membership.objects.create(user=user, role=role)
            people[key] = user
        first = ticket_submit(
            requester_email=people["cara"].email,
            requester=people["cara"],
            subject=FIRST_SUBJECT,
            description=FIRST_DESCRIPTION,
        )
        second = ticket_submit(
            requester_email=people["dmitri"].email,
            requester=people["dmitri"],
            subject=SECOND_SUBJECT,
            description="My Photos restore has been at 97% since yesterday.",
        )
    return tenant, people, first, second


def in_tenant(tenant, func):
    with tenant_context(tenant):
        return func()


def new_page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def sign_in(page, base, user):
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def shot(page, name):
    """Full-page screenshots at both widths (then back to desktop); each must fit its window."""
    for width, (w, h) in WIDTHS.items():
        page.set_viewport_size({"width": w, "height": h})
        # The side navigation slides away at phone width: wait for the transitions to end.
        page.evaluate("Promise.all(document.getAnimations().map(a => a.finished))")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(
            path=str(ARTIFACTS / f"bugs-{name}-{width}.png"), full_page=True, animations="disabled"
        )
        assert scroll <= w, f"{name}: {scroll}px wide in a {w}px window"
    page.set_viewport_size({"width": 1440, "height": 900})


def leaks(html, internal):
    return {what: text for what, text in internal.items() if text in html}


def message(page, text):
    return page.locator(".message", has_text=text)


def test_file_link_fix_and_tell_the_customer(asgi_server, bug_desk, browser_page):
    tenant, people, first, second = bug_desk
    base = asgi_server.base(tenant.slug)

    def db(func):
        """The test's own reads, where the server does its database work (see asgi_server)."""
        return asgi_server.db(in_tenant, tenant, func)

    browser = browser_page.context.browser
    marker = uuid.uuid4().hex[:10]
    summary_mark = f"summary-{marker}"
    steps_mark = f"steps-{marker}"
    tracker_url = f"https://issues.example.com/BACKUP-{marker}"
    comment_mark = f"comment-{marker}"
    # What only agents may read: none of it may reach a customer's page.
    internal = {
        "summary": summary_mark,
        "steps": steps_mark,
        "tracker link": tracker_url,
        "tracker marker": f"BACKUP-{marker}",
        "internal comment": comment_mark,
        "owner": "Priya Raman",
        "fix note": "Tell the customer",
        "fix note text": "is fixed in version 11.5. Tell",
        "report page": "/agent/bugs/",
    }

    # 1. Agent Ravi opens Cara's ticket from the queue and files it as a bug.
    ravi = browser_page
    ravi.set_viewport_size({"width": 1440, "height": 900})
    sign_in(ravi, base, people["ravi"])
    ravi.goto(f"{base}/agent/")
    ravi.get_by_role("link", name=FIRST_SUBJECT).click()
    expect(ravi).to_have_url(re.compile(rf"/agent/tickets/{first.number}/$"))
    card = ravi.locator("section", has=ravi.get_by_role("heading", name="Product bugs"))
    expect(card).to_contain_text("Not linked to a bug report.")
    card.get_by_role("link", name="File or link a bug").click()
    expect(ravi).to_have_url(re.compile(rf"/agent/tickets/{first.number}/bug/$"))
    expect(
        ravi.get_by_role("heading", name=f"File or link a bug for #{first.number}")
    ).to_be_visible()
    file_form = ravi.locator("form", has=ravi.get_by_role("heading", name="File a new bug report"))
    # Prefilled from the ticket: its subject and the customer's first message.
    expect(file_form.get_by_role("textbox", name="Title", exact=True)).to_have_value(FIRST_SUBJECT)
    steps = file_form.get_by_label("Steps to reproduce")
    expect(steps).to_have_value(FIRST_DESCRIPTION)
    # Internal details the customer must never see.
    file_form.get_by_label("Summary").fill(f"Large restores stall at 97%. {summary_mark}")
    steps.press("Control+End")
    steps.press_sequentially(f"\n{steps_mark}")
    file_form.get_by_label("Severity").select_option(label="Critical")
    file_form.get_by_label("Customers affected").select_option(label="Some customers")
    file_form.get_by_label("Owner").select_option(label="Priya Raman")
    file_form.get_by_label("External tracker link").fill(tracker_url)
    file_form.get_by_role("button", name="File the bug").click()

    expect(ravi).to_have_url(re.compile(rf"/agent/tickets/{first.number}/$"))
    filed = message(ravi, re.compile(r"Filed as bug #\d+\."))
    expect(filed).to_be_visible()
    number = int(re.search(r"#(\d+)", filed.inner_text()).group(1))

    def filed_report():
        report = BugReport.objects.get(number=number)
        assert report.title == FIRST_SUBJECT
        assert report.severity == "critical" and report.scope == "some"
        assert report.owner == people["priya"] and report.created_by == people["ravi"]
        assert report.tracker_url == tracker_url
        assert summary_mark in report.summary
        # Browsers send a textarea's line breaks as CRLF (and the report keeps them so).
        steps_saved = report.steps.replace("\r\n", "\n")
        assert steps_saved == f"{FIRST_DESCRIPTION}\n{steps_mark}"
        assert list(BugLink.objects.filter(report=report).values_list("ticket", flat=True)) == [
            first.pk
        ]
        return report

    report = db(filed_report)
    bug_link = card.get_by_role("link", name=f"#{number} {FIRST_SUBJECT}")
    expect(bug_link).to_have_attribute("href", f"/agent/bugs/{report.pk}/")
    expect(card.locator(".badge")).to_have_text("Critical")
    expect(card.locator(".status")).to_have_text("New")

    # Cara's portal says her problem was filed as a bug, and nothing more.
    cara = new_page(browser)
    sign_in(cara, base, people["cara"])
    cara.goto(f"{base}/tickets/{first.number}/")
    notice = cara.locator(".bug-notice")
    expect(notice).to_contain_text("Our team has filed this as a product bug.")
    assert not leaks(cara.content(), internal), "internal report fields on the portal"

    # 2. A second agent, Sofia, links Dmitri's ticket to the report found by a title word.
    sofia = new_page(browser)
    sign_in(sofia, base, people["sofia"])
    sofia.goto(f"{base}/agent/")
    sofia.get_by_role("link", name=SECOND_SUBJECT).click()
    expect(sofia).to_have_url(re.compile(rf"/agent/tickets/{second.number}/$"))
    sofia.get_by_role("link", name="File or link a bug").click()
    expect(sofia).to_have_url(re.compile(rf"/agent/tickets/{second.number}/bug/$"))
    # Prefilled from this ticket, not the other one.
    expect(sofia.get_by_role("textbox", name="Title", exact=True)).to_have_value(SECOND_SUBJECT)
    sofia.get_by_label("Title or number").fill("large folders")
    sofia.get_by_role("button", name="Search").click()
    expect(sofia).to_have_url(re.compile(r"\?find=large\+folders#link-heading$"))
    result = sofia.locator(".bug-result", has_text=f"#{number} {FIRST_SUBJECT}")
    expect(result).to_have_count(1)
    expect(result).to_contain_text("1 ticket")
    link_button = result.get_by_role("button", name=f"Link #{second.number} to it")
    expect(link_button).to_be_visible()
    shot(sofia, "file-or-link")
    link_button.click()
    expect(sofia).to_have_url(re.compile(rf"/agent/tickets/{second.number}/$"))
    expect(message(sofia, f"Linked to bug #{number}.")).to_be_visible()
    sofia_card = sofia.locator("section", has=sofia.get_by_role("heading", name="Product bugs"))
    expect(sofia_card.get_by_role("link", name=f"#{number} {FIRST_SUBJECT}")).to_be_visible()

    def linked():
        link = BugLink.objects.get(report=report, ticket=second)
        assert link.linked_by == people["sofia"]
        assert BugReport.objects.count() == 1  # linked, not filed again

    db(linked)

    # 3. The manager finds the report in the side navigation's list and marks it fixed.
    mia = new_page(browser)
    sign_in(mia, base, people["mia"])
    mia.goto(f"{base}/agent/")
    mia.get_by_role("navigation", name="Workspace sections").get_by_role(
        "link", name=re.compile(r"^Bug reports")
    ).click()
    expect(mia).to_have_url(re.compile(r"/agent/bugs/$"))
    row = mia.locator("table.bug-table tbody tr", has_text=f"#{number} {FIRST_SUBJECT}")
    expect(row).to_have_count(1)
    expect(row.locator("td[data-label=Tickets]")).to_have_text("2")
    expect(row.locator("td[data-label=Customers]")).to_have_text("2")
    expect(row.locator("td[data-label=Owner]")).to_have_text("Priya Raman")
    shot(mia, "list")
    row.get_by_role("link", name=f"#{number} {FIRST_SUBJECT}").click()
    expect(mia).to_have_url(re.compile(rf"/agent/bugs/{report.pk}/$"))
    expect(mia.get_by_role("heading", name=f"Bug #{number} {FIRST_SUBJECT}")).to_be_visible()

    mia.get_by_role("textbox", name="Internal comment", exact=True).fill(
        f"Reproduced on a 12 GB folder. {comment_mark}"
    )
    mia.get_by_role("button", name="Add comment").click()
    expect(message(mia, "Comment added.")).to_be_visible()

    status_form = mia.locator("form", has=mia.get_by_role("heading", name="Status"))
    # Fixed needs the version.
    status_form.get_by_label("Status").select_option(label="Fixed")
    status_form.get_by_role("button", name="Save status").click()
    expect(status_form.get_by_role("alert")).to_contain_text("Say which version fixes it.")
    assert db(lambda: BugReport.objects.get(pk=report.pk).status) == "new"
    status_form.get_by_label("Status").select_option(label="Fixed")
    status_form.get_by_label("Fixed in version").fill("11.5")
    status_form.get_by_role("button", name="Save status").click()
    expect(message(mia, f"Bug #{number} is now fixed.")).to_be_visible()
    expect(mia.locator(".page-header .status")).to_have_text("Fixed in 11.5")
    tell = mia.locator("section.tell-card")
    expect(tell.get_by_role("heading")).to_have_text("Customers to tell (2)")
    tell_rows = tell.locator("tbody tr")
    expect(tell_rows).to_have_count(2)
    for ticket, customer in ((first, "Cara Lindqvist"), (second, "Dmitri Volkov")):
        tell_row = tell_rows.filter(has_text=f"#{ticket.number} {ticket.subject}")
        expect(tell_row).to_contain_text(customer)
        expect(tell_row.get_by_role("link", name="Reply: fixed in 11.5")).to_have_attribute(
            "href", f"/agent/tickets/{ticket.number}/?bug={report.pk}#reply"
        )
    shot(mia, "report-fixed")

    # The prepared reply opens in Cara's ticket; the manager reviews it and sends it.
    tell_rows.filter(has_text=f"#{first.number} {FIRST_SUBJECT}").get_by_role(
        "link", name="Reply: fixed in 11.5"
    ).click()
    expect(mia).to_have_url(re.compile(rf"/agent/tickets/{first.number}/\?bug={report.pk}#reply$"))
    reply_box = mia.locator("#reply")
    body = reply_box.get_by_label("Message")
    expect(body).to_have_value(re.compile(r"fixed in version 11\.5\b"))
    expect(reply_box.get_by_label("Public reply")).to_be_checked()
    # The fix left an internal note on the ticket for the agents.
    expect(mia.get_by_text("is fixed in version 11.5. Tell the customer")).to_be_visible()
    reply_box.get_by_role("button", name="Send").click()
    expect(mia).to_have_url(re.compile(rf"/agent/tickets/{first.number}/(#reply)?$"))
    expect(message(mia, "Sent.")).to_be_visible()

    def told():
        sent = Comment.objects.filter(ticket=first, is_public=True).latest("created_at")
        assert sent.author == people["mia"] and "fixed in version 11.5" in sent.body
        notes = Comment.objects.filter(ticket=first, is_public=False)
        assert [n.body for n in notes if "Tell the customer" in n.body], "no internal fix note"
        assert BugComment.objects.filter(report=report, body__contains=comment_mark).exists()

    db(told)
    # Cara has been told: only Dmitri is left to tell.
    mia.goto(f"{base}/agent/bugs/{report.pk}/")
    expect(tell.get_by_role("heading")).to_have_text("Customers to tell (1)")
    expect(tell.locator("tbody tr")).to_have_count(1)
    expect(tell.locator("tbody tr")).to_contain_text(f"#{second.number} {SECOND_SUBJECT}")

    # 4. Cara's portal: the version that fixes it, and nothing of the internal report.
    cara.reload()
    expect(notice).to_contain_text("Fixed in version 11.5.")
    expect(notice).not_to_contain_text("Our team has filed this as a product bug.")
    expect(cara.locator(".conversation")).to_contain_text(
        "the problem you reported is fixed in version 11.5"
    )
    html = cara.content()
    leaked = leaks(html, internal)
    assert not leaked, f"the customer's page shows internal report fields: {leaked}"
    assert "tracker" not in html.lower()
    shot(cara, "customer-fixed")

    # Dmitri has not been replied to yet, but his portal already names the fixing version.
    dmitri = new_page(browser)
    sign_in(dmitri, base, people["dmitri"])
    dmitri.goto(f"{base}/tickets/{second.number}/")
    expect(dmitri.locator(".bug-notice")).to_contain_text("Fixed in version 11.5.")
    assert not leaks(dmitri.content(), internal), "internal report fields on the portal"
    # The report's own page is not theirs to open.
    assert dmitri.goto(f"{base}/agent/bugs/{report.pk}/").status == 403
    assert not leaks(dmitri.content(), internal), "a customer opened the bug report"

    for page in (cara, sofia, mia, dmitri):
        page.context.close()
