"""REST API, /api/v1/: the same forms, selectors and services as the HTML pages.

Customers see what the portal shows them (their visible tickets, public messages and files);
staff see everything in their tenant, internal notes and the timeline included. Errors are one
JSON body (``core.api_errors``): 400 for bad input, 404 alike for missing and not yours, 409
when the lifecycle refuses a change, 412 when ``If-Match`` names a version that is gone.
"""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.http import Http404, QueryDict
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiTypes,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_auth import MEMBER, STAFF
from core.api_errors import error_responses
from core.api_inputs import MAX_PAGE, form_errors, limit
from core.errors import InvalidInput
from core.inputs import MAX_BODY_CHARS, MAX_ID
from desk.priorities import Priority
from tenants.selectors import staff_user
from tickets import attachments as files
from tickets import queue, selectors, services, teams
from tickets.forms import ReplyForm
from tickets.lifecycle import AGENT_SUBMIT_AS
from tickets.models import Attachment, Comment, Ticket, TicketEvent, TicketFormField
from tickets.portal.forms import TicketSubmissionForm

FieldType = TicketFormField.FieldType
# The schema's StatusEnum (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]): other resources have
# a status of their own.
TICKET_STATUSES = Ticket.Status.choices
PARSERS = [parsers.JSONParser, parsers.MultiPartParser, parsers.FormParser]


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "stale_version"
    default_detail = (
        "The ticket changed since you read it: read it again (its ETag) and retry your change."
    )


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "if_match_required"
    default_detail = (
        "Send If-Match with the ticket's ETag (from reading it), so that a change made by "
        "someone else meanwhile is not overwritten."
    )


# ---- serializers --------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    # A person by user id, with the name the pages show (the user's display name).
    id = serializers.IntegerField(min_value=1)
    name = serializers.CharField(source="display_name")


class TeamRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1)
    name = serializers.CharField()


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Download it here (same rules as reading).")
    size = serializers.IntegerField(read_only=True, min_value=0, help_text="Bytes.")
    id = serializers.IntegerField(read_only=True, min_value=1)

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "url"]
        read_only_fields = fields

    def get_url(self, attachment) -> str:
        number = self.context["number"]
        return reverse("api:ticket_attachment", kwargs={"number": number, "pk": attachment.pk})


class CommentSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, min_value=1)
    author = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "author", "is_public", "body", "body_html", "created_at", "attachments"]
        read_only_fields = fields

    def get_author(self, comment) -> str:
        return comment.author.display_name if comment.author else comment.author_email

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, comment) -> list[dict]:
        return AttachmentSerializer(comment.attachments.all(), many=True, context=self.context).data


class TicketSerializer(serializers.ModelSerializer):
    # Declared, not derived from the model: the schema must not change with the database
    # (integer ranges differ between SQLite and PostgreSQL).
    number = serializers.IntegerField(read_only=True, min_value=1)
    follow_up_of = serializers.SerializerMethodField(
        help_text="The number of the closed ticket this one follows up, if any."
    )
    assignee = serializers.SerializerMethodField(help_text="The agent handling it, if any.")
    team = serializers.SerializerMethodField(
        help_text="Staff: the team it is routed to, if any (always null for customers)."
    )
    next_update_due_at = serializers.SerializerMethodField(
        help_text="Staff: when an agent's next public update is due (null when none is owed, "
        "and always null for customers: the portal does not show it)."
    )

    class Meta:
        model = Ticket
        fields = [
            "number",
            "subject",
            "status",
            "priority",
            "requester_email",
            "assignee",
            "team",
            "channel",
            "created_at",
            "updated_at",
            "solved_at",
            "closed_at",
            "next_update_due_at",
            "follow_up_of",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "integer", "minimum": 1, "nullable": True})
    def get_follow_up_of(self, ticket) -> int | None:
        return ticket.follow_up_of.number if ticket.follow_up_of_id else None

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_next_update_due_at(self, ticket) -> str | None:
        request = self.context.get("request")
        staff = request is not None and request.membership.is_staff_role
        due = ticket.next_update_due_at
        return serializers.DateTimeField().to_representation(due) if staff and due else None

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_assignee(self, ticket) -> dict | None:
        return PersonSerializer(ticket.assignee).data if ticket.assignee_id else None

    @extend_schema_field(TeamRefSerializer(allow_null=True))
    def get_team(self, ticket) -> dict | None:
        request = self.context.get("request")
        staff = request is not None and request.membership.is_staff_role
        return TeamRefSerializer(ticket.team).data if staff and ticket.team_id else None


