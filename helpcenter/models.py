"""The help center: categories, sections and articles, votes, and suggestions that deflected
(or did not deflect) a ticket.

``ArticleSearch`` holds the full-text vector of each *published* article. It is the one tenant
table without a row-level security policy, on purpose: PostgreSQL applies an RLS policy before
any condition that is not leakproof, and the text-search match (``@@``) is not, so under RLS no
index could serve a search. The table is read only by ``helpcenter.search.search``, which puts
the current tenant in its own ``WHERE`` (one audited function), and written only by the
services; it holds no text a person reads, just the vector and the article's id.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models

from tenants.models import Tenant, TenantOwned

# Text-search configurations a help center may choose (PostgreSQL built-ins).
LANGUAGES = [
    ("english", "English"),
    ("simple", "Any language (no stemming)"),
    ("french", "French"),
    ("german", "German"),
    ("spanish", "Spanish"),
    ("italian", "Italian"),
    ("portuguese", "Portuguese"),
    ("dutch", "Dutch"),
]

TITLE_MAX = 200
BODY_MAX = 100_000


class HelpCenter(TenantOwned):
    """The tenant's help-center settings (one row per tenant, made on first use)."""

    title = models.CharField(max_length=120, default="Help center")
    language = models.CharField(max_length=20, choices=LANGUAGES, default="english")

    class Meta(TenantOwned.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant"], name="helpcenter_one_per_tenant")]

    def __str__(self):
        return self.title


class Category(TenantOwned):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=80)
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta(TenantOwned.Meta):
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="hc_category_slug"),
        ]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name


class Section(TenantOwned):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="sections")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=80)
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta(TenantOwned.Meta):
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="hc_section_slug"),
        ]

    def __str__(self):
        return self.name


class Article(TenantOwned):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    class Kind(models.TextChoices):
        ARTICLE = "article", "Article"
        # The tenant's support policy, rendered live from its settings (desk): the article
        # carries its votes and views; its text is the policy page's.
        POLICY = "policy", "Support policy"

    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ARTICLE)
    title = models.CharField(max_length=TITLE_MAX)
    slug = models.SlugField(max_length=120)
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    view_count = models.PositiveIntegerField(default=0)

    class Meta(TenantOwned.Meta):
        ordering = ["position", "title"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="hc_article_slug"),
        ]
        indexes = [
            models.Index(fields=["tenant", "section", "status"], name="hc_article_section"),
            models.Index(fields=["tenant", "status", "updated_at"], name="hc_article_status"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_policy(self) -> bool:
        return self.kind == self.Kind.POLICY


class ArticleVote(TenantOwned):
    """One answer to "Was this article helpful?" per signed-in person, or per anonymous browser
    (a random id in a signed cookie). Voting again changes the answer.

    ``voter`` names the reader in one column (``user:<id>`` or ``browser:<key>``) so a single
    unique constraint covers both, and a vote is one ``INSERT ... ON CONFLICT DO UPDATE``.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    voter = models.CharField(max_length=80)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    helpful = models.BooleanField()

    class Meta(TenantOwned.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "article", "voter"], name="hc_vote_once"),
        ]
        indexes = [models.Index(fields=["tenant", "article", "helpful"], name="hc_vote_article")]

    def __str__(self):
        return f"{'helpful' if self.helpful else 'not helpful'} on {self.article_id}"


class Deflection(TenantOwned):
    """A suggested article opened from the ticket form, and whether a ticket followed."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="deflections")
    query = models.CharField(max_length=200)
    visitor_key = models.CharField(max_length=64)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(TenantOwned.Meta):
        indexes = [
            models.Index(fields=["tenant", "article"], name="hc_deflection_article"),
            models.Index(fields=["tenant", "visitor_key"], name="hc_deflection_visitor"),
            models.Index(fields=["tenant", "created_at"], name="hc_deflection_created"),
        ]

    def __str__(self):
        return f"{self.article_id}: {self.query[:40]}"


class ArticleSearch(models.Model):
    """The search vector of one published article (see the module's docstring: no RLS policy,
    read only through ``helpcenter.search``)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="+")
    vector = SearchVectorField(null=True)

    RLS_EXEMPT = (
        "The text-search match is not leakproof: under a policy no index could serve it. Read "
        "only by helpcenter.search.search, which filters by the current tenant itself."
    )

    # PostgreSQL only, made by migration 0001 (btree_gin): GIN on (tenant_id, vector), so a search
    # reads only its own tenant's entries for the query's words.
    INDEX_NAME = "hc_search_tenant_vector"

    def __str__(self):
        return f"search entry of article {self.article_id}"
