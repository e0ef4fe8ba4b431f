"""The help center's staff pages, under ``/agent/help/``: managers and admins write, structure
and publish articles and read the report; every agent searches published articles from the
ticket page and inserts links to them in a reply.

Thin views: forms (``helpcenter.manage_forms``) validate, ``helpcenter.services`` changes,
``helpcenter.report`` and ``helpcenter.search`` read. A refusal from a service
(``core.errors.DomainError``) becomes a message on the page, answered with its status.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.errors import DomainError
from core.range_forms import days_form
from helpcenter import report, search, selectors, services
from helpcenter.manage_forms import (
    ARTICLE_ACTIONS,
    ArticleForm,
    CategoryForm,
    HelpCenterForm,
    SectionForm,
)
from helpcenter.models import Article, Category, Section
from tenants.access import manager_required, staff_required
from tenants.context import current_tenant
from tickets.rendering import render as render_markdown

STATUS_FILTERS = {"": "All", "published": "Published", "draft": "Drafts"}
SEARCH_LIMIT = 8  # results offered in the ticket page's panel
MOVES = {"up": -1, "down": 1}


# --- Links to the public pages --------------------------------------------------------------


def public_path(article: Article) -> str:
    """The article's public path (the support policy has its own page)."""
    if article.is_policy:
        return reverse("portal:support_policy")
    try:
        return reverse("help:article", kwargs={"slug": article.slug})
    except NoReverseMatch:  # the public pages name it differently: the documented address
        return f"/help/articles/{article.slug}/"


def public_url(article: Article) -> str:
    """The address customers open, on the tenant's own host (as in emails)."""
    return current_tenant().url(public_path(article))


def markdown_link(title: str, url: str) -> str:
    """``[Title](url)``, the title's Markdown punctuation escaped so it stays the link's text."""
    text = "".join(f"\\{ch}" if ch in "\\[]*_`" else ch for ch in " ".join(title.split()))
    return f"[{text}]({url})"


# --- Articles and settings ------------------------------------------------------------------


def _articles_page(request, status: str, settings_form: HelpCenterForm, *, code: int = 200):
    overview = report.article_overview(status)
    return render(
        request,
        "helpcenter/manage/articles.html",
        {
            "overview": overview,
            "status": status,
            "filters": [
                (key, label, overview.counts.get(key, 0)) for key, label in STATUS_FILTERS.items()
            ],
            "settings_form": settings_form,
            "center": selectors.help_center(),
        },
        status=code,
    )


def _settings_form(data=None) -> HelpCenterForm:
    center = selectors.help_center()
    return HelpCenterForm(data, initial={"title": center.title, "language": center.language})


@manager_required
@require_safe
def articles(request):
    status = request.GET.get("status", "")
    if status not in STATUS_FILTERS:
        messages.error(request, "Unknown filter: showing every article.")
        return _articles_page(request, "", _settings_form(), code=400)
    return _articles_page(request, status, _settings_form())


@manager_required
@require_POST
def help_settings(request):
    form = _settings_form(request.POST)
    if not form.is_valid():
        return _articles_page(request, "", form, code=400)
    services.help_center_update(**form.cleaned_data)
    messages.success(request, "Help center settings saved.")
    return redirect("agent:help")


@manager_required
@require_http_methods(["GET", "POST"])
def article_edit(request, pk: int | None = None):
    """The editor: Preview (renders, saves nothing), Save, Publish, Unpublish."""
    article = get_object_or_404(Article.objects.select_related("author"), pk=pk) if pk else None
    if article is not None and article.is_policy:
        return _policy_page(request, article)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if request.method == "POST" and action not in ARTICLE_ACTIONS:
        messages.error(request, "Choose Preview, Save or Publish.")
        action = ""
    initial = {}
    if article is None and request.method == "GET":
        section = request.GET.get("section", "")
        initial = {"section": section} if section.isascii() and section.isdigit() else {}
    form = ArticleForm(
        request.POST if action else None, article=article, action=action, initial=initial
    )
    preview = None
    code = 200
    if action and form.is_valid():
        if action == "preview":
            preview = render_markdown(form.cleaned_data["body"])
        else:
            status = ARTICLE_ACTIONS[action] or (
                article.status if article else Article.Status.DRAFT
            )
            try:
                saved = services.article_save(
                    article=article,
                    values={**form.cleaned_data, "status": status},
                    author=request.user,
                )
            except DomainError as error:
                form.add_error(None, str(error))
                code = error.status
            else:
                messages.success(request, _saved_message(action, saved))
                return redirect("agent:help_article", saved.pk)
    elif request.method == "POST":
        code = 400
    return render(
        request,
        "helpcenter/manage/article.html",
        {
            "form": form,
            "article": article,
            "preview": preview,
            "public_url": public_url(article) if article is not None else "",
            "tally": selectors.tally(article) if article is not None else None,
        },
        status=code,
    )


def _saved_message(action: str, article: Article) -> str:
    if action == "publish":
        return f"Published. Readers find “{article.title}” in the help center and in search."
    if action == "unpublish":
        return "Unpublished: the article is a draft again, hidden from readers and search."
    return "Saved." if article.is_published else "Draft saved. Readers do not see it yet."


def _policy_page(request, article: Article):
    """The support policy is written from the desk's settings: a pointer there, no editor."""
    return render(
        request,
        "helpcenter/manage/policy.html",
        {"article": article, "tally": selectors.tally(article)},
        status=409 if request.method != "GET" else 200,
    )


