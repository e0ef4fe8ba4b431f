"""Escalations in /api/v1/: the pages' forms and services, wired in helpdesk/api_urls.py.

On a ticket (``tickets/<number>/escalation/``) a member reads what the ticket pages show (its
requests, the decisions as the customer is told of them, whether a new request may be made)
and asks for one as on ``portal:ticket_escalate``: the customer on their own ticket, an agent
for the customer. Managers list the requests (the review queue, those in progress, all), read
one with every decision, and decide through the decision form; refusals keep the services'
code (``escalation_refused``) and status (409 for the request's or ticket's state).
"""

from __future__ import annotations

import zoneinfo

from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_auth import MANAGERS, MEMBER
from core.api_errors import error_responses
from core.api_inputs import PAGE_PARAMETERS, form_data, form_errors, page, page_serializer
from core.inputs import MAX_ID
from desk.priorities import Priority
from escalations import selectors, services
from escalations.forms import DecisionForm, RequestForm
from escalations.models import EscalationAction, EscalationRequest
from tenants.context import current_tenant
from tenants.selectors import staff_members
from tickets.api import PersonSerializer, ticket_for_request

Kind = EscalationAction.Kind
# The schema's names for these choice sets (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
REQUEST_STATUSES = EscalationRequest.Status.choices
DECISION_KINDS = Kind.choices

# What the decision email tells the customer of each decision (templates/emails/
# escalation_decision): the same words through the API, never the chosen agent's id.
CUSTOMER_DATA = ("at", "at_customer", "at_tenant", "channel", "agent", "priority", "reason", "note")


# ---- serializers --------------------------------------------------------------------------


class DecisionSerializer(serializers.ModelSerializer):
    """A decision as the customer is told of it."""

    id = serializers.IntegerField(read_only=True, min_value=1)
    details = serializers.SerializerMethodField(
        help_text="What the customer was told: at (ISO time), at_customer and at_tenant (as "
        "written in the email), channel, agent (a name), priority, reason, note; each only "
        "when the decision has it."
    )

    class Meta:
        model = EscalationAction
        fields = ["id", "kind", "created_at", "details"]
        read_only_fields = fields

    def get_details(self, action) -> dict[str, str]:
        return {k: str(v) for k, v in action.data.items() if k in CUSTOMER_DATA}


class DecisionStaffSerializer(DecisionSerializer):
    actor = PersonSerializer(read_only=True)
    data = serializers.DictField(
        read_only=True, help_text="Everything recorded with the decision (agent_id included)."
    )

    class Meta(DecisionSerializer.Meta):
        fields = ["id", "kind", "actor", "created_at", "details", "data"]
        read_only_fields = fields


class TicketEscalationSerializer(serializers.ModelSerializer):
    """A request as the ticket pages show it (to its customer too)."""

    id = serializers.IntegerField(read_only=True, min_value=1)
    raised_by_agent = serializers.SerializerMethodField(
        help_text="True when an agent asked on the customer's behalf."
    )
    decisions = serializers.SerializerMethodField()

    class Meta:
        model = EscalationRequest
        fields = [
            "id",
            "status",
            "requested_priority",
            "reason",
            "contact_phone",
            "best_times",
            "contact_time_zone",
            "raised_by_agent",
            "created_at",
            "resolved_at",
            "decisions",
        ]
        read_only_fields = fields

    def get_raised_by_agent(self, request) -> bool:
        return request.raised_by_agent_id is not None

    @extend_schema_field(DecisionSerializer(many=True))
    def get_decisions(self, request) -> list[dict]:
        return DecisionSerializer(request.actions.all(), many=True).data


class TicketEscalationStateSerializer(serializers.Serializer):
    can_escalate = serializers.BooleanField(help_text="Whether a new request may be made now.")
    blocker = serializers.CharField(
        allow_null=True, help_text="Why not, in a sentence (null when one may be made)."
    )
    escalations = TicketEscalationSerializer(many=True, help_text="Newest first.")


class EscalationTicketSerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=1)
    subject = serializers.CharField()
    status = serializers.CharField()
    priority = serializers.CharField()


class EscalationSerializer(serializers.ModelSerializer):
    """A request in the managers' lists."""

    id = serializers.IntegerField(read_only=True, min_value=1)
    ticket = EscalationTicketSerializer(read_only=True)
    requested_by = PersonSerializer(read_only=True)
    raised_by_agent = PersonSerializer(
        read_only=True, allow_null=True, help_text="The agent who asked for the customer."
    )
    review_due_at = serializers.DateTimeField(
        read_only=True, help_text="When a manager's first decision is due."
    )

    class Meta:
        model = EscalationRequest
        fields = [
            "id",
            "ticket",
            "status",
            "requested_priority",
            "reason",
            "requested_by",
            "raised_by_agent",
            "created_at",
            "review_due_at",
            "first_action_at",
            "resolved_at",
        ]
        read_only_fields = fields


class EscalationDetailSerializer(EscalationSerializer):
    decisions = DecisionStaffSerializer(many=True, read_only=True, source="actions")
    allowed_decisions = serializers.SerializerMethodField(
        help_text="The decisions its ticket allows now (a closed ticket: resolve or decline)."
    )
    closed_note = serializers.SerializerMethodField(
        help_text="Why only some decisions are allowed (its ticket closed), or null."
    )

    class Meta(EscalationSerializer.Meta):
        fields = [
            *EscalationSerializer.Meta.fields,
            "contact_phone",
            "best_times",
            "contact_time_zone",
            "decisions",
            "allowed_decisions",
            "closed_note",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(Kind.choices)))
    def get_allowed_decisions(self, request) -> list[str]:
        allowed = services.decisions_allowed(request.ticket)
        return [kind for kind in Kind.values if kind in allowed]

    @extend_schema_field({"type": "string", "nullable": True})
    def get_closed_note(self, request) -> str | None:
        return services.closed_ticket_note(request.ticket)


