"""REST API, /api/v1/: the same selectors and services as the HTML views.

Customers see their visible tickets with public messages only; agents see everything in their
tenant, internal notes included. Errors are JSON: 400 for bad input, 404 alike for missing
and not yours, 409 when the lifecycle refuses a change.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, pagination, permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_auth import TokenScope
from core.api_errors import error_responses
from core.inputs import MAX_BODY_CHARS
from tickets import selectors, services
from tickets.lifecycle import AGENT_SUBMIT_AS
from tickets.models import Attachment, Comment, Ticket


class IsMember(permissions.BasePermission):
    def has_permission(self, request, view):
        if getattr(request, "membership", None) is not None:
            return True
        # A signed-in person who has not joined this helpdesk is told so, not to sign in.
        self.message = (
            "Join this helpdesk first (on its portal)."
            if request.user.is_authenticated
            else "Sign in to this helpdesk first."
        )
        return False


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    size = serializers.IntegerField(read_only=True, min_value=0, help_text="Bytes.")

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "url"]
        read_only_fields = fields

    def get_url(self, attachment) -> str:
        return f"/tickets/{attachment.ticket.number}/attachments/{attachment.pk}/"


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "author", "is_public", "body", "body_html", "created_at", "attachments"]
        read_only_fields = fields

    def get_author(self, comment) -> str:
        return comment.author.display_name if comment.author else comment.author_email


class TicketSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = [
            "number",
            "subject",
            "status",
            "priority",
            "requester_email",
            "created_at",
            "updated_at",
            "solved_at",
            "closed_at",
            "follow_up_of",
        ]
        read_only_fields = fields

    # Declared, not derived from the model: the schema must not change with the database
    # (integer ranges differ between SQLite and PostgreSQL).
    number = serializers.IntegerField(read_only=True, min_value=1)
    follow_up_of = serializers.SerializerMethodField(
        help_text="The number of the closed ticket this one follows up, if any."
    )

    @extend_schema_field({"type": "integer", "minimum": 1, "nullable": True})
    def get_follow_up_of(self, ticket) -> int | None:
        return ticket.follow_up_of.number if ticket.follow_up_of_id else None


class TicketDetailSerializer(TicketSerializer):
    comments = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "form_answers", "comments"]
        read_only_fields = fields

    @extend_schema_field(CommentSerializer(many=True))
    def get_comments(self, ticket) -> list[dict]:
        membership = self.context["request"].membership
        return CommentSerializer(selectors.conversation(ticket, membership), many=True).data


class NumberCursor(pagination.CursorPagination):
    ordering = "-number"
    page_size = 50


class TicketList(generics.ListAPIView):
    """Tickets you can see, newest first."""

    serializer_class = TicketSerializer
    permission_classes = [permissions.IsAuthenticated, TokenScope, IsMember]
    pagination_class = NumberCursor

    @extend_schema(responses={200: TicketSerializer(many=True), **error_responses(403)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.visible_tickets(self.request.membership).select_related("follow_up_of")


class TicketDetail(APIView):
    """One ticket with its conversation (public messages only, unless you are an agent)."""

    permission_classes = [permissions.IsAuthenticated, TokenScope, IsMember]
    serializer_class = TicketDetailSerializer

    @extend_schema(responses={200: TicketDetailSerializer, **error_responses(403, 404)})
    def get(self, request, number: int):
        ticket = _ticket(request, number)
        return Response(TicketDetailSerializer(ticket, context={"request": request}).data)


class ReplySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_BODY_CHARS)
    public = serializers.BooleanField(default=True)
    submit_as = serializers.ChoiceField(choices=AGENT_SUBMIT_AS, required=False)


class TicketReply(APIView):
    """Reply to a ticket (agents may write internal notes and choose the status)."""

    permission_classes = [permissions.IsAuthenticated, TokenScope, IsMember]
    serializer_class = ReplySerializer

    @extend_schema(
        request=ReplySerializer,
        responses={201: TicketDetailSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, number: int):
        ticket = _ticket(request, number)
        serializer = ReplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = request.membership
        landed = services.ticket_reply(
            ticket=ticket,
            author=request.user,
            membership=membership,
            body=serializer.validated_data["body"],
            public=serializer.validated_data["public"],
            submit_as=serializer.validated_data.get("submit_as"),
            via="api",
        )
        data = TicketDetailSerializer(landed, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


def _ticket(request, number: int) -> Ticket:
    try:
        return selectors.ticket_for_viewer(request.membership, number)
    except Http404:
        raise NotFound("No such ticket.") from None
