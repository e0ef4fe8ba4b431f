"""A customer looks for an answer in the help center: searches, opens an article, votes it
helpful and sees the count change; on the ticket form a matching article is suggested while
the subject is typed. Each page fits the window and passes axe at 1440 and 390 pixels wide;
screenshots go to /tmp/helpdesk-browser/help-*.png."""

import json

import pytest
from axe_playwright_python.sync_playwright import Axe

from helpcenter import services
from helpcenter.models import Article, ArticleVote, Deflection
from tenants.context import tenant_context
from tenants.services import tenant_create
from tests.browser.conftest import ARTIFACTS

WIDTHS = {"1440": (1440, 900), "390": (390, 844)}
RESTORE_BODY = """Files deleted from a computer stay in its backup for 90 days.

1. Open the app and choose **Restore files**.
2. Pick the backup set, then browse to the folder that held the file.
3. Select the file and choose a destination: the original folder, or a new one.

> A restore never overwrites a newer file unless you ask it to.

If the restore stops with *destination unavailable*, check that the drive is connected and \
that you may write to it, then restore again.
"""


@pytest.fixture
def help_desk(transactional_db):
    tenant = tenant_create(slug="helpjourney", name="Northwind Support")
    with tenant_context(tenant):
        backups = services.category_save(
            values={
                "name": "Backups and restores",
                "description": "Keep files safe, get them back.",
            }
        )
        restoring = services.section_save(values={"category": backups, "name": "Restoring files"})
        schedules = services.section_save(values={"category": backups, "name": "Schedules"})
        account = services.category_save(
            values={"name": "Your account", "description": "Sign-in, passwords, billing."}
        )
        passwords = services.section_save(values={"category": account, "name": "Passwords"})
        billing = services.section_save(values={"category": account, "name": "Billing"})
        articles = [
            (restoring, "Restore a deleted file", RESTORE_BODY),
            (
                restoring,
                "Restore to a different computer",
                "Sign in on the new computer and "
                "choose Restore files, then pick the old computer's backup set.",
            ),
            (
                restoring,
                "Why a restore is slow",
                "Large restores read from the cloud; a local destination on a fast drive helps.",
            ),
            (schedules, "Change when backups run", "Open Settings, then Schedule."),
            (passwords, "Reset your password", "Choose Forgot password on the sign-in page."),
            (billing, "Download an invoice", "Invoices are under Account, then Billing."),
        ]
        for section, title, body in articles:
            services.article_save(
                values={"section": section, "title": title, "body": body, "status": "published"},
                author=None,
            )
        services.article_save(
            values={"section": restoring, "title": "Restore secrets (draft)", "body": "restore"},
            author=None,
        )
    return tenant


def _fits_and_passes_axe(page, name):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{name}: {width}px wide"
    results = Axe().run(page)
    serious = [
        (v["id"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    (ARTIFACTS / f"axe-help-{name}.json").write_text(json.dumps(results.response["violations"]))
    assert not serious, f"{name}: {serious}"


def _shot(page, name):
    _fits_and_passes_axe(page, name)
    page.screenshot(path=str(ARTIFACTS / f"help-{name}.png"), full_page=True)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_customer_finds_votes_and_is_offered_articles_on_the_ticket_form(
    live_server, browser_page, help_desk, width
):
    page = browser_page
    w, h = WIDTHS[width]
    page.set_viewport_size({"width": w, "height": h})
    base = f"http://helpjourney.localhost:{live_server.url.rsplit(':', 1)[1]}"

    page.goto(f"{base}/help/")
    page.get_by_role("heading", name="How can we help?").wait_for()
    assert page.get_by_role("link", name="Restoring files").is_visible()
    assert page.get_by_text("Restore secrets (draft)").count() == 0
    _shot(page, f"home-{width}")

    page.get_by_label("Search the help center").fill("restore")
    page.get_by_label("Search the help center").press("Enter")
    page.get_by_text("3 articles for").wait_for()
    assert page.locator(".help-snippet mark").first.inner_text().lower() == "restore"
    assert page.get_by_text("Restore secrets (draft)").count() == 0
    _shot(page, f"search-{width}")

    page.get_by_role("link", name="Restore a deleted file").click()
    page.get_by_role("heading", name="Restore a deleted file", level=1).wait_for()
    votes = page.locator("#votes")
    assert "Nobody has answered yet." in votes.inner_text()
    votes.get_by_role("button", name="Yes").click()
    page.locator("#votes").get_by_text("1 out of 1 found this helpful").wait_for()
    assert page.locator("#vote-yes").get_attribute("aria-pressed") == "true"
    assert "#votes" not in page.url, "htmx swapped the widget in place (no redirect)"
    _shot(page, f"article-{width}")
    with tenant_context(help_desk):
        article = Article.objects.get(title="Restore a deleted file")
        assert ArticleVote.objects.filter(article=article, helpful=True).count() == 1
    # The answer is kept by the browser: a reload shows it, and changing it counts once.
    page.reload()
    page.locator("#votes").get_by_role("button", name="No").click()
    page.locator("#votes").get_by_text("0 out of 1 found this helpful").wait_for()
    assert page.locator("#vote-no").get_attribute("aria-pressed") == "true"

    # Up the breadcrumbs: the section, then its category.
    crumbs = page.get_by_role("navigation", name="Breadcrumb")
    crumbs.get_by_role("link", name="Restoring files").click()
    page.get_by_role("heading", name="Restoring files", level=1).wait_for()
    assert page.get_by_text("Restore secrets (draft)").count() == 0
    _shot(page, f"section-{width}")
    crumbs.get_by_role("link", name="Backups and restores").click()
    page.get_by_role("heading", name="Backups and restores", level=1).wait_for()
    _shot(page, f"category-{width}")

    page.goto(f"{base}/tickets/new/")
    page.get_by_label("Subject").fill("Restore fails on the new laptop")
    suggestions = page.locator("#help-suggestions")
    suggestions.get_by_role("link", name="Restore to a different computer").wait_for()
    assert suggestions.get_attribute("aria-live") == "polite"
    assert suggestions.get_by_role("listitem").count() <= 5
    assert "Restore secrets (draft)" not in suggestions.inner_text()
    href = suggestions.get_by_role("link").first.get_attribute("href")
    assert "ref=ticket-form" in href and "q=Restore%20fails%20on%20the%20new%20laptop" in href
    _shot(page, f"ticket-form-{width}")
    # A short subject takes the suggestions away again.
    page.get_by_label("Subject").fill("Re")
    suggestions.get_by_role("link").first.wait_for(state="detached")

    # Opening a suggestion notes it (in a new tab of the same browser, same session).
    page.get_by_label("Subject").fill("Restore fails on the new laptop")
    with page.context.expect_page() as opened:
        suggestions.get_by_role("link", name="Restore to a different computer").click()
    tab = opened.value
    tab.get_by_role("heading", name="Restore to a different computer", level=1).wait_for()
    tab.close()
    with tenant_context(help_desk):
        (noted,) = Deflection.objects.all()
        assert noted.query == "Restore fails on the new laptop" and noted.ticket is None

    page.goto(f"{base}/support-policy/")
    page.locator("#votes").get_by_role("button", name="Yes").click()
    page.locator("#votes").get_by_text("1 out of 1 found this helpful").wait_for()
    _shot(page, f"policy-{width}")
