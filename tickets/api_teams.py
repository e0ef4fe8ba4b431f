"""Teams in /api/v1/ (staff, read only): who is in which team and whether they are away.
Teams are managed on Settings → Teams; a ticket's team is read and changed on the ticket
resource (tickets/api.py)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_auth import STAFF
from core.api_errors import error_responses
from core.api_inputs import PAGE_PARAMETERS, page, page_serializer
from tickets import teams
from tickets.models import Team


class TeamMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        source="membership.user_id", min_value=1, help_text="The person's user id."
    )
    name = serializers.CharField(source="membership.user.display_name")
    away = serializers.BooleanField(
        source="membership.is_away", help_text="Away: automatic assignment skips them."
    )


class TeamSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, min_value=1)
    is_default = serializers.BooleanField(read_only=True, help_text="New tickets join it.")
    unsolved_count = serializers.IntegerField(source="unsolved", read_only=True, min_value=0)
    members = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = ["id", "name", "is_default", "unsolved_count", "members"]
        read_only_fields = fields

    @extend_schema_field(TeamMemberSerializer(many=True))
    def get_members(self, team) -> list[dict]:
        return TeamMemberSerializer(team.member_list, many=True).data


TeamPageSerializer = page_serializer(TeamSerializer, "TeamPageSerializer")


class TeamList(APIView):
    """Staff: the helpdesk's teams by name, with their members."""

    permission_classes = STAFF

    @extend_schema(
        operation_id="teams_list",
        parameters=PAGE_PARAMETERS,
        responses={200: TeamPageSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        rows, following = page(request, teams.teams_with_members_query())
        return Response({"results": TeamSerializer(rows, many=True).data, "next": following})
