"""REST API of tickets.collaboration: a ticket's CCs and followers, and your notifications.

Same rules as the pages: whoever may see a ticket sees who is copied on it; staff and the
ticket's requester copy people on it and take them off (the services decide, with the pages'
messages); followers are for staff; each person reads only their own notifications.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_auth import MEMBER, STAFF
from core.api_errors import error_responses
from core.api_inputs import PAGE_PARAMETERS, page, page_serializer
from tickets import collaboration
from tickets import collaboration_selectors as people
from tickets.api import PersonSerializer, ticket_for_request
from tickets.models import Notification, TicketCC, TicketFollower


class CCSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, min_value=1)
    has_account = serializers.SerializerMethodField(
        help_text="True when the address belongs to a member, who may then answer on the portal."
    )

    class Meta:
        model = TicketCC
        fields = ["id", "email", "has_account", "created_at"]
        read_only_fields = fields

    def get_has_account(self, cc) -> bool:
        return cc.user_id is not None


class CCCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class FollowerSerializer(serializers.ModelSerializer):
    user = PersonSerializer(read_only=True)

    class Meta:
        model = TicketFollower
        fields = ["user", "created_at"]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, min_value=1)
    ticket = serializers.SerializerMethodField(help_text="The ticket's number.")

    class Meta:
        model = Notification
        fields = ["id", "kind", "ticket", "text", "created_at", "read_at"]
        read_only_fields = fields

    def get_ticket(self, notification) -> int:
        return notification.ticket.number


NotificationPageSerializer = page_serializer(NotificationSerializer, "NotificationPageSerializer")


class TicketCCs(APIView):
    """Who is copied on the ticket (everyone who sees it). POST copies an address: staff, or
    the ticket's requester, with the pages' rules (a valid address that is not the requester's,
    an agent's, this helpdesk's own or a bounced one; at most 20)."""

    permission_classes = MEMBER

    @extend_schema(responses={200: CCSerializer(many=True), **error_responses(404)})
    def get(self, request, number: int):
        ticket = ticket_for_request(request, number)
        return Response(CCSerializer(people.ccs(ticket), many=True).data)

    @extend_schema(
        request=CCCreateSerializer,
        responses={201: CCSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, number: int):
        ticket = ticket_for_request(request, number)
        wanted = CCCreateSerializer(data=request.data)
        wanted.is_valid(raise_exception=True)
        cc = collaboration.ticket_cc_add(
            ticket=ticket,
            email=wanted.validated_data["email"],
            actor=request.user,
            membership=request.membership,
        )
        location = reverse("api:ticket_cc", kwargs={"number": ticket.number, "pk": cc.pk})
        return Response(
            CCSerializer(cc).data, status=status.HTTP_201_CREATED, headers={"Location": location}
        )


class TicketCCDetail(APIView):
    """DELETE stops copying the address (staff, the requester, or the person copied)."""

    permission_classes = MEMBER

    @extend_schema(responses={204: None, **error_responses(403, 404, 409)})
    def delete(self, request, number: int, pk: int):
        ticket = ticket_for_request(request, number)
        collaboration.ticket_cc_remove(
            ticket=ticket, cc_id=pk, actor=request.user, membership=request.membership
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class TicketFollowers(APIView):
    """Staff: who follows the ticket, in the order they started."""

    permission_classes = STAFF

    @extend_schema(responses={200: FollowerSerializer(many=True), **error_responses(403, 404)})
    def get(self, request, number: int):
        ticket = ticket_for_request(request, number)
        return Response(FollowerSerializer(people.followers(ticket), many=True).data)


class NotificationList(APIView):
    """Staff: your notifications in this helpdesk, newest first (``unread=true``: only those
    not yet opened). Reading them here does not mark them read."""

    permission_classes = STAFF

    @extend_schema(
        operation_id="notifications_list",
        parameters=[
            OpenApiParameter("unread", bool, description="Only the unread ones."),
            *PAGE_PARAMETERS,
        ],
        responses={200: NotificationPageSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        unread = request.query_params.get("unread", "")
        if unread not in ("", "true", "false"):
            raise serializers.ValidationError({"unread": ["Send true or false."]})
        rows = people.notification_rows(request.user, unread=unread == "true")
        found, following = page(request, rows)
        return Response(
            {"results": NotificationSerializer(found, many=True).data, "next": following}
        )
