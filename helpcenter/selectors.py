"""Reads of the help center. What customers see is published only, always through here."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from helpcenter.models import Article, ArticleVote, Category, HelpCenter, Section

# The support policy's article (``policy_article``); no other article may take it.
POLICY_SLUG = "support-policy"


def help_center() -> HelpCenter:
    center = HelpCenter.objects.first()
    if center is None:
        center, _created = HelpCenter.objects.get_or_create()
    return center


def help_center_for_reading() -> HelpCenter:
    """The settings a page shows: the saved row, or the defaults (unsaved) until a manager saves
    them. ``help_center`` makes the row; a visitor's GET must not."""
    return HelpCenter.objects.first() or HelpCenter()


def published() -> QuerySet[Article]:
    return Article.objects.filter(status=Article.Status.PUBLISHED, kind=Article.Kind.ARTICLE)


def categories_with_sections() -> list[Category]:
    """Categories, their sections and each section's published article count (home page)."""
    sections = Section.objects.annotate(
        published_count=Count(
            "articles",
            filter=Q(
                articles__status=Article.Status.PUBLISHED, articles__kind=Article.Kind.ARTICLE
            ),
        )
    ).order_by("position", "name")
    return list(
        Category.objects.prefetch_related(Prefetch("sections", queryset=sections)).order_by(
            "position", "name"
        )
    )


def category(slug: str) -> Category | None:
    return Category.objects.filter(slug=slug).first() if slug else None


def section(category: Category, slug: str) -> Section | None:
    return Section.objects.filter(category=category, slug=slug).first() if slug else None


def section_articles(section: Section, *, limit: int = 200) -> list[Article]:
    return list(published().filter(section=section).order_by("position", "title")[:limit])


def article_for_reader(slug: str, *, staff: bool) -> Article | None:
    """A published article (staff may also read drafts, for preview)."""
    articles = Article.objects.select_related("section__category", "author")
    if not staff:
        articles = articles.filter(status=Article.Status.PUBLISHED)
    return articles.filter(slug=slug, kind=Article.Kind.ARTICLE).first() if slug else None


def related_articles(article: Article, *, limit: int = 5) -> list[Article]:
    """Other published articles of the same section first, then the category's."""
    if article.section_id is None:
        return []
    others = published().exclude(pk=article.pk).select_related("section")
    same = list(others.filter(section_id=article.section_id).order_by("position", "title")[:limit])
    if len(same) < limit:
        same += list(
            others.filter(section__category_id=article.section.category_id)
            .exclude(section_id=article.section_id)
            .order_by("-updated_at")[: limit - len(same)]
        )
    return same


@dataclass(frozen=True)
class Tally:
    helpful: int
    total: int
    mine: bool | None  # this reader's answer, None when they have not voted

    @property
    def sentence(self) -> str:
        if not self.total:
            return "Nobody has rated this article yet."
        return f"{self.helpful} out of {self.total} found this helpful"


def tally(article: Article, *, voter: str = "") -> Tally:
    """Votes on the article, and ``voter``'s own answer (``services.voter_of``)."""
    if article.pk is None:
        # The support policy's stand-in before its first vote (``policy_article``).
        return Tally(0, 0, None)
    counts = ArticleVote.objects.filter(article=article).aggregate(
        total=Count("pk"), helpful=Count("pk", filter=Q(helpful=True))
    )
    mine = None
    if voter:
        mine = (
            ArticleVote.objects.filter(article=article, voter=voter)
            .values_list("helpful", flat=True)
            .first()
        )
    return Tally(counts["helpful"], counts["total"], mine)


def policy_article() -> Article:
    """The article standing for the tenant's live support-policy page.

    Until its first vote it is an unsaved stand-in (``services.policy_article_ensure`` saves it):
    reading a page writes nothing, so a visitor's GET never adds rows to a tenant.
    """
    return Article.objects.filter(kind=Article.Kind.POLICY).first() or Article(
        kind=Article.Kind.POLICY,
        slug=POLICY_SLUG,
        title="Support policy",
        status=Article.Status.PUBLISHED,
    )
