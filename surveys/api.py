"""Satisfaction surveys in /api/v1/ (read only), wired in helpdesk/api_urls.py.

Managers read the answers, as the CSAT report counts them (surveys sent in a stretch of the
tenant's days); staff read a ticket's survey, as the agent's ticket page shows it. The
customer's portal shows no survey (the email's link is the customer's way in), so customers
are refused both.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_auth import MANAGERS, STAFF
from core import periods
from core.api_errors import error_responses
from core.api_inputs import PAGE_PARAMETERS, page, page_serializer
from surveys import selectors
from surveys.models import SurveyInvitation
from tickets.api import PersonSerializer, ticket_for_request

Rating = SurveyInvitation.Rating
# The schema's names for these choice sets (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
SURVEY_STATES = [
    ("not_sent", "Not sent"),
    ("waiting", "Waiting for an answer"),
    ("expired", "Expired unanswered"),
    ("answered", "Answered"),
]


class SurveyTicketSerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=1)
    subject = serializers.CharField()


class SurveyResponseSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, min_value=1)
    ticket = SurveyTicketSerializer(read_only=True)
    agent = PersonSerializer(
        read_only=True,
        allow_null=True,
        help_text="The agent the rating counts for (assigned when the ticket closed).",
    )
    reason = serializers.CharField(
        read_only=True, help_text="With a bad rating: the reason chosen from the list, if any."
    )

    class Meta:
        model = SurveyInvitation
        fields = ["id", "ticket", "rating", "reason", "comment", "agent", "sent_at", "answered_at"]
        read_only_fields = fields


SurveyResponsePageSerializer = page_serializer(
    SurveyResponseSerializer, "SurveyResponsePageSerializer"
)


class ResponseFilters(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="Sent on or after this day.")
    end = serializers.DateField(required=False, help_text="Sent on or before this day.")
    rating = serializers.ChoiceField(Rating.choices, required=False)

    def validate(self, data):
        # The CSAT report's bounds: the same days, at most two years when both ends are given.
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None:
            problem = periods.range_problem(start, end)
        else:
            problem = next(
                (periods.window_problem(day) for day in (start, end) if day is not None), None
            )
        if problem:
            raise serializers.ValidationError(problem)
        return data


class SurveyResponseList(APIView):
    """Managers: answered surveys, newest sent first; by the days they were sent (in the
    helpdesk's time zone, as in the CSAT report) and by rating."""

    permission_classes = MANAGERS

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="Sent on or after this day."),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Sent on or before this day."),
            OpenApiParameter("rating", str, enum=Rating.values),
            *PAGE_PARAMETERS,
        ],
        responses={200: SurveyResponsePageSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        filters = ResponseFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows, following = page(request, selectors.responses(**filters.validated_data))
        return Response(
            {"results": SurveyResponseSerializer(rows, many=True).data, "next": following}
        )


class TicketSurveySerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        SURVEY_STATES,
        help_text="not_sent (none yet: the ticket has not closed, or surveys are off or opted "
        "out), waiting for an answer, expired unanswered, or answered.",
    )
    sent_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)
    rating = serializers.ChoiceField(Rating.choices, allow_null=True)
    reason = serializers.CharField(allow_null=True)
    comment = serializers.CharField(allow_null=True)
    agent = PersonSerializer(allow_null=True)


def _state(survey: SurveyInvitation | None) -> dict:
    if survey is None:
        empty = dict.fromkeys(TicketSurveySerializer().fields, None)
        return {**empty, "state": "not_sent"}
    if survey.rating:
        state = "answered"
    elif survey.expires_at <= timezone.now():
        state = "expired"
    else:
        state = "waiting"
    return {
        "state": state,
        "sent_at": survey.sent_at,
        "expires_at": survey.expires_at,
        "answered_at": survey.answered_at,
        "rating": survey.rating or None,
        "reason": survey.reason if survey.rating else None,
        "comment": survey.comment if survey.rating else None,
        "agent": survey.agent,
    }


class TicketSurvey(APIView):
    """Staff: the ticket's satisfaction survey, as the agent's ticket page shows it."""

    permission_classes = STAFF

    @extend_schema(
        operation_id="tickets_survey_retrieve",
        responses={200: TicketSurveySerializer, **error_responses(403, 404)},
    )
    def get(self, request, number: int):
        survey = selectors.survey_for_ticket(ticket_for_request(request, number))
        return Response(TicketSurveySerializer(_state(survey)).data)
