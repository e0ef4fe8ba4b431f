"""Agents find published articles from the ticket page and insert a Markdown link to one into
their reply: the search fragment (published, this tenant's, the right absolute address), the
panel on the ticket page, and the real thing in a browser."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from helpcenter import services
from helpcenter.models import Category
from helpcenter.views_manage import markdown_link
from tenants.context import tenant_context
from tenants.models import Membership
from tenants.services import tenant_create
from tests.browser import conftest as browser
from tickets.models import Ticket
from tickets.services import ticket_submit

SEARCH = "/agent/help/search/"
# The browser tests' page (Debian's Chromium), for the test at the end of this module.
browser_page = browser.browser_page


def _publish(world_or_tenant, title, body="How to restore files.", status="published", user=None):
    tenant = getattr(world_or_tenant, "tenant", world_or_tenant)
    with tenant_context(tenant):
        category = Category.objects.first() or services.category_save(values={"name": "Backups"})
        section = category.sections.first() or services.section_save(
            values={"category": category, "name": "Restoring"}
        )
        return services.article_save(
            values={"section": section, "title": title, "body": body, "status": status},
            author=user,
        )


def _fragment(client, query):
    return client.get(SEARCH, {"q": query}, HTTP_HX_REQUEST="true")


@pytest.mark.django_db
def test_the_fragment_offers_published_articles_of_this_tenant_only(world_a, world_b, as_member):
    ours = _publish(world_a, "Restore a deleted file")
    _publish(world_a, "Restore draft, unfinished", status="draft")
    _publish(world_b, f"Bravo restore {world_b.marker}", body=f"restore {world_b.marker}")
    client = as_member(world_a.users["agent"], world_a.tenant)
    response = _fragment(client, "restore")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page  # a fragment for the panel's script
    assert page.count("data-help-insert") == 1
    assert "Restore a deleted file" in page
    assert "Restore draft" not in page and world_b.marker not in page
    url = world_a.tenant.url(f"/help/articles/{ours.slug}/")
    assert url.startswith(("http://alpha.", "https://alpha."))
    assert f'data-markdown="[Restore a deleted file]({url})"' in page
    assert f'href="{url}" target="_blank" rel="noopener"' in page
    assert _fragment(client, world_b.marker).content.decode().count("data-help-insert") == 0


@pytest.mark.django_db
def test_at_most_eight_articles_are_offered(world_a, as_member):
    for index in range(11):
        _publish(world_a, f"Restore guide {index}")
    client = as_member(world_a.users["agent"], world_a.tenant)
    assert _fragment(client, "restore").content.decode().count("data-help-insert") == 8


@pytest.mark.django_db
def test_the_link_text_keeps_the_title_whatever_it_contains(world_a, as_member):
    article = _publish(world_a, 'Restore [beta] *fast* <b>"now"</b> \\o/')
    client = as_member(world_a.users["agent"], world_a.tenant)
    page = _fragment(client, "restore").content.decode()
    url = world_a.tenant.url(f"/help/articles/{article.slug}/")
    expected = markdown_link(article.title, url)
    assert expected == f'[Restore \\[beta\\] \\*fast\\* <b>"now"</b> \\\\o/]({url})'
    assert 'data-markdown="[Restore \\[beta\\] \\*fast\\* &lt;b&gt;&quot;now&quot;' in page
    assert "<b>" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "   ", "\x01\x02", "a" * 5000, "١٢", "<script>", "' OR 1=1"])
def test_any_query_answers_a_fragment(world_a, as_member, query):
    _publish(world_a, "Restore")
    client = as_member(world_a.users["agent"], world_a.tenant)
    response = _fragment(client, query)
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()


@pytest.mark.django_db
def test_customers_and_strangers_cannot_search_the_staff_endpoint(world_a, world_b, as_member):
    _publish(world_a, "Restore")
    customer = as_member(world_a.users["customer"], world_a.tenant)
    assert _fragment(customer, "restore").status_code == 403
    stranger = as_member(world_b.users["agent"], world_b.tenant)
    response = stranger.get(SEARCH, {"q": "restore"}, HTTP_HOST=world_a.host)
    assert response.status_code == 302 and "Restore" not in response.content.decode()
    anonymous = Client(HTTP_HOST=world_a.host)
    assert anonymous.get(SEARCH, {"q": "restore"}).status_code == 302


@pytest.mark.django_db
def test_without_javascript_the_search_is_a_page_with_links_to_copy(world_a, as_member):
    article = _publish(world_a, "Restore a deleted file")
    client = as_member(world_a.users["agent"], world_a.tenant)
    page = client.get(SEARCH, {"q": "restore"}).content.decode()
    url = world_a.tenant.url(f"/help/articles/{article.slug}/")
    assert "<html" in page and "Find a help-center article" in page
    assert f'value="[Restore a deleted file]({url})"' in page and "data-help-insert" not in page


@pytest.mark.django_db
def test_the_ticket_page_has_the_panel_unless_the_ticket_is_closed(world_a, as_member):
    client = as_member(world_a.users["agent"], world_a.tenant)
    page = client.get(f"/agent/tickets/{world_a.ticket.number}/").content.decode()
    assert "data-help-panel" in page and 'action="/agent/help/search/"' in page
    assert "js/help-insert.js" in page
    # The reply box the script inserts into.
    assert re.search(r'id="reply".*<textarea name="body"', page, re.S)
    with tenant_context(world_a.tenant):
        now = timezone.now()
        Ticket.objects.filter(pk=world_a.ticket.pk).update(
            status="closed", solved_at=now, closed_at=now
        )
    page = client.get(f"/agent/tickets/{world_a.ticket.number}/").content.decode()
    assert "data-help-panel" not in page


# --- In a browser ---------------------------------------------------------------------------

PASSWORD = "a-long-browser-password-42"


def test_insert_link_puts_the_markdown_link_at_the_cursor(
    live_server, transactional_db, browser_page, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tenant = tenant_create(slug="hcins", name="Insert Support")
    User = get_user_model()
    with tenant_context(tenant):
        agent = User.objects.create_user(email="agent@hcins.example", password=PASSWORD, name="Ana")
        EmailAddress.objects.create(user=agent, email=agent.email, verified=True, primary=True)
        Membership.objects.create(user=agent, role="agent")
        ticket = ticket_submit(
            requester_email="cara@example.com",
            requester=None,
            subject="Cannot restore my files",
            description="The restore stops at 40%.",
        )
    article = _publish(tenant, "Restore a deleted file", body="Open the app, pick the file.")
    _publish(tenant, "Restore drafts are secret", status="draft")
    url = tenant.url(f"/help/articles/{article.slug}/")
    link = f"[Restore a deleted file]({url})"

    base = f"http://hcins.localhost:{live_server.url.rsplit(':', 1)[1]}"
    page = browser_page
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_login").fill(agent.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto(f"{base}/agent/tickets/{ticket.number}/")
    reply = page.locator("#reply textarea[name=body]")
    reply.fill("Hello Cara, this explains it:  Best, Ana")

    panel = page.locator("[data-help-panel]")
    panel.get_by_role("searchbox", name="Search published articles").fill("restore")
    insert = panel.get_by_role("button", name="Insert link to “Restore a deleted file”")
    insert.wait_for()
    assert panel.get_by_role("button", name=re.compile("Insert link")).count() == 1  # no draft
    open_link = panel.get_by_role("link", name="Open “Restore a deleted file” in a new tab")
    assert open_link.get_attribute("href") == url
    assert open_link.get_attribute("target") == "_blank"

    # The cursor after "this explains it: ": the link goes there, not at the end.
    reply.click()
    reply.evaluate("box => box.setSelectionRange(30, 30)")
    insert.click()
    assert reply.input_value() == f"Hello Cara, this explains it: {link} Best, Ana"
    assert page.evaluate("document.activeElement.name") == "body"
    panel.get_by_text("inserted in your reply").wait_for()
    page.screenshot(path=str(browser.ARTIFACTS / "help-manage-insert.png"), full_page=True)

    # Keyboard only: type in the search box, Down arrow to the first result, Enter.
    reply.fill("See ")
    reply.press("End")
    search_box = panel.get_by_role("searchbox", name="Search published articles")
    search_box.focus()
    search_box.fill("deleted file")
    search_box.press("Enter")
    panel.locator('[data-query="deleted file"] [data-help-insert]').wait_for()
    search_box.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.title") == "Restore a deleted file"
    page.keyboard.press("Enter")
    assert reply.input_value() == f"See {link}"