class TicketDetailSerializer(TicketSerializer):
    comments = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "form_answers", "comments"]
        read_only_fields = fields

    @extend_schema_field(CommentSerializer(many=True))
    def get_comments(self, ticket) -> list[dict]:
        membership = self.context["request"].membership
        context = {**self.context, "number": ticket.number}
        return CommentSerializer(
            selectors.conversation(ticket, membership), many=True, context=context
        ).data


class TicketPageSerializer(serializers.Serializer):
    results = TicketSerializer(many=True)
    next = serializers.CharField(
        allow_null=True, help_text="The next page's URL (the same filters), or null at the end."
    )
    count = serializers.IntegerField(
        min_value=0, help_text="Matching tickets, up to a cap (1,000; 100 with q)."
    )
    count_capped = serializers.BooleanField(help_text="True when there are more than count.")


class TicketCreateSerializer(serializers.Serializer):
    """For the schema: what a new ticket is made of. The tenant's own questions (its ticket
    form) go in ``answers`` by key; their rules are the form's, checked as on the portal."""

    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=MAX_BODY_CHARS)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    answers = serializers.DictField(
        required=False,
        help_text="Answers to the helpdesk's questions by key (see its ticket form); a list "
        "question takes a list of strings. Files go in a multipart request as answers.<key>.",
    )
    requester_email = serializers.EmailField(
        required=False,
        help_text="Staff only: the customer the ticket is for (default: yourself).",
    )


class TicketUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    assignee = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="An agent's user id, or null to unassign.",
    )
    team = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="A team's id (see /api/v1/teams/), or null for no team.",
    )


class ReplySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_BODY_CHARS)
    public = serializers.BooleanField(
        default=True, help_text="False writes an internal note (staff only)."
    )
    submit_as = serializers.ChoiceField(
        choices=AGENT_SUBMIT_AS,
        required=False,
        help_text="Staff: the status the ticket takes with this reply (default open).",
    )


class EventSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, min_value=1)
    actor = serializers.SerializerMethodField()

    class Meta:
        model = TicketEvent
        fields = ["id", "kind", "actor", "actor_kind", "before", "after", "data", "created_at"]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "nullable": True})
    def get_actor(self, event) -> str | None:
        return event.actor.display_name if event.actor_id else None


# ---- helpers ------------------------------------------------------------------------------


def ticket_for_request(request, number: int) -> Ticket:
    """The ticket as the caller may see it, or the API's 404 (alike for missing and not yours):
    the feature apps' ticket endpoints look tickets up through this too."""
    try:
        return selectors.ticket_for_viewer(request.membership, number)
    except Http404:
        raise exceptions.NotFound("No such ticket.") from None


def etag(ticket: Ticket) -> str:
    """The ticket's version as an entity tag: any change (a reply, status, priority, assignee)
    moves ``updated_at``, so the tag changes with it."""
    version = f"{ticket.pk}:{ticket.updated_at.isoformat()}:{ticket.status}:{ticket.priority}"
    version += f":{ticket.assignee_id}:{ticket.team_id}"
    return '"' + hashlib.sha256(version.encode()).hexdigest()[:32] + '"'


def _detail(request, ticket: Ticket, *, code=status.HTTP_200_OK, headers=None) -> Response:
    data = TicketDetailSerializer(ticket, context={"request": request}).data
    return Response(data, status=code, headers={"ETag": etag(ticket), **(headers or {})})


