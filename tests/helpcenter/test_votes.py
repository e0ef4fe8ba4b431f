""" "Was this article helpful?": one answer per signed-in person or per browser (a signed
cookie), changeable, counted exactly, shown as "N out of M found this helpful" on the article
page and at the end of the support policy."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory

from helpcenter import readers, selectors, services
from helpcenter.models import Article, ArticleVote
from tenants.context import tenant_context
from tenants.models import Membership
from tenants.services import tenant_create
from tests.concurrency import at_once
from tests.conftest import login_client
from tests.helpcenter.public_helpers import article, browser, page, structure


@pytest.fixture
def restore(world_a):
    _category, section = structure(world_a)
    return article(world_a, "Restore a deleted file", "Pick the file.", section=section)


def vote(client, slug, answer, **extra):
    return client.post(f"/help/articles/{slug}/vote/", {"helpful": answer}, **extra)


def rows(world, item):
    with tenant_context(world.tenant):
        return sorted(
            ArticleVote.objects.filter(article_id=item.pk).values_list("voter", "helpful")
        )


def widget(body: str) -> str:
    return body.split('id="votes"', 1)[1].split("</section>", 1)[0]


@pytest.mark.django_db
def test_a_browsers_first_vote_is_counted_and_remembered_in_a_signed_cookie(world_a, restore):
    client = browser(world_a)
    response = vote(client, restore.slug, "yes")
    assert response.status_code == 302
    assert response["Location"] == f"/help/articles/{restore.slug}/#votes"
    cookie = response.cookies[readers.VOTER_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) >= 365 * 24 * 3600
    reader = RequestFactory().get("/", HTTP_COOKIE=f"{readers.VOTER_COOKIE}={cookie.value}")
    key = readers.voter_key(reader)
    assert key and key in cookie.value
    assert rows(world_a, restore) == [(f"browser:{key}", True)]
    shown = widget(page(client, f"/help/articles/{restore.slug}/"))
    assert "1 out of 1 found this helpful" in shown
    assert "You answered “Yes”" in shown
    assert re.search(r'id="vote-yes"[^>]+is-chosen" aria-pressed="true"', shown)
    assert re.search(r'id="vote-no"[^>]+help-vote" aria-pressed="false"', shown)


@pytest.mark.django_db
def test_voting_again_changes_the_answer_and_still_counts_once(world_a, restore):
    client = browser(world_a)
    vote(client, restore.slug, "yes")
    vote(client, restore.slug, "no")
    assert [helpful for _voter, helpful in rows(world_a, restore)] == [False]
    shown = widget(page(client, f"/help/articles/{restore.slug}/"))
    assert "0 out of 1 found this helpful" in shown and "You answered “No”" in shown


@pytest.mark.django_db
def test_two_browsers_are_two_voters_and_a_fresh_browser_has_not_voted(world_a, restore):
    vote(browser(world_a), restore.slug, "yes")
    vote(browser(world_a), restore.slug, "no")
    assert len(rows(world_a, restore)) == 2
    shown = widget(page(browser(world_a), f"/help/articles/{restore.slug}/"))
    assert "1 out of 2 found this helpful" in shown and "You answered" not in shown


@pytest.mark.django_db
def test_a_signed_in_member_counts_once_from_any_browser(world_a, restore):
    customer = world_a.users["customer"]
    laptop = login_client(customer, world_a.tenant)
    phone = login_client(customer, world_a.tenant)
    vote(laptop, restore.slug, "yes")
    vote(phone, restore.slug, "no")
    assert rows(world_a, restore) == [(f"user:{customer.pk}", False)]
    # The member's answer shows on the other browser too, and no browser cookie is needed.
    shown = widget(page(laptop, f"/help/articles/{restore.slug}/"))
    assert "0 out of 1 found this helpful" in shown and "You answered “No”" in shown
    assert readers.VOTER_COOKIE not in laptop.cookies
    # Another member and an anonymous browser are other voters.
    vote(login_client(world_a.users["agent"], world_a.tenant), restore.slug, "yes")
    vote(browser(world_a), restore.slug, "yes")
    assert len(rows(world_a, restore)) == 3
    with tenant_context(world_a.tenant):
        assert ArticleVote.objects.get(voter=f"user:{customer.pk}").user == customer


@pytest.mark.django_db
def test_someone_signed_in_without_joining_votes_as_their_browser(world_a, restore):
    stranger = get_user_model().objects.create_user(email="guest@example.net", password="x" * 20)
    client = login_client(stranger, world_a.tenant)
    vote(client, restore.slug, "yes")
    ((voter, _helpful),) = rows(world_a, restore)
    assert voter.startswith("browser:")


@pytest.mark.django_db
def test_a_tampered_cookie_is_ignored(world_a, restore):
    first = browser(world_a)
    vote(first, restore.slug, "yes")
    signed = first.cookies[readers.VOTER_COOKIE].value
    key, signature = signed.split(":", 1)
    # Someone edits the key (to take over another browser's vote) or forges one outright.
    for forged in [
        f"{key[:-1]}{'A' if key[-1] != 'A' else 'B'}:{signature}",
        f"{key}:bad",
        key,
        "x" * 40,
    ]:
        client = browser(world_a)
        client.cookies[readers.VOTER_COOKIE] = forged
        shown = widget(page(client, f"/help/articles/{restore.slug}/"))
        assert "You answered" not in shown, forged
        response = vote(client, restore.slug, "no")
        # A new, properly signed key replaces the forged one.
        assert response.cookies[readers.VOTER_COOKIE].value not in (forged, signed)
    voters = dict(rows(world_a, restore))
    assert voters[f"browser:{key}"] is True, "the first browser's answer was not touched"
    assert len(voters) == 5


@pytest.mark.django_db
def test_an_htmx_vote_answers_with_the_updated_widget(world_a, restore):
    client = browser(world_a)
    response = vote(client, restore.slug, "yes", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card help-votes" id="votes"')
    assert "1 out of 1 found this helpful" in body and "You answered “Yes”" in body
    assert readers.VOTER_COOKIE in response.cookies


@pytest.mark.django_db
def test_votes_need_the_csrf_token(world_a, restore):
    client = Client(HTTP_HOST=world_a.host, enforce_csrf_checks=True)
    assert vote(client, restore.slug, "yes").status_code == 403
    body = page(client, f"/help/articles/{restore.slug}/")
    token = client.cookies["csrftoken"].value
    assert 'name="csrfmiddlewaretoken"' in widget(body)
    response = client.post(
        f"/help/articles/{restore.slug}/vote/", {"helpful": "yes", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302 and len(rows(world_a, restore)) == 1


@pytest.mark.django_db
def test_a_draft_takes_no_votes(world_a, restore):
    draft = article(world_a, "Draft", "x", section=restore.section, status="draft")
    assert vote(browser(world_a), draft.slug, "yes").status_code == 404
    staff = login_client(world_a.users["manager"], world_a.tenant)
    assert vote(staff, draft.slug, "yes").status_code == 404
    assert rows(world_a, draft) == []


@pytest.mark.django_db
def test_the_support_policy_page_ends_with_the_same_widget_and_counts(world_a, restore):
    client = browser(world_a)
    before = page(client, "/support-policy/")
    assert "Was this page helpful?" in widget(before) and "Nobody has answered yet." in before
    assert 'action="/help/articles/support-policy/vote/"' in before
    response = vote(client, "support-policy", "yes")
    assert response.status_code == 302 and response["Location"] == "/support-policy/#votes"
    vote(browser(world_a), "support-policy", "no")
    vote(login_client(world_a.users["customer"], world_a.tenant), "support-policy", "yes")
    shown = widget(page(client, "/support-policy/"))
    assert "2 out of 3 found this helpful" in shown and "You answered “Yes”" in shown
    # The help center's home shows the policy as an article card with the same count.
    home = page(browser(world_a), "/help/")
    card = home.split('class="card help-policy-card"', 1)[1].split("</a>", 1)[0]
    assert "2 out of 3 found this helpful" in card
    with tenant_context(world_a.tenant):
        policy = Article.objects.get(kind=Article.Kind.POLICY)
        assert policy.slug == "support-policy" and policy.is_published
        assert selectors.tally(policy) == selectors.Tally(2, 3, None)
    # An article's vote and the policy's are apart.
    assert rows(world_a, restore) == []


@pytest.mark.django_db
def test_the_policy_article_is_saved_by_its_first_vote_only(world_a):
    page(browser(world_a), "/support-policy/")
    with tenant_context(world_a.tenant):
        assert not Article.objects.filter(kind=Article.Kind.POLICY).exists()
    vote(browser(world_a), "support-policy", "yes")
    vote(browser(world_a), "support-policy", "yes")
    with tenant_context(world_a.tenant):
        assert Article.objects.filter(kind=Article.Kind.POLICY).count() == 1


# --- Concurrency (PostgreSQL) ----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_on_one_article_stay_exact_with_one_row_per_voter():
    tenant = tenant_create(slug="votes-race", name="Votes Race")
    with tenant_context(tenant):
        member = get_user_model().objects.create_user(email="m@race.example", password="x" * 20)
        Membership.objects.create(user=member, role="customer")
        category = services.category_save(values={"name": "Race"})
        section = services.section_save(values={"category": category, "name": "Race"})
        target = services.article_save(
            values={"section": section, "title": "Race", "status": "published"}, author=None
        )
    browsers = [(f"key-{n:02d}-{'x' * 20}", n % 3 != 0) for n in range(16)]

    def browser_vote(key, helpful):
        def call():
            with tenant_context(tenant):
                services.vote(article=target, helpful=helpful, voter_key=key)

        return call

    def member_vote(helpful):
        def call():
            with tenant_context(tenant):
                services.vote(article=target, helpful=helpful, user=member)

        return call

    # Every browser votes twice at once (same answer), the member six times at once (mixed).
    calls = [browser_vote(k, h) for k, h in browsers] * 2 + [
        member_vote(n % 2 == 0) for n in range(6)
    ]
    errors = at_once(calls)
    assert not errors, errors
    with tenant_context(tenant):
        voters = list(ArticleVote.objects.filter(article=target).values_list("voter", flat=True))
        member_helpful = ArticleVote.objects.get(voter=f"user:{member.pk}").helpful
        counted = selectors.tally(target)
    assert len(voters) == len(set(voters)) == len(browsers) + 1
    expected_helpful = sum(h for _k, h in browsers) + member_helpful
    assert (counted.helpful, counted.total) == (expected_helpful, len(browsers) + 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_votes_on_the_support_policy_make_one_policy_article():
    tenant = tenant_create(slug="policy-race", name="Policy Race")

    def first_vote(n):
        def call():
            with tenant_context(tenant):
                services.vote(
                    article=selectors.policy_article(),
                    helpful=True,
                    voter_key=f"k{n:02d}{'y' * 20}",
                )

        return call

    errors = at_once([first_vote(n) for n in range(8)])
    assert not errors, errors
    with tenant_context(tenant):
        (policy,) = Article.objects.filter(kind=Article.Kind.POLICY)
        assert selectors.tally(policy) == selectors.Tally(8, 8, None)
