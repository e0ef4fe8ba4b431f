"""The customer-facing help center: home, categories, sections, articles, search, votes, and
the suggestions the ticket form shows while a customer types the subject (deflection).

Only published articles reach customers, all through ``helpcenter.selectors`` and
``helpcenter.search``; staff may preview a draft on its page. Changes (views, votes,
deflection notes) go through ``helpcenter.services``.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.http import require_POST, require_safe

from core.errors import DomainError
from desk.policy import contribution
from helpcenter import readers, search, selectors, services
from helpcenter.forms import PublicSearchForm, PublicVoteForm
from helpcenter.models import Article

RESULTS_MAX = 20
HOME_LIST_MAX = 6
CATEGORY_SECTION_MAX = 6
SUGGESTIONS_MAX = 5
# Shorter subjects ("Hi", "?") match everything or nothing: no suggestions until then.
SUGGEST_MIN_CHARS = 4
SUGGEST_MAX_WORDS = 6
# Words that say nothing about the problem; a subject is matched word by word without them.
_FILLER_WORDS = (
    "the and for with from that this have has had not can cannot cant does doesnt dont how what "
    "when where why who are was were will would should could into onto about after before again "
    "still just any some get got help please issue problem question my our your its it's i'm im"
)
_FILLER = frozenset(_FILLER_WORDS.split())
_WORD = re.compile(r"\w+")
TICKET_FORM_REF = "ticket-form"


def _search_form(request) -> PublicSearchForm:
    return PublicSearchForm(request.GET)


def _page(request, template: str, context: dict):
    """A help-center page: its search box, and the chat offer of its "Still need help?" card."""
    context.setdefault("form", PublicSearchForm())
    return render(request, template, {"chat": contribution("chat"), **context})


def _visible_categories():
    """Categories with the sections that have something to read (drafts count for nothing)."""
    shown = []
    for category in selectors.categories_with_sections():
        sections = [s for s in category.sections.all() if s.published_count]
        if sections:
            shown.append((category, sections))
    return shown


@require_safe
def home(request):
    published = selectors.published().select_related("section__category")
    return _page(
        request,
        "helpcenter/home.html",
        {
            "center": selectors.help_center_for_reading(),
            "categories": _visible_categories(),
            "policy": selectors.policy_article(),
            "popular": list(published.order_by("-view_count", "title")[:HOME_LIST_MAX]),
            "recent": list(published.order_by("-updated_at", "title")[:HOME_LIST_MAX]),
        },
    )


@require_safe
def category(request, category_slug: str):
    found = selectors.category(category_slug)
    if found is None:
        raise Http404("No such category.")
    sections = []
    for section in found.sections.all():
        articles = selectors.section_articles(section, limit=CATEGORY_SECTION_MAX + 1)
        if articles:
            sections.append(
                (section, articles[:CATEGORY_SECTION_MAX], len(articles) > CATEGORY_SECTION_MAX)
            )
    return _page(
        request,
        "helpcenter/category.html",
        {"category": found, "sections": sections},
    )


@require_safe
def section(request, category_slug: str, section_slug: str):
    found_category = selectors.category(category_slug)
    found = selectors.section(found_category, section_slug) if found_category else None
    if found is None:
        raise Http404("No such section.")
    return _page(
        request,
        "helpcenter/section.html",
        {
            "category": found_category,
            "section": found,
            "articles": selectors.section_articles(found),
            "siblings": list(found_category.sections.all()),
        },
    )


@require_safe
def article(request, slug: str):
    if slug == selectors.POLICY_SLUG:
        return redirect("portal:support_policy")
    staff = readers.is_staff(request)
    found = selectors.article_for_reader(slug, staff=staff)
    if found is None:
        raise Http404("No such article.")
    if not staff and request.method == "GET":
        services.view_recorded(article=found)
        if request.GET.get("ref") == TICKET_FORM_REF:
            # Opened from the ticket form's suggestions: if this browser submits a ticket
            # anyway, the receiver in helpcenter.contributions marks the note with it.
            services.deflection_record(
                article=found,
                query=PublicSearchForm(request.GET).query,
                visitor_key=readers.visitor_key(request),
            )
    in_section = selectors.section_articles(found.section) if found.section_id else []
    shown = {a.pk for a in in_section}
    related = [a for a in selectors.related_articles(found, limit=10) if a.pk not in shown]
    return _page(
        request,
        "helpcenter/article.html",
        {
            "article": found,
            "in_section": in_section,
            "related": related[:5],
        },
    )


@require_POST
def vote(request, slug: str):
    """One reader's "Was this article helpful?" (the support policy's too): set or changed.

    Without JavaScript the form posts and comes back to the widget (POST-redirect-GET); with
    htmx the widget is swapped in place."""
    if slug == selectors.POLICY_SLUG:
        found = selectors.policy_article()
    else:
        found = selectors.article_for_reader(slug, staff=False)
    if found is None:
        raise Http404("No such article.")
    form = PublicVoteForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(
            "Answer “yes” or “no”.", content_type="text/plain; charset=utf-8"
        )
    user = readers.voting_user(request)
    key = "" if user is not None else readers.voter_key(request) or readers.new_key()
    try:
        found = services.vote(
            article=found, helpful=form.cleaned_data["helpful"], user=user, voter_key=key
        ).article
    except DomainError as error:
        messages.error(request, error.message)
    if request.headers.get("HX-Request") == "true":
        # The widget names this reader's answer: a browser voting for the first time has its
        # key only in this response's cookie, so it is passed on explicitly.
        voter = services.voter_of(user=user, voter_key=key)
        response = render(
            request, "helpcenter/_votes.html", {"article": found, "help_voter": voter}
        )
    else:
        where = (
            reverse("portal:support_policy")
            if found.is_policy
            else reverse("help:article", kwargs={"slug": found.slug})
        )
        response = redirect(f"{where}#votes")
    if key:
        # (Re)issued on every vote: the two years run from the reader's latest answer.
        readers.remember_voter(response, key)
    return response


@require_safe
def search_results(request):
    form = _search_form(request)
    query = form.query
    hits = search.search(query, limit=RESULTS_MAX) if query else []
    return _page(
        request,
        "helpcenter/search.html",
        {"form": form, "query": query, "hits": hits, "limited": len(hits) >= RESULTS_MAX},
    )


def _subject_words(query: str) -> list[str]:
    words = []
    for word in _WORD.findall(query.lower()):
        if len(word) >= 3 and word not in _FILLER and not word.isdigit() and word not in words:
            words.append(word)
    return words[:SUGGEST_MAX_WORDS]


def suggestions(query: str) -> list[Article]:
    """Published articles for a ticket subject, best first: those matching every word, then
    those matching the most of its meaningful words (a subject is a sentence, not a query)."""
    if len(query) < SUGGEST_MIN_CHARS:
        return []
    words = _subject_words(query)
    if not words:
        return []
    found: dict[int, Article] = {}
    score: dict[int, int] = {}
    for hit in search.search(query, limit=SUGGESTIONS_MAX):
        found[hit.article.pk] = hit.article
        score[hit.article.pk] = len(words) + 1
    if not found or (len(found) < SUGGESTIONS_MAX and len(words) > 1):
        for word in words:
            for hit in search.search(word, limit=SUGGESTIONS_MAX * 2):
                found.setdefault(hit.article.pk, hit.article)
                score[hit.article.pk] = score.get(hit.article.pk, 0) + 1
    ranked = sorted(found, key=lambda pk: -score[pk])  # stable: search rank breaks ties
    return [found[pk] for pk in ranked if not found[pk].is_policy][:SUGGESTIONS_MAX]


@require_safe
def suggest(request):
    """The ticket form's suggestions for the subject typed so far: a small HTML fragment."""
    query = _search_form(request).query
    return render(
        request,
        "helpcenter/_suggestions.html",
        {"articles": suggestions(query), "query": query, "ref": TICKET_FORM_REF},
    )


SITEMAP_LIMIT = 50_000  # the sitemap protocol's limit per file


@require_safe
def sitemap(request):
    """``/help/sitemap.xml``: the help center's public pages for search engines (published
    articles, their sections and categories, the policy page); never a draft."""
    base = f"{request.scheme}://{request.get_host()}"
    entries = [(reverse("help:home"), None), (reverse("portal:support_policy"), None)]
    for category in selectors.categories_with_sections():
        entries.append((reverse("help:category", args=[category.slug]), None))
        for section in category.sections.all():
            if section.published_count:
                entries.append((reverse("help:section", args=[category.slug, section.slug]), None))
    for slug, updated in selectors.published().values_list("slug", "updated_at")[:SITEMAP_LIMIT]:
        entries.append((reverse("help:article", args=[slug]), updated))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    lines.append('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">')
    for path, updated in entries:
        lastmod = f"<lastmod>{updated.date().isoformat()}</lastmod>" if updated else ""
        lines.append(f"<url><loc>{escape(base + path)}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    return HttpResponse("\n".join(lines), content_type="application/xml")