def _form_data(request, definitions) -> tuple[QueryDict, MultiValueDict]:
    """The API's ticket fields as the portal form's (its questions are ``q_<key>``): JSON's
    ``answers`` object, or a multipart request's ``answers.<key>`` fields and files."""
    data, uploads = QueryDict(mutable=True), MultiValueDict()
    raw = request.data
    if not isinstance(raw, dict) and not hasattr(raw, "getlist"):
        raise serializers.ValidationError("Send the ticket as an object.")
    for name in ("subject", "description", "priority"):
        value = raw.get(name)
        if value is not None and not isinstance(value, dict | list):
            data[name] = str(value)
    data.setdefault("priority", Priority.NORMAL)
    answers = raw.get("answers") if not hasattr(raw, "getlist") else None
    if answers is not None and not isinstance(answers, dict):
        raise serializers.ValidationError({"answers": ["Send the answers as an object by key."]})
    for definition in definitions:
        field = f"q_{definition.key}"
        if hasattr(raw, "getlist"):  # multipart or form-encoded
            if definition.field_type == FieldType.FILES:
                uploads.setlist(field, request.FILES.getlist(f"answers.{definition.key}"))
            else:
                data.setlist(field, raw.getlist(f"answers.{definition.key}"))
            continue
        value = (answers or {}).get(definition.key)
        if value is None:
            continue
        if definition.field_type == FieldType.FILES:
            raise serializers.ValidationError(
                {f"answers.{definition.key}": ["Send files in a multipart request."]}
            )
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, dict | list) for v in values):
            raise serializers.ValidationError(
                {f"answers.{definition.key}": ["Send text, or a list of texts."]}
            )
        if definition.field_type == FieldType.MULTI_CHOICE:
            data.setlist(field, [str(v) for v in values])
        else:
            data[field] = "\n".join(str(v) for v in values)
    return data, uploads


def _answer_name(name: str) -> str:
    """The API's name of a ticket form field: its questions are ``answers.<key>``."""
    return f"answers.{name[2:]}" if name.startswith("q_") else name


# ---- views --------------------------------------------------------------------------------

STAFF_FILTERS = [
    OpenApiParameter(
        "status",
        str,
        many=True,
        # Staff filter by the statuses themselves; a customer's list has My tickets' tabs.
        enum=[
            *Ticket.Status.values,
            *(k for k in selectors.REQUESTER_STATUS_FILTERS if k not in Ticket.Status.values),
        ],
        description="Staff: any of the statuses (default the unsolved ones). Customers: one of "
        "unsolved (default), solved, closed or all.",
    ),
    OpenApiParameter("priority", str, many=True, enum=Priority.values, description="Staff."),
    OpenApiParameter("assignee", str, description='Staff: "me", "unassigned" or a user id.'),
    OpenApiParameter("team", str, description='Staff: "mine" (your teams), "none" or a team id.'),
    OpenApiParameter("organization", int, description="Staff: an organization's id."),
    OpenApiParameter("requester", str, description="Staff: part of the requester's address."),
    OpenApiParameter("overdue", bool, description="Staff: only tickets whose update is late."),
    OpenApiParameter("outdated", bool, description="Staff: only unsupported app versions."),
    OpenApiParameter(
        "q",
        str,
        description='"#number" (that ticket), or words: each must begin a word of the subject '
        "or of a message.",
    ),
    OpenApiParameter(
        "tag",
        str,
        many=True,
        description="Staff: only tickets carrying every tag named (repeat for several, at most "
        f"{queue.tags.MAX_FILTER}; case does not matter).",
    ),
    OpenApiParameter("sort", str, enum=list(queue.SORTS), description="Staff: the queue's order."),
    OpenApiParameter("cursor", str, description="From the previous page's next link."),
    OpenApiParameter("limit", int, description=f"Tickets per page, 1 to {MAX_PAGE} (default 50)."),
]


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag you read the ticket with; 412 if it has changed since.",
)
ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="The ticket's version, to send back as If-Match when changing it.",
)


