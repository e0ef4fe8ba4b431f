"""Bug reports in /api/v1/ (read only), wired in helpdesk/api_urls.py.

Staff read the list (the page's filters and impact order) and one report with its linked
tickets, as on the bug pages. A customer learns only what their ticket page says
(``selectors.customer_view``): that the problem was filed as a product bug, and the version
that fixes it.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_auth import MEMBER, STAFF
from bugs import selectors
from bugs.forms import FilterForm
from bugs.models import BugReport
from core.api_errors import error_responses
from core.api_inputs import PAGE_PARAMETERS, form_errors, page, page_serializer
from tickets.api import PersonSerializer, ticket_for_request

# The schema's names for these choice sets (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
BUG_STATUSES = BugReport.Status.choices


class BugReportSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, min_value=1)
    number = serializers.IntegerField(read_only=True, min_value=1)
    affected_versions = serializers.CharField(
        read_only=True, help_text='Comma-separated version numbers ("11.3, 11.4.1").'
    )
    fixed_in = serializers.CharField(read_only=True, help_text="Empty until it is fixed.")
    owner = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = BugReport
        fields = [
            "id",
            "number",
            "title",
            "status",
            "severity",
            "scope",
            "affected_versions",
            "fixed_in",
            "owner",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class BugReportListSerializer(BugReportSerializer):
    ticket_count = serializers.IntegerField(read_only=True, min_value=0)
    customer_count = serializers.IntegerField(
        read_only=True, min_value=0, help_text="Distinct requesters of its tickets."
    )

    class Meta(BugReportSerializer.Meta):
        fields = [*BugReportSerializer.Meta.fields, "ticket_count", "customer_count"]
        read_only_fields = fields


class BugReportDetailSerializer(BugReportSerializer):
    created_by = PersonSerializer(read_only=True, allow_null=True)
    duplicate_of = serializers.SerializerMethodField(
        help_text="The number of the report this one duplicates, if any."
    )
    tickets = serializers.SerializerMethodField(help_text="The linked tickets' numbers.")

    class Meta(BugReportSerializer.Meta):
        fields = [
            *BugReportSerializer.Meta.fields,
            "summary",
            "steps",
            "tracker_url",
            "fixed_at",
            "created_by",
            "duplicate_of",
            "tickets",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "integer", "minimum": 1, "nullable": True})
    def get_duplicate_of(self, report) -> int | None:
        return report.duplicate_of.number if report.duplicate_of_id else None

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField(min_value=1)))
    def get_tickets(self, report) -> list[int]:
        return [link.ticket.number for link in selectors.linked_tickets(report)]


BugReportPageSerializer = page_serializer(BugReportListSerializer, "BugReportPageSerializer")


class BugList(APIView):
    """Staff: bug reports by impact (unresolved first, then severity, customers affected,
    tickets), with the bug list page's filters."""

    permission_classes = STAFF

    @extend_schema(
        operation_id="bugs_list",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=["open", "all", *BugReport.Status.values],
                description="open (default: new, confirmed or in progress), all, or a status.",
            ),
            OpenApiParameter("severity", str, enum=BugReport.Severity.values),
            OpenApiParameter("version", str, description="Reports affecting this version."),
            OpenApiParameter("q", str, description='Words of the title, or "#number".'),
            *PAGE_PARAMETERS,
        ],
        responses={200: BugReportPageSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        params = request.query_params
        wanted = {name: params.get(name, "") for name in FilterForm.base_fields}
        # The page opens on the unresolved ones; "all" is its "All statuses" (an empty choice).
        status = params.get("status", "open")
        wanted["status"] = "" if status == "all" else status
        form = FilterForm(wanted)
        if not form.is_valid():
            raise form_errors(form)
        filters = selectors.ListFilters(
            **{name: form.cleaned_data[name] or "" for name in FilterForm.base_fields}
        )
        rows, following = page(request, selectors.bug_list(filters))
        return Response(
            {"results": BugReportListSerializer(rows, many=True).data, "next": following}
        )


class BugDetail(APIView):
    """Staff: one report with the numbers of its linked tickets."""

    permission_classes = STAFF

    @extend_schema(responses={200: BugReportDetailSerializer, **error_responses(403, 404)})
    def get(self, request, pk: int):
        try:
            report = selectors.report_for_staff(pk)
        except Http404:
            raise exceptions.NotFound("No such bug report.") from None
        return Response(BugReportDetailSerializer(report).data)


class ProductBugSerializer(serializers.Serializer):
    filed = serializers.BooleanField(help_text="The problem was filed as a product bug.")
    fixed_in = serializers.CharField(
        allow_null=True, help_text="The version that fixes it, once one does."
    )


class TicketProductBug(APIView):
    """What the ticket's page tells its customer about product bugs (the same for staff):
    whether it was filed as one, and the version that fixes it. Never the report itself."""

    permission_classes = MEMBER

    @extend_schema(
        operation_id="tickets_product_bug_retrieve",
        responses={200: ProductBugSerializer, **error_responses(404)},
    )
    def get(self, request, number: int):
        view = selectors.customer_view(ticket_for_request(request, number))
        found = {"filed": view.filed, "fixed_in": view.fixed_in} if view else None
        return Response(ProductBugSerializer(found or {"filed": False, "fixed_in": None}).data)
