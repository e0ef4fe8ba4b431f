"""What managers read about the help center: the article list of the staff pages (every article,
drafts too, with its figures) and the report (views, votes, and the suggestions of the ticket
form: followed by a ticket, or deflected).

Set-based: each figure is one grouped query over the tenant's rows, merged here, so a page
costs the same few queries for five articles or five thousand.

What "deflected" means: a suggestion opened from the ticket form that no ticket followed. The
ticket form links the suggestions a browser opened in the ``DEFLECTION_WINDOW`` before it
submits (``services.deflections_followed_by``), so a suggestion younger than that window may
still be followed: it counts as "too early to tell" until the window has passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Prefetch, Q

from helpcenter.models import Article, ArticleVote, Category, Deflection, Section
from helpcenter.services import DEFLECTION_WINDOW

PERIODS = {7: "Last 7 days", 30: "Last 30 days", 90: "Last 90 days", 365: "Last 12 months"}
DEFAULT_DAYS = 30
TOP_QUERIES = 10


def _share(part: int, whole: int) -> str:
    return f"{part} out of {whole}" if whole else "—"


def _percent(part: int, whole: int) -> str:
    return f"{round(part * 100 / whole)}%" if whole else "—"


def _tallies(article_ids=None) -> dict[int, tuple[int, int]]:
    """{article id: (helpful, total)} in one grouped query."""
    votes = ArticleVote.objects.all()
    if article_ids is not None:
        votes = votes.filter(article_id__in=article_ids)
    rows = (
        votes.order_by()
        .values("article_id")
        .annotate(total=Count("pk"), helpful=Count("pk", filter=Q(helpful=True)))
    )
    return {row["article_id"]: (row["helpful"], row["total"]) for row in rows}


# --- The staff article list -------------------------------------------------------------------


@dataclass
class ArticleLine:
    article: Article
    helpful: int = 0
    votes: int = 0

    @property
    def share(self) -> str:
        return _share(self.helpful, self.votes)


@dataclass
class SectionGroup:
    section: Section | None  # None: articles in no section (drafts)
    lines: list[ArticleLine] = field(default_factory=list)


@dataclass
class CategoryGroup:
    category: Category | None
    sections: list[SectionGroup] = field(default_factory=list)


@dataclass
class ArticleOverview:
    groups: list[CategoryGroup]
    counts: dict[str, int]  # "" (all), "published", "draft"
    shown: int
    has_structure: bool


def article_overview(status: str = "") -> ArticleOverview:
    """Every article (drafts too) by category and section, with its figures. ``status`` ("",
    "draft" or "published") filters; unfiltered, empty sections show too, to be written in."""
    sections = Section.objects.order_by("position", "name")
    categories = list(
        Category.objects.prefetch_related(Prefetch("sections", queryset=sections)).order_by(
            "position", "name"
        )
    )
    articles = Article.objects.filter(kind=Article.Kind.ARTICLE).select_related("author")
    if status:
        articles = articles.filter(status=status)
    articles = list(articles.order_by("position", "title", "pk"))
    tallies = _tallies()
    by_section: dict[int | None, list[ArticleLine]] = {}
    for article in articles:
        helpful, total = tallies.get(article.pk, (0, 0))
        by_section.setdefault(article.section_id, []).append(ArticleLine(article, helpful, total))
    groups = []
    for category in categories:
        group = CategoryGroup(category)
        for section in category.sections.all():
            lines = by_section.get(section.pk, [])
            if lines or not status:
                group.sections.append(SectionGroup(section, lines))
        if group.sections or not status:
            groups.append(group)
    if by_section.get(None):
        groups.append(CategoryGroup(None, [SectionGroup(None, by_section[None])]))
    counts = dict(
        Article.objects.filter(kind=Article.Kind.ARTICLE)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    counts[""] = sum(counts.values())
    return ArticleOverview(
        groups=groups,
        counts=counts,
        shown=len(articles),
        has_structure=any(category.sections.all() for category in categories),
    )


def structure() -> list[Category]:
    """Categories with their sections, each section's ``article_count`` (drafts too: what
    deleting it would strand). Two queries."""
    sections = Section.objects.annotate(article_count=Count("articles")).order_by(
        "position", "name", "pk"
    )
    return list(
        Category.objects.prefetch_related(Prefetch("sections", queryset=sections)).order_by(
            "position", "name", "pk"
        )
    )


def articles_held(item: Category | Section) -> int:
    """Articles (drafts too) in a section, or in a category's sections."""
    if isinstance(item, Category):
        return Article.objects.filter(section__category=item).count()
    return Article.objects.filter(section=item).count()


