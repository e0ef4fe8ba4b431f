"""REST API of time tracking: a ticket's time entries (staff read and log; an agent deletes
their own, a manager anyone's) and the managers' time report. Customers get a 403: time is
internal, as on the pages. Same services, same refusals, same error body as the rest of
/api/v1/ (``tickets.api``)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Sum
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiTypes,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_auth import MANAGERS, STAFF
from core import periods
from core.api_errors import error_responses
from core.api_inputs import PAGE_PARAMETERS, page
from core.errors import InvalidInput
from tenants.context import current_tenant
from tickets import timelog, timereport
from tickets.api import PersonSerializer, ticket_for_request
from tickets.models import TimeEntry


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": TimeEntry.MAX_MINUTES},
            {"type": "string", "maxLength": 10, "example": "1:30"},
        ]
    }
)
class MinutesField(serializers.Field):
    """Whole minutes as a number, or the text an agent types on the page ("45", "1:30")."""

    def to_internal_value(self, data):
        try:
            if isinstance(data, int) and not isinstance(data, bool):
                timelog.check_minutes(data)
                return data
            if isinstance(data, str) and len(data) <= 10:
                return timelog.parse_minutes(data)
        except InvalidInput as error:
            raise serializers.ValidationError(str(error)) from None
        raise serializers.ValidationError(timelog.FORMAT_HINT)

    def to_representation(self, value):
        return value


class TimeEntrySerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, min_value=1)
    minutes = serializers.IntegerField(read_only=True, min_value=1, max_value=TimeEntry.MAX_MINUTES)
    agent = PersonSerializer(read_only=True, allow_null=True, help_text="Who spent the time.")
    comment = serializers.SerializerMethodField(
        help_text="The id of the reply or note it was logged with, if any."
    )

    class Meta:
        model = TimeEntry
        fields = ["id", "minutes", "agent", "note", "comment", "started_at", "ended_at"]
        fields += ["created_at"]
        read_only_fields = fields

    @extend_schema_field({"type": "integer", "minimum": 1, "nullable": True})
    def get_comment(self, entry) -> int | None:
        return entry.comment_id


class TimeEntryCreateSerializer(serializers.Serializer):
    minutes = MinutesField(help_text='Whole minutes (1 to 1440), or text such as "1:30".')
    note = serializers.CharField(
        max_length=TimeEntry.MAX_NOTE_CHARS, required=False, allow_blank=True, default=""
    )


class TimeEntryPageSerializer(serializers.Serializer):
    results = TimeEntrySerializer(many=True)
    next = serializers.CharField(
        allow_null=True, help_text="The next page's URL, or null at the end."
    )
    total_minutes = serializers.IntegerField(min_value=0, help_text="Over every entry.")
    count = serializers.IntegerField(min_value=0)


class TicketTimeEntries(APIView):
    """Staff: the time spent on a ticket (newest first, with the total); POST logs time
    without a message. Refused on a closed ticket (409)."""

    permission_classes = STAFF

    @extend_schema(
        parameters=PAGE_PARAMETERS,
        responses={200: TimeEntryPageSerializer, **error_responses(400, 403, 404)},
    )
    def get(self, request, number: int):
        ticket = ticket_for_request(request, number)
        entries = timelog.entries_of(ticket)
        rows, following = page(request, entries)
        sums = entries.order_by().aggregate(total=Sum("minutes"), count=Count("id"))
        return Response(
            {
                "results": TimeEntrySerializer(rows, many=True).data,
                "next": following,
                "total_minutes": sums["total"] or 0,
                "count": sums["count"],
            }
        )

    @extend_schema(
        request=TimeEntryCreateSerializer,
        responses={201: TimeEntrySerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, number: int):
        ticket = ticket_for_request(request, number)
        sent = TimeEntryCreateSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        entry = timelog.time_log(
            ticket=ticket,
            agent=request.user,
            membership=request.membership,
            minutes=sent.validated_data["minutes"],
            note=sent.validated_data["note"],
        )
        return Response(TimeEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class TicketTimeEntry(APIView):
    """Staff: delete a time entry: an agent their own (403 for another's), a manager or admin
    anyone's. Refused on a closed ticket (409)."""

    permission_classes = STAFF

    @extend_schema(responses={204: None, **error_responses(403, 404, 409)})
    def delete(self, request, number: int, pk: int):
        ticket = ticket_for_request(request, number)
        entry = timelog.entry_of_ticket(ticket, pk)
        if entry is None:
            raise exceptions.NotFound("No such time entry.")
        timelog.time_entry_delete(entry=entry, actor=request.user, membership=request.membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReportFilters(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="From this day (default: 27 days ago).")
    end = serializers.DateField(required=False, help_text="To this day, included (default: today).")
    period = serializers.ChoiceField(choices=periods.PERIODS, default="week", required=False)

    def validate(self, data):
        today = timezone.now().astimezone(ZoneInfo(current_tenant().time_zone)).date()
        data.setdefault("end", today)
        data.setdefault("start", data["end"] - timedelta(days=27))
        data.setdefault("period", "week")
        problem = timereport.range_problem(data["start"], data["end"], data["period"])
        if problem:
            raise serializers.ValidationError(problem)
        return data


class ReportRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        allow_null=True, help_text="The agent's user id or the organization's id (null: none)."
    )
    label = serializers.CharField()
    minutes = serializers.IntegerField(min_value=0)
    entries = serializers.IntegerField(min_value=0)


class ReportPeriodSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="The period's first day.")
    label = serializers.CharField()
    minutes = serializers.IntegerField(min_value=0)
    entries = serializers.IntegerField(min_value=0)


class ReportTotalSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=0)
    entries = serializers.IntegerField(min_value=0)


class TimeReportSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    period = serializers.ChoiceField(choices=periods.PERIODS)
    total = ReportTotalSerializer()
    by_agent = ReportRowSerializer(many=True)
    by_organization = ReportRowSerializer(many=True)
    by_period = ReportPeriodSerializer(many=True)


class TimeReport(APIView):
    """Managers: minutes logged by agent, by organization and per day, week or month, over at
    most two years of the helpdesk's calendar (the figures of the Time report page)."""

    permission_classes = MANAGERS

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="From this day."),
            OpenApiParameter("end", OpenApiTypes.DATE, description="To this day, included."),
            OpenApiParameter("period", str, enum=list(periods.PERIODS)),
        ],
        responses={200: TimeReportSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        filters = ReportFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        chosen = filters.validated_data
        report = timereport.time_report(chosen["start"], chosen["end"], chosen["period"])

        def rows(name):
            return [
                {"id": r.key, "label": r.label, "minutes": r.minutes, "entries": r.entries}
                for r in report[name]
            ]

        data = {
            **chosen,
            "total": {"minutes": report["total"].minutes, "entries": report["total"].entries},
            "by_agent": rows("by_agent"),
            "by_organization": rows("by_organization"),
            "by_period": [
                {"start": r.key, "label": r.label, "minutes": r.minutes, "entries": r.entries}
                for r in report["by_period"]
            ],
        }
        return Response(TimeReportSerializer(data).data)