EscalationPageSerializer = page_serializer(EscalationSerializer, "EscalationPageSerializer")


class EscalationCreateSerializer(serializers.Serializer):
    """For the schema: the request form's fields (its rules are the form's, as on the page)."""

    reason = serializers.CharField(max_length=5000)
    requested_priority = serializers.ChoiceField(
        Priority.choices, required=False, help_text="Default: the ticket's priority."
    )
    contact_phone = serializers.CharField(required=False, max_length=40)
    best_times = serializers.CharField(required=False, max_length=200)
    contact_time_zone = serializers.CharField(
        required=False, help_text="An IANA time zone, e.g. America/Chicago."
    )


class DecisionCreateSerializer(serializers.Serializer):
    """For the schema: the decision form's fields; each kind needs its own."""

    kind = serializers.ChoiceField(Kind.choices)
    at = serializers.DateTimeField(
        required=False,
        help_text="conversation (required): when; without an offset, the helpdesk's wall time.",
    )
    channel = serializers.CharField(
        required=False, max_length=100, help_text="conversation: how (phone, video call...)."
    )
    agent = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="reassign (required): the agent's user id.",
    )
    priority = serializers.ChoiceField(
        Priority.choices, required=False, help_text="priority (required): the new priority."
    )
    note = serializers.CharField(
        required=False,
        max_length=2000,
        help_text="conversation, reassign, resolve: a note; decline (required): the reason.",
    )


# ---- views --------------------------------------------------------------------------------


class TicketEscalation(APIView):
    """The ticket's escalation requests, as its pages show them, and a new request (the
    customer on their own ticket; an agent for its customer)."""

    permission_classes = MEMBER

    @extend_schema(
        operation_id="tickets_escalation_retrieve",
        responses={200: TicketEscalationStateSerializer, **error_responses(404)},
    )
    def get(self, request, number: int):
        state = selectors.escalation_state(ticket_for_request(request, number))
        return Response(TicketEscalationStateSerializer(state).data)

    @extend_schema(
        operation_id="tickets_escalation_create",
        request=EscalationCreateSerializer,
        responses={201: TicketEscalationSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, number: int):
        ticket = ticket_for_request(request, number)
        data = form_data(request.data, RequestForm.base_fields)
        # The page offers the ticket's own priority first.
        data.setdefault("requested_priority", ticket.priority)
        form = RequestForm(data)
        if not form.is_valid():
            raise form_errors(form)
        made = services.escalation_request(
            ticket=ticket, actor=request.user, membership=request.membership, **form.cleaned_data
        )
        location = reverse("api:ticket_escalation", kwargs={"number": ticket.number})
        return Response(
            TicketEscalationSerializer(made).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


class EscalationList(APIView):
    """Managers: the review queue (``state=open``, the default), the requests a manager is
    handling (``in_progress``), both oldest first, or every request newest first (``all``)."""

    permission_classes = MANAGERS

    @extend_schema(
        operation_id="escalations_list",
        parameters=[
            OpenApiParameter("state", str, enum=list(selectors.LIST_STATES)),
            *PAGE_PARAMETERS,
        ],
        responses={200: EscalationPageSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        state = request.query_params.get("state", "open")
        if state not in selectors.LIST_STATES:
            choices = ", ".join(selectors.LIST_STATES)
            raise serializers.ValidationError({"state": [f"Choose one of: {choices}."]})
        rows, following = page(request, selectors.request_list(state))
        return Response({"results": EscalationSerializer(rows, many=True).data, "next": following})


def _escalation(pk: int) -> EscalationRequest:
    try:
        return selectors.request_for_review(pk)
    except Http404:
        raise exceptions.NotFound("No such escalation request.") from None


class EscalationDetail(APIView):
    """Managers: one request with its ticket, contact details and every decision."""

    permission_classes = MANAGERS

    @extend_schema(responses={200: EscalationDetailSerializer, **error_responses(403, 404)})
    def get(self, request, pk: int):
        return Response(EscalationDetailSerializer(_escalation(pk)).data)


class EscalationDecisions(APIView):
    """Managers: decide. ``kind`` conversation (``at``, ``channel``, ``note``), reassign
    (``agent``, ``note``), priority (``priority``), decline (``note``: the reason) or resolve
    (``note``). Checked by the review page's form, carried out by the kind's service; its
    refusals (a settled request, a closed ticket) are 409."""

    permission_classes = MANAGERS

    @extend_schema(
        request=DecisionCreateSerializer,
        responses={201: EscalationDetailSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        escalation = _escalation(pk)
        form = DecisionForm(
            form_data(request.data, DecisionForm.base_fields), agents=staff_members()
        )
        # A time without an offset is the helpdesk's wall time, as on the review page.
        with timezone.override(zoneinfo.ZoneInfo(current_tenant().time_zone)):
            valid = form.is_valid()
        if not valid:
            raise form_errors(form)
        services.escalation_decide(
            request=escalation,
            actor=request.user,
            membership=request.membership,
            **form.cleaned_data,
        )
        return Response(
            EscalationDetailSerializer(_escalation(pk)).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("api:escalation", kwargs={"pk": pk})},
        )
