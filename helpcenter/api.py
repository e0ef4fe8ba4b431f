"""Help-center articles in /api/v1/ (read only), wired in helpdesk/api_urls.py.

The help center is public on the tenant's portal, so every member reads its published articles
(and searches them, as its search box does); staff also read a draft by its slug, as they may
preview one on its page. Reading through the API counts no view: the "popular" list is about
people reading pages, not scripts syncing articles.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_auth import MEMBER
from core.api_errors import error_responses
from core.api_inputs import PAGE_PARAMETERS, page, page_serializer
from helpcenter import search, selectors
from helpcenter.forms import PublicSearchForm
from helpcenter.models import Article

# The schema's names for these choice sets (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
ARTICLE_STATUSES = Article.Status.choices


class SectionSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    category = serializers.SerializerMethodField()

    @extend_schema_field(
        {
            "type": "object",
            "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
            "required": ["slug", "name"],
        }
    )
    def get_category(self, section) -> dict:
        return {"slug": section.category.slug, "name": section.category.name}


class ArticleSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, min_value=1)
    section = SectionSerializer(read_only=True, allow_null=True)
    published_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Article
        fields = ["id", "slug", "title", "section", "published_at", "updated_at"]
        read_only_fields = fields


class ArticleListItemSerializer(ArticleSerializer):
    snippet = serializers.SerializerMethodField(
        help_text="With q: where the words are found, as HTML (<mark> around them). Else null."
    )

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "snippet"]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "nullable": True})
    def get_snippet(self, article) -> str | None:
        return self.context.get("snippets", {}).get(article.pk)


class VotesSerializer(serializers.Serializer):
    helpful = serializers.IntegerField(min_value=0)
    total = serializers.IntegerField(min_value=0)


class ArticleDetailSerializer(ArticleSerializer):
    votes = serializers.SerializerMethodField(help_text='"helpful out of total found this helpful"')

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "status", "body", "body_html", "votes"]
        read_only_fields = fields

    @extend_schema_field(VotesSerializer)
    def get_votes(self, article) -> dict:
        tally = selectors.tally(article)
        return {"helpful": tally.helpful, "total": tally.total}


ArticlePageSerializer = page_serializer(ArticleListItemSerializer, "ArticlePageSerializer")


class ArticleList(APIView):
    """Published articles by title, or with ``q`` the help center's search: the best
    ``search.RESULTS_MAX`` matches, best first, on one page."""

    permission_classes = MEMBER

    @extend_schema(
        operation_id="articles_list",
        parameters=[
            OpenApiParameter(
                "q",
                str,
                description=f"Words to search for (at most {search.QUERY_MAX_CHARS} characters "
                "are read, as in the search box).",
            ),
            *PAGE_PARAMETERS,
        ],
        responses={200: ArticlePageSerializer, **error_responses(400)},
    )
    def get(self, request):
        query = PublicSearchForm(request.query_params).query
        if query:
            hits = search.search(query, limit=search.RESULTS_MAX)
            context = {"snippets": {hit.article.pk: str(hit.snippet) for hit in hits}}
            rows = [hit.article for hit in hits]
            data = ArticleListItemSerializer(rows, many=True, context=context).data
            return Response({"results": data, "next": None})
        articles = selectors.published().select_related("section__category")
        rows, following = page(request, articles.order_by("title", "pk"))
        return Response(
            {"results": ArticleListItemSerializer(rows, many=True).data, "next": following}
        )


class ArticleDetail(APIView):
    """One published article by its slug (staff: a draft too, as its page previews it)."""

    permission_classes = MEMBER

    @extend_schema(responses={200: ArticleDetailSerializer, **error_responses(404)})
    def get(self, request, slug: str):
        found = selectors.article_for_reader(slug, staff=request.membership.is_staff_role)
        if found is None:
            raise exceptions.NotFound("No such article.")
        return Response(ArticleDetailSerializer(found).data)