@manager_required
@require_http_methods(["GET", "POST"])
def article_delete(request, pk: int):
    article = get_object_or_404(Article.objects, pk=pk)
    if article.is_policy:
        return _policy_page(request, article)
    if request.method == "POST":
        try:
            services.article_delete(article=article)
        except DomainError as error:
            messages.error(request, str(error))
            return redirect("agent:help_article", article.pk)
        messages.success(request, f"Deleted “{article.title}”.")
        return redirect("agent:help")
    return render(
        request,
        "helpcenter/manage/article_delete.html",
        {"article": article, "tally": selectors.tally(article)},
    )


# --- Categories and sections ----------------------------------------------------------------


def _structure_page(request, *, category_form=None, section_form=None, code=200):
    categories = report.structure()
    if category_form is None:
        category_form = CategoryForm(prefix="category")
    if section_form is None:
        section_form = SectionForm(prefix="section", categories=categories)
    return render(
        request,
        "helpcenter/manage/structure.html",
        {
            "categories": categories,
            "category_form": category_form,
            "section_form": section_form,
        },
        status=code,
    )


@manager_required
@require_http_methods(["GET", "POST"])
def structure(request):
    """The categories and their sections; POST adds one (``form`` says which)."""
    if request.method == "GET":
        return _structure_page(request)
    kind = request.POST.get("form")
    if kind == "category":
        form = CategoryForm(request.POST, prefix="category")
        if form.is_valid():
            category = services.category_save(values=form.cleaned_data)
            messages.success(request, f"Category “{category.name}” added.")
            return redirect("agent:help_structure")
        return _structure_page(request, category_form=form, code=400)
    if kind == "section":
        form = SectionForm(request.POST, prefix="section")
        if form.is_valid():
            section = services.section_save(values=form.cleaned_data)
            messages.success(request, f"Section “{section.name}” added to {section.category}.")
            return redirect("agent:help_structure")
        return _structure_page(request, section_form=form, code=400)
    messages.error(request, "Choose whether to add a category or a section.")
    return _structure_page(request, code=400)


def _structure_change(request, item, form, save, delete):
    """Rename (save), move up or down, or delete one category or section. ``form`` makes its
    form from (data, initial); ``save`` takes the cleaned values; ``delete`` takes nothing."""
    action = request.POST.get("action", "save") if request.method == "POST" else ""
    initial = {"name": item.name, "description": item.description}
    if isinstance(item, Section):
        initial["category"] = str(item.category_id)
    bound = form(request.POST if action == "save" else None, initial)
    code = 200
    if action in MOVES:
        try:
            services.structure_move(item=item, offset=MOVES[action])
        except DomainError as error:
            messages.error(request, str(error))
        # Back to the item that moved, so that the next move is one more click away.
        anchor = f"hc-cat-{item.pk}" if isinstance(item, Category) else f"hc-section-{item.pk}"
        return redirect(f"{reverse('agent:help_structure')}#{anchor}")
    if action == "delete":
        try:
            delete()
        except DomainError as error:
            messages.error(request, str(error))
            code = error.status
        else:
            messages.success(request, f"Deleted “{item.name}”.")
            return redirect("agent:help_structure")
    elif action == "save":
        if bound.is_valid():
            saved = save(bound.cleaned_data)
            messages.success(request, f"Saved “{saved.name}”.")
            return redirect("agent:help_structure")
        code = 400
    elif action:
        messages.error(request, "Choose Save, Move or Delete.")
        code = 400
    return render(
        request,
        "helpcenter/manage/structure_edit.html",
        {
            "item": item,
            "kind": "category" if isinstance(item, Category) else "section",
            "form": bound,
            "held": report.articles_held(item),
        },
        status=code,
    )


@manager_required
@require_http_methods(["GET", "POST"])
def category_edit(request, pk: int):
    category = get_object_or_404(Category.objects, pk=pk)
    return _structure_change(
        request,
        category,
        lambda data, initial: CategoryForm(data, prefix="edit", initial=initial, category=category),
        lambda values: services.category_save(category=category, values=values),
        lambda: services.category_delete(category=category),
    )


@manager_required
@require_http_methods(["GET", "POST"])
def section_edit(request, pk: int):
    section = get_object_or_404(Section.objects.select_related("category"), pk=pk)
    return _structure_change(
        request,
        section,
        lambda data, initial: SectionForm(data, prefix="edit", initial=initial, section=section),
        lambda values: services.section_save(section=section, values=values),
        lambda: services.section_delete(section=section),
    )


# --- Agents: find an article, insert a link -------------------------------------------------


@staff_required
@require_safe
def article_search(request):
    """Published articles for the ticket page's panel: a fragment for its script (HX-Request),
    a whole page without JavaScript. Drafts are never offered (search finds published only)."""
    query = search.clean_query(request.GET.get("q", ""))
    hits = search.search(query, limit=SEARCH_LIMIT) if query else []
    results = []
    for hit in hits:
        url = public_url(hit.article)
        results.append({"hit": hit, "url": url, "markdown": markdown_link(hit.article.title, url)})
    context = {"query": query, "results": results, "insert": True}
    if request.headers.get("HX-Request"):
        return render(request, "helpcenter/manage/_search_results.html", context)
    return render(request, "helpcenter/manage/search.html", context)


# --- Report ---------------------------------------------------------------------------------


@manager_required
@require_safe
def help_report(request):
    form = days_form(
        report.PERIODS, report.DEFAULT_DAYS, request.GET, label="Suggestions opened in"
    )
    if not form.is_valid():
        return render(request, "helpcenter/manage/report.html", {"form": form}, status=400)
    figures = report.help_report(form.cleaned_data["days"], timezone.now())
    return render(request, "helpcenter/manage/report.html", {"form": form, "report": figures})