# --- The report ---------------------------------------------------------------------------------


@dataclass
class Figures:
    views: int = 0
    helpful: int = 0
    votes: int = 0
    opened: int = 0  # suggestions opened from the ticket form, in the period
    followed: int = 0  # ... and a ticket was submitted after all
    deflected: int = 0  # ... and no ticket followed within the window
    pending: int = 0  # ... too recent to tell

    @property
    def share(self) -> str:
        """``N out of M`` found it helpful (the sentence readers see under the article)."""
        return _share(self.helpful, self.votes)

    @property
    def helpful_percent(self) -> str:
        return _percent(self.helpful, self.votes)

    @property
    def settled(self) -> int:
        return self.followed + self.deflected

    @property
    def deflection_percent(self) -> str:
        """Of the suggestions whose outcome is known, the share no ticket followed."""
        return _percent(self.deflected, self.settled)

    def add(self, other: Figures) -> None:
        for name in ("views", "helpful", "votes", "opened", "followed", "deflected", "pending"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Row(Figures):
    article: Article | None = None


@dataclass
class HelpReport:
    days: int
    since: datetime
    rows: list[Row]
    totals: Figures
    # Searches on the ticket form whose suggestions did not help: (query, tickets that followed)
    top_queries: list[tuple[str, int]]

    @property
    def empty(self) -> bool:
        return not self.rows

    @property
    def window_hours(self) -> int:
        return int(DEFLECTION_WINDOW / timedelta(hours=1))


def help_report(days: int, now: datetime) -> HelpReport:
    """Per article: views and votes since it was written (the counters readers see), and the
    ticket form's suggestions opened in the last ``days`` days. Four queries in all."""
    since = now - timedelta(days=days)
    settled_before = now - DEFLECTION_WINDOW
    articles = list(Article.objects.select_related("section__category").order_by())
    tallies = _tallies()
    suggestions = {
        row["article_id"]: row
        for row in Deflection.objects.filter(created_at__gte=since)
        .order_by()
        .values("article_id")
        .annotate(
            opened=Count("pk"),
            followed=Count("pk", filter=Q(ticket__isnull=False)),
            deflected=Count("pk", filter=Q(ticket__isnull=True, created_at__lt=settled_before)),
        )
    }
    rows, totals = [], Figures()
    for article in articles:
        helpful, votes = tallies.get(article.pk, (0, 0))
        opened = suggestions.get(article.pk, {})
        row = Row(
            article=article,
            views=article.view_count,
            helpful=helpful,
            votes=votes,
            opened=opened.get("opened", 0),
            followed=opened.get("followed", 0),
            deflected=opened.get("deflected", 0),
        )
        row.pending = row.opened - row.followed - row.deflected
        # Drafts that were never read or suggested are work in progress, not report lines.
        if article.is_published or row.views or row.votes or row.opened:
            rows.append(row)
            totals.add(row)
    rows.sort(key=lambda r: (-r.views, -r.opened, r.article.title.lower(), r.article.pk))
    top_queries = list(
        Deflection.objects.filter(created_at__gte=since, ticket__isnull=False)
        .order_by()
        .values("query")
        .annotate(n=Count("ticket_id", distinct=True))
        .order_by("-n", "query")
        .values_list("query", "n")[:TOP_QUERIES]
    )
    return HelpReport(days, since, rows, totals, top_queries)
