"""REST API for merging, splitting and linking tickets (staff only), over tickets.merging.

Refusals come back in the API's one error body (``core.api_errors``): 400 for input that
cannot be used (a ticket merged or linked to itself, a number with no ticket), 404 for a
ticket, message or link that is not here, 409 when the rules refuse (a closed ticket, a chain
of merges, too many links).
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_auth import STAFF
from core.api_errors import error_responses
from core.inputs import MAX_ID
from tickets import merging, selectors
from tickets.api import TicketDetailSerializer, etag, ticket_for_request
from tickets.models import Ticket

SUBJECT_MAX = merging.SUBJECT_MAX


class TicketNumberSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Its number.")


class MergeSerializer(serializers.Serializer):
    target = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The number of the ticket that continues."
    )


class MergedSerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=1, help_text="The merged ticket (now closed).")
    merged_into = serializers.IntegerField(min_value=1, help_text="The ticket it went into.")
    messages = serializers.IntegerField(min_value=0, help_text="Messages moved by this call.")
    files = serializers.IntegerField(min_value=0, help_text="Files moved by this call.")
    repeated = serializers.BooleanField(
        help_text="True when this merge had been made before: nothing changed, no email."
    )


class SplitSerializer(serializers.Serializer):
    comment = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The id of a public message of this ticket."
    )
    subject = serializers.CharField(
        max_length=SUBJECT_MAX,
        required=False,
        help_text="The new ticket's subject (default: the message's first line).",
    )


class LinkedTicketSerializer(serializers.ModelSerializer):
    number = serializers.IntegerField(read_only=True, min_value=1)

    class Meta:
        model = Ticket
        fields = ["number", "subject", "status"]
        read_only_fields = fields


class TicketMerge(APIView):
    """Staff: merge this ticket (a duplicate) into another of this helpdesk. Its messages and
    files move to the target, it is closed with a pointer, its customer is emailed once.
    Retrying a merge that was made answers 200 with ``repeated`` and changes nothing."""

    permission_classes = STAFF

    @extend_schema(
        request=MergeSerializer,
        responses={200: MergedSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, number: int):
        source = ticket_for_request(request, number)
        body = MergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        target = selectors.other_ticket(body.validated_data["target"])
        merged = merging.ticket_merge(source=source, target=target, actor=request.user)
        return Response(
            MergedSerializer(
                {
                    "number": source.number,
                    "merged_into": merged.target.number,
                    "messages": merged.messages,
                    "files": merged.files,
                    "repeated": merged.repeated,
                }
            ).data
        )


class TicketSplit(APIView):
    """Staff: move one public message (and its files) of this ticket to a new ticket of the
    same requester. The answer is the new ticket."""

    permission_classes = STAFF

    @extend_schema(
        request=SplitSerializer,
        responses={201: TicketDetailSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, number: int):
        ticket = ticket_for_request(request, number)
        body = SplitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        subject = body.validated_data.get("subject")
        if subject is None:
            comment = ticket.comments.filter(pk=body.validated_data["comment"]).first()
            if comment is None:
                raise exceptions.NotFound(f"Ticket #{ticket.number} has no such message.")
            subject = merging.default_split_subject(comment, ticket)
        new = merging.comment_split(
            ticket=ticket,
            comment_id=body.validated_data["comment"],
            actor=request.user,
            subject=subject,
        )
        data = TicketDetailSerializer(new, context={"request": request}).data
        location = reverse("api:ticket", kwargs={"number": new.number})
        return Response(
            data, status=status.HTTP_201_CREATED, headers={"Location": location, "ETag": etag(new)}
        )


class TicketLinks(APIView):
    """Staff: the tickets linked to this one (a link shows on both), and linking another.
    Linking a pair again answers 200 and changes nothing."""

    permission_classes = STAFF

    @extend_schema(responses={200: LinkedTicketSerializer(many=True), **error_responses(403, 404)})
    def get(self, request, number: int):
        ticket = ticket_for_request(request, number)
        return Response(LinkedTicketSerializer(selectors.linked_tickets(ticket), many=True).data)

    @extend_schema(
        request=TicketNumberSerializer,
        responses={
            201: LinkedTicketSerializer,
            200: LinkedTicketSerializer,
            **error_responses(400, 403, 404, 409),
        },
    )
    def post(self, request, number: int):
        ticket = ticket_for_request(request, number)
        body = TicketNumberSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        other = selectors.other_ticket(body.validated_data["ticket"])
        _link, created = merging.ticket_link(ticket=ticket, other=other, actor=request.user)
        return Response(
            LinkedTicketSerializer(other).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class TicketLinkDetail(APIView):
    """Staff: remove the link between this ticket and ticket ``other`` (404 when none)."""

    permission_classes = STAFF

    @extend_schema(responses={204: None, **error_responses(403, 404)})
    def delete(self, request, number: int, other: int):
        ticket = ticket_for_request(request, number)
        linked = selectors.ticket_by_number(other)
        if linked is None:
            raise exceptions.NotFound("No such ticket.")
        merging.ticket_unlink(ticket=ticket, other=linked, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
