"""Tags in /api/v1/ (wired in helpdesk/api_urls.py): the tenant's tags, and one ticket's.

Tags are the staff's own words about tickets: customers see none (the portal shows none), so
every endpoint here is staff-only. Changes go through ``tickets.tagging`` (events on the
ticket's timeline); the vocabulary's rename, merge and delete stay on the settings page.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_auth import STAFF
from core.api_errors import error_responses
from core.api_inputs import PAGE_PARAMETERS, page, page_serializer
from tickets import tagging, tags
from tickets.api import ticket_for_request


class TagSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, min_value=1)
    name = serializers.CharField(read_only=True, max_length=tags.MAX_LENGTH)


class TagWithCountSerializer(TagSerializer):
    ticket_count = serializers.IntegerField(
        read_only=True, min_value=0, help_text="Tickets carrying the tag."
    )


class TicketTagsSerializer(serializers.Serializer):
    tags = TagSerializer(many=True, help_text="The ticket's tags, by name.")


class TagNamesSerializer(serializers.Serializer):
    tags = serializers.ListField(
        child=serializers.CharField(max_length=200, trim_whitespace=False),
        max_length=tags.MAX_PER_TICKET,
        help_text=f"Tag names (at most {tags.MAX_LENGTH} characters each; names that differ "
        "only in case are one tag; a new name becomes a tag).",
    )


TagPageSerializer = page_serializer(TagWithCountSerializer, "TagPageSerializer")


class TagList(APIView):
    """Staff: the helpdesk's tags by name, each with how many tickets carry it."""

    permission_classes = STAFF

    @extend_schema(
        operation_id="tags_list",
        parameters=PAGE_PARAMETERS,
        responses={200: TagPageSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        rows, following = page(request, tags.with_counts())
        return Response(
            {"results": TagWithCountSerializer(rows, many=True).data, "next": following}
        )


def _names(request) -> list[str]:
    sent = TagNamesSerializer(data=request.data)
    sent.is_valid(raise_exception=True)
    return sent.validated_data["tags"]


class TicketTags(APIView):
    """Staff: one ticket's tags. PUT makes them exactly the list sent (an empty list removes
        all), POST adds to them, DELETE removes the ``tag`` parameters' names (without any: every
    tag of the ticket). Each tag added or
        removed is an event on the ticket's timeline; a closed ticket's tags do not change (409)."""

    permission_classes = STAFF

    def _answer(self, ticket, code=status.HTTP_200_OK) -> Response:
        return Response({"tags": TagSerializer(tags.for_ticket(ticket), many=True).data}, code)

    @extend_schema(responses={200: TicketTagsSerializer, **error_responses(403, 404)})
    def get(self, request, number: int):
        return self._answer(ticket_for_request(request, number))

    @extend_schema(
        request=TagNamesSerializer,
        responses={200: TicketTagsSerializer, **error_responses(400, 403, 404, 409)},
    )
    def put(self, request, number: int):
        ticket = ticket_for_request(request, number)
        tagging.ticket_tags_set(
            ticket=ticket, actor=request.user, membership=request.membership, names=_names(request)
        )
        return self._answer(ticket)

    @extend_schema(
        request=TagNamesSerializer,
        responses={200: TicketTagsSerializer, **error_responses(400, 403, 404, 409)},
    )
    def post(self, request, number: int):
        ticket = ticket_for_request(request, number)
        names = _names(request)
        if not names:
            raise serializers.ValidationError({"tags": ["Send at least one tag name."]})
        tagging.ticket_tags_add(
            ticket=ticket, actor=request.user, membership=request.membership, names=names
        )
        return self._answer(ticket)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "tag", str, many=True, description="A tag name to remove (none: remove all)."
            )
        ],
        responses={200: TicketTagsSerializer, **error_responses(400, 403, 404, 409)},
    )
    def delete(self, request, number: int):
        ticket = ticket_for_request(request, number)
        names = request.query_params.getlist("tag")
        staff = {"ticket": ticket, "actor": request.user, "membership": request.membership}
        if names:
            tagging.ticket_tags_remove(names=names, **staff)
        else:
            tagging.ticket_tags_set(names=[], **staff)
        return self._answer(ticket)
