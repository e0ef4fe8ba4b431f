"""Every change to the help center: structure, articles (draft, publish), votes, views and
deflections. Views and the benchmark call these; nothing writes the models directly."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from core.errors import Conflict, InvalidInput
from helpcenter import search
from helpcenter.models import Article, ArticleVote, Category, Deflection, HelpCenter, Section
from helpcenter.selectors import POLICY_SLUG, help_center
from tickets.rendering import render

RESERVED_SLUGS = {"sitemap-xml", "support-policy", "search", "suggest", "articles", "new"}
# A suggestion opened this long before a ticket is submitted counts as not having deflected it.
DEFLECTION_WINDOW = timedelta(hours=2)


def unique_slug(model, wanted: str, *, instance=None, fallback: str = "item") -> str:
    base = slugify(wanted)[:70].strip("-") or fallback
    if base in RESERVED_SLUGS:
        base = f"{base}-1"
    slug, number = base, 2
    others = model.objects.all()
    if instance is not None and instance.pk:
        others = others.exclude(pk=instance.pk)
    while others.filter(slug=slug).exists():
        slug = f"{base}-{number}"
        number += 1
    return slug


def _save_with_slug(obj) -> None:
    """Save; when a concurrent save took the same address between our check and our insert,
    take a fresh suffix instead of failing (the unique constraint decides)."""
    for _attempt in range(3):
        try:
            with transaction.atomic():
                obj.save()
            return
        except IntegrityError:
            if not obj.slug:
                raise
            obj.slug = f"{obj.slug[:110]}-{secrets.token_hex(2)}"
    obj.save()


@transaction.atomic
def category_save(*, category: Category | None = None, values: dict) -> Category:
    category = category or Category()
    for field in ("name", "description", "position"):
        if field in values:
            setattr(category, field, values[field])
    # Once made, an address stays (links to it are out there) unless a new one is asked for.
    category.slug = unique_slug(
        Category,
        values.get("slug") or category.slug or category.name,
        instance=category,
        fallback="category",
    )
    _save_with_slug(category)
    return category


@transaction.atomic
def section_save(*, section: Section | None = None, values: dict) -> Section:
    section = section or Section()
    for field in ("category", "name", "description", "position"):
        if field in values:
            setattr(section, field, values[field])
    section.slug = unique_slug(
        Section,
        values.get("slug") or section.slug or section.name,
        instance=section,
        fallback="section",
    )
    _save_with_slug(section)
    return section


@transaction.atomic
def article_save(*, article: Article | None = None, values: dict, author) -> Article:
    """Create or edit an article; ``values["status"]`` publishes or unpublishes it."""
    article = article or Article(author=author)
    if article.is_policy:
        raise Conflict("The support policy is written from the desk's settings, not here.")
    for field in ("section", "title", "body", "position"):
        if field in values:
            setattr(article, field, values[field])
    if not article.title.strip():
        raise InvalidInput("An article needs a title.")
    # A draft's address follows its title; once published, it stays (agents have sent links to
    # it in replies) unless a new one is asked for.
    kept = article.slug if article.published_at else ""
    article.slug = unique_slug(
        Article, values.get("slug") or kept or article.title, instance=article, fallback="article"
    )
    article.body_html = render(article.body)
    status = values.get("status", article.status)
    if status not in Article.Status.values:
        raise InvalidInput("Unknown status.")
    if status == Article.Status.PUBLISHED and article.section_id is None:
        raise InvalidInput("Choose a section before publishing: readers find articles by it.")
    if status == Article.Status.PUBLISHED and article.published_at is None:
        article.published_at = timezone.now()
    article.status = status
    _save_with_slug(article)
    search.index_article(article)
    return article


@transaction.atomic
def category_delete(*, category: Category) -> None:
    """Delete a category and its sections, refused while any of them holds an article (a draft
    too): deleting would leave those articles in no section, unpublished by accident."""
    held = Article.objects.filter(section__category=category).count()
    if held:
        raise Conflict(
            f"“{category.name}” still holds {held} article{'s' if held != 1 else ''} in its "
            "sections. Move them to another section or delete them first."
        )
    category.delete()


@transaction.atomic
def section_delete(*, section: Section) -> None:
    """Delete a section, refused while it holds an article (a draft too), for the same reason."""
    held = Article.objects.filter(section=section).count()
    if held:
        raise Conflict(
            f"“{section.name}” still holds {held} article{'s' if held != 1 else ''}. "
            "Move them to another section or delete them first."
        )
    section.delete()


@transaction.atomic
def structure_move(*, item: Category | Section, offset: int) -> None:
    """Move a category among the categories, or a section among its category's sections, by
    ``offset`` places (-1 up, +1 down); positions are renumbered 0..n-1 on the way. Locked:
    two managers reordering at once take turns instead of writing duplicate positions."""
    if isinstance(item, Category):
        siblings = Category.objects.all()
    else:
        siblings = Section.objects.filter(category_id=item.category_id)
    order = list(siblings.select_for_update().order_by("position", "name", "pk"))
    index = next((i for i, sibling in enumerate(order) if sibling.pk == item.pk), None)
    if index is None:
        raise Conflict("It was moved or deleted meanwhile: reload the page.")
    target = min(max(index + offset, 0), len(order) - 1)
    order.insert(target, order.pop(index))
    for position, sibling in enumerate(order):
        if sibling.position != position:
            sibling.position = position
            sibling.save(update_fields=["position", "updated_at"])


@transaction.atomic
def article_delete(*, article: Article) -> None:
    if article.is_policy:
        raise Conflict("The support policy article cannot be deleted.")
    article.delete()


@transaction.atomic
def help_center_update(*, title: str, language: str) -> HelpCenter:
    center = help_center()
    changed = center.language != language
    center.title, center.language = title, language
    center.save()
    if changed:
        # Vectors depend on the language's stemming: rebuild them.
        for article in Article.objects.filter(status=Article.Status.PUBLISHED):
            search.index_article(article)
    return center


def voter_of(*, user=None, voter_key: str = "") -> str:
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"browser:{voter_key}" if voter_key else ""


def vote(*, article: Article, helpful: bool, user=None, voter_key: str = "") -> ArticleVote:
    """Record or change one reader's answer. Concurrent votes never double-count: one row per
    reader, written with INSERT ... ON CONFLICT DO UPDATE."""
    if not article.is_published:
        raise Conflict("Only published articles take votes.")
    if article.is_policy and article.pk is None:
        article = policy_article_ensure()
    voter = voter_of(user=user, voter_key=voter_key)
    if not voter:
        raise InvalidInput("Your browser did not keep the voting cookie; enable cookies to vote.")
    row = ArticleVote(
        article=article,
        voter=voter,
        user=user if user is not None and user.is_authenticated else None,
        helpful=helpful,
    )
    row.tenant_id = article.tenant_id
    ArticleVote.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["tenant", "article", "voter"],
        update_fields=["helpful", "updated_at"],
    )
    return ArticleVote.objects.get(article=article, voter=voter)


def policy_article_ensure() -> Article:
    """The support policy's article, saved (``selectors.policy_article`` reads without writing;
    its first vote saves it). Two first votes at once meet on the unique slug."""
    article = Article.objects.filter(kind=Article.Kind.POLICY).first()
    if article is None:
        article, _created = Article.objects.get_or_create(
            slug=POLICY_SLUG,
            defaults={
                "kind": Article.Kind.POLICY,
                "title": "Support policy",
                "status": Article.Status.PUBLISHED,
            },
        )
    return article


def view_recorded(*, article: Article) -> None:
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


def deflection_record(*, article: Article, query: str, visitor_key: str) -> Deflection | None:
    """A suggestion from the ticket form was opened (once per article and browser per window)."""
    query = search.clean_query(query)
    if not query or not visitor_key or not article.is_published:
        return None
    since = timezone.now() - DEFLECTION_WINDOW
    existing = Deflection.objects.filter(
        article=article, visitor_key=visitor_key, created_at__gte=since, ticket__isnull=True
    ).first()
    if existing is not None:
        return existing
    return Deflection.objects.create(article=article, query=query, visitor_key=visitor_key)


def deflections_followed_by(*, ticket, visitor_key: str) -> int:
    """The browser submitted ``ticket`` after opening suggestions: those did not deflect it."""
    if not visitor_key:
        return 0
    since = timezone.now() - DEFLECTION_WINDOW
    return Deflection.objects.filter(
        visitor_key=visitor_key, created_at__gte=since, ticket__isnull=True
    ).update(ticket=ticket)