class TicketList(APIView):
    """Tickets you can see: staff get the agent queue (every filter, its order, keyset pages);
    customers get their My tickets list, newest first. POST submits a new ticket through the
    helpdesk's ticket form, with the same questions and checks as its portal."""

    permission_classes = MEMBER
    parser_classes = PARSERS

    @extend_schema(
        operation_id="tickets_list",
        parameters=STAFF_FILTERS,
        responses={200: TicketPageSerializer, **error_responses(400)},
    )
    def get(self, request):
        membership = request.membership
        params = request.query_params
        if membership.is_staff_role:
            filters = queue.QueueFilterForm(params)
            if not filters.is_valid():
                raise form_errors(filters)
            data = filters.cleaned_data
            tickets = queue.filtered(data, request.user)
            sort = data.get("sort") or ""
            cap = queue.count_cap(data)
        else:
            wanted = params.get("status", "unsolved")
            if wanted not in selectors.REQUESTER_STATUS_FILTERS:
                choices = ", ".join(selectors.REQUESTER_STATUS_FILTERS)
                raise serializers.ValidationError({"status": [f"Choose one of: {choices}."]})
            query = params.get("q", "")
            if len(query) > 200:
                raise serializers.ValidationError({"q": ["Search with at most 200 characters."]})
            tickets = selectors.requester_tickets(
                membership, status=wanted, organization_wide=True, query=query.strip()
            ).order_by("-created_at", "-id")
            sort = "newest"
            cap = queue.COUNT_CAP
        size = limit(params)
        try:
            found = queue.page(tickets, params.get("cursor") or None, size=size, sort=sort, cap=cap)
        except queue.InvalidCursor as error:
            raise serializers.ValidationError({"cursor": [str(error)]}) from None
        following = None
        if found.next_cursor:
            query = params.copy()
            query["cursor"] = found.next_cursor
            following = f"{request.path}?{query.urlencode()}"
        return Response(
            {
                "results": TicketSerializer(
                    found.tickets, many=True, context={"request": request}
                ).data,
                "next": following,
                "count": found.count,
                "count_capped": found.count_capped,
            }
        )

    @extend_schema(
        request={
            "application/json": TicketCreateSerializer,
            "multipart/form-data": TicketCreateSerializer,
        },
        parameters=[ETAG],
        responses={201: TicketDetailSerializer, **error_responses(400, 403)},
    )
    def post(self, request):
        membership = request.membership
        definitions = selectors.form_questions()
        data, uploads = _form_data(request, definitions)
        email = request.user.email
        requester = request.user
        asked_for = request.data.get("requester_email")
        if asked_for not in (None, ""):
            if not membership.is_staff_role:
                raise exceptions.PermissionDenied("Only staff submit tickets for someone else.")
            data["email"] = str(asked_for)
        form = TicketSubmissionForm(
            data, uploads, definitions=definitions, signed_in="email" not in data
        )
        if not form.is_valid():
            raise form_errors(form, rename=_answer_name)
        if "email" in data:
            email = form.cleaned_data["email"]
            requester = selectors.member_with_verified_email(email)
        ticket = services.ticket_submit(
            requester_email=email,
            requester=requester,
            subject=form.cleaned_data["subject"],
            description=form.cleaned_data["description"],
            priority=form.cleaned_data["priority"],
            answers=form.answers(),
            uploads=form.uploads(),
            channel=Ticket.Channel.API,
        )
        location = reverse("api:ticket", kwargs={"number": ticket.number})
        return _detail(
            request, ticket, code=status.HTTP_201_CREATED, headers={"Location": location}
        )


class TicketDetail(APIView):
    """One ticket with its conversation (public messages only, unless you are staff). Its
    ``ETag`` is the version to send as ``If-Match`` when changing it."""

    permission_classes = MEMBER

    @extend_schema(
        parameters=[ETAG], responses={200: TicketDetailSerializer, **error_responses(404)}
    )
    def get(self, request, number: int):
        return _detail(request, ticket_for_request(request, number))

    @extend_schema(
        request=TicketUpdateSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: TicketDetailSerializer, **error_responses(400, 403, 404, 409, 412, 428)},
    )
    def patch(self, request, number: int):
        """Staff: change status, priority, assignee or team, through the lifecycle (each
        change on the timeline, the solved email sent), all or nothing."""
        if not request.membership.is_staff_role:
            raise exceptions.PermissionDenied("Only staff change a ticket's fields.")
        seen = ticket_for_request(request, number)  # 404 first: nothing said of others' tickets
        changes = TicketUpdateSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        wanted = changes.validated_data
        if not wanted:
            raise serializers.ValidationError(
                "Send at least one of status, priority, assignee, team."
            )
        expected = request.headers.get("If-Match")
        if not expected:
            raise PreconditionRequired
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().get(pk=seen.pk)
            if expected.strip() not in (etag(ticket), "*"):
                raise PreconditionFailed
            if "priority" in wanted:
                ticket = services.ticket_set_priority(
                    ticket=ticket, actor=request.user, priority=wanted["priority"]
                )
            if "assignee" in wanted:
                assignee = None
                if wanted["assignee"] is not None:
                    assignee = staff_user(wanted["assignee"])
                    if assignee is None:
                        raise InvalidInput("Tickets can only be assigned to agents here.")
                ticket = services.ticket_assign(
                    ticket=ticket, actor=request.user, assignee=assignee
                )
            if "team" in wanted:
                team = None
                if wanted["team"] is not None:
                    team = teams.team_for_id(wanted["team"])
                    if team is None:
                        raise InvalidInput("Choose a team of this helpdesk.")
                ticket = teams.ticket_set_team(ticket=ticket, actor=request.user, team=team)
            if "status" in wanted:
                ticket = services.ticket_set_status(
                    ticket=ticket, actor=request.user, status=wanted["status"]
                )
        return _detail(request, ticket_for_request(request, number))


class TicketComments(APIView):
    """The ticket's messages in order (customers: public ones). POST replies: JSON, or a
    multipart request with files in ``files`` (logs) and ``screenshots`` (images), checked as
    on the pages. A customer's reply to a closed ticket starts a follow-up ticket: the answer
    is that ticket."""

    permission_classes = MEMBER
    parser_classes = PARSERS

    @extend_schema(responses={200: CommentSerializer(many=True), **error_responses(404)})
    def get(self, request, number: int):
        ticket = ticket_for_request(request, number)
        comments = selectors.conversation(ticket, request.membership)
        return Response(
            CommentSerializer(comments, many=True, context={"number": ticket.number}).data
        )

    @extend_schema(
        request={"application/json": ReplySerializer, "multipart/form-data": ReplySerializer},
        parameters=[ETAG],
        responses={201: TicketDetailSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, number: int):
        ticket = ticket_for_request(request, number)
        reply = ReplySerializer(data=request.data)
        reply.is_valid(raise_exception=True)
        form = ReplyForm(
            {"body": reply.validated_data["body"]},
            request.FILES if hasattr(request.data, "getlist") else None,
        )
        if not form.is_valid():
            raise form_errors(form)
        landed = services.ticket_reply(
            ticket=ticket,
            author=request.user,
            membership=request.membership,
            body=reply.validated_data["body"],
            public=reply.validated_data["public"],
            submit_as=reply.validated_data.get("submit_as"),
            uploads=form.uploads(),
            via="api",
        )
        location = reverse("api:ticket", kwargs={"number": landed.number})
        return _detail(
            request, landed, code=status.HTTP_201_CREATED, headers={"Location": location}
        )


class TicketEvents(APIView):
    """Staff: the ticket's timeline, oldest first."""

    permission_classes = STAFF

    @extend_schema(responses={200: EventSerializer(many=True), **error_responses(403, 404)})
    def get(self, request, number: int):
        ticket = ticket_for_request(request, number)
        return Response(EventSerializer(selectors.timeline(ticket), many=True).data)


class TicketAttachment(APIView):
    """Download one file, with the rules of the pages: customers only get files of public
    messages; always as a download, typed by its content."""

    permission_classes = MEMBER

    @extend_schema(
        responses={
            # Typed by its sniffed content: text/plain, application/zip, image/png, ...
            (200, "*/*"): OpenApiTypes.BINARY,
            **error_responses(404),
        }
    )
    def get(self, request, number: int, pk: int):
        try:
            attachment = selectors.attachment_for_viewer(request.membership, number, pk)
        except Http404:
            raise exceptions.NotFound("No such file.") from None
        return files.download_response(attachment)
