"""The helpdesk's people and settings in /api/v1/, wired in helpdesk/api_urls.py.

Staff read the members (the People page's team and the organizations' customers) and the
customer organizations, read only. Admins read and change the general settings through the
settings page's own form and service: a change sends only the settings that change, merged
onto the current ones, and is audited as on the page.
"""

from __future__ import annotations

import copy

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_auth import ADMINS, STAFF
from core.api_errors import error_responses
from core.api_inputs import PAGE_PARAMETERS, form_errors, page, page_serializer
from desk import services
from desk.forms import GeneralSettingsForm
from tenants import selectors
from tenants.context import current_tenant
from tenants.models import Membership, Organization, Tenant

Role = Membership.Role


# ---- members and organizations ------------------------------------------------------------


class OrganizationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1)
    name = serializers.CharField()


class MemberSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(
        source="user_id",
        read_only=True,
        min_value=1,
        help_text="The person's user id (a ticket's assignee is one).",
    )
    name = serializers.CharField(source="user.display_name", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    organization = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "name", "email", "role", "organization"]
        read_only_fields = fields

    @extend_schema_field(OrganizationRefSerializer(allow_null=True))
    def get_organization(self, membership) -> dict | None:
        organization = membership.organization
        return {"id": organization.pk, "name": organization.name} if organization else None


class OrganizationSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, min_value=1)
    email_domains = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="New customers with these email domains join it.",
    )
    customer_count = serializers.IntegerField(read_only=True, min_value=0)

    class Meta:
        model = Organization
        fields = ["id", "name", "email_domains", "customer_count"]
        read_only_fields = fields


MemberPageSerializer = page_serializer(MemberSerializer, "MemberPageSerializer")
OrganizationPageSerializer = page_serializer(OrganizationSerializer, "OrganizationPageSerializer")


class MemberList(APIView):
    """Staff: the helpdesk's members by email, of one role or all."""

    permission_classes = STAFF

    @extend_schema(
        operation_id="members_list",
        parameters=[OpenApiParameter("role", str, enum=Role.values), *PAGE_PARAMETERS],
        responses={200: MemberPageSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        role = request.query_params.get("role", "")
        if role and role not in Role.values:
            raise serializers.ValidationError({"role": [f"Choose one of: {', '.join(Role)}."]})
        rows, following = page(request, selectors.members(role=role))
        return Response({"results": MemberSerializer(rows, many=True).data, "next": following})


class OrganizationList(APIView):
    """Staff: the customer organizations by name, each with its number of customers."""

    permission_classes = STAFF

    @extend_schema(
        operation_id="organizations_list",
        parameters=PAGE_PARAMETERS,
        responses={200: OrganizationPageSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        rows, following = page(request, selectors.organizations_with_customer_counts())
        return Response(
            {"results": OrganizationSerializer(rows, many=True).data, "next": following}
        )


# ---- general settings ---------------------------------------------------------------------

FORM = GeneralSettingsForm.base_fields


def _setting(name: str, kind: type[serializers.Field], **kwargs) -> serializers.Field:
    """The API's field for one field of the settings form: its label as help, and its bounds
    (so the schema states them; the form checks everything again)."""
    field = FORM[name]
    bounds = ("min_value", "max_value") if kind is serializers.IntegerField else ()
    bounds += ("max_length",) if kind is serializers.CharField else ()
    for bound in bounds:
        if getattr(field, bound, None) is not None:
            kwargs.setdefault(bound, getattr(field, bound))
    return kind(help_text=str(field.label), **kwargs)


class TenantSettingsSerializer(serializers.Serializer):
    """The general settings page's fields, by the same names."""

    time_zone = _setting("time_zone", serializers.CharField)
    holiday_country = _setting("holiday_country", serializers.CharField, allow_blank=True)
    current_app_version = _setting("current_app_version", serializers.CharField, allow_blank=True)
    share_tickets_in_organization = _setting(
        "share_tickets_in_organization", serializers.BooleanField
    )
    assign_on_reply = _setting("assign_on_reply", serializers.BooleanField)
    support_email = _setting("support_email", serializers.CharField, allow_blank=True)
    surveys_enabled = _setting("surveys_enabled", serializers.BooleanField)
    require_staff_second_factor = _setting("require_staff_second_factor", serializers.BooleanField)
    solved_close_days = _setting("solved_close_days", serializers.IntegerField)
    pending_solve_days = _setting("pending_solve_days", serializers.IntegerField)
    reminder_hours = _setting("reminder_hours", serializers.IntegerField)
    survey_delay_hours = _setting("survey_delay_hours", serializers.IntegerField)
    survey_link_days = _setting("survey_link_days", serializers.IntegerField)
    survey_reasons = serializers.ListField(
        child=serializers.CharField(max_length=200),
        help_text="Reasons offered with a bad rating, in order.",
    )

    def validate_survey_reasons(self, reasons: list[str]) -> list[str]:
        # The page's form takes one reason a line.
        if any("\n" in reason or "\r" in reason for reason in reasons):
            raise serializers.ValidationError("One reason per item, without line breaks.")
        return reasons


def _current(tenant: Tenant) -> dict:
    """The settings as the page's form shows them."""
    form = GeneralSettingsForm(instance=tenant)
    values = {name: form[name].initial for name in form.fields}
    values["survey_reasons"] = list(tenant.survey_bad_reasons)
    return values


class TenantSettings(APIView):
    """Admins: the general settings of the settings page. PATCH sends only the settings to
    change; they are checked with the rest, as the page's form checks them, and saved by its
    service (due times follow a new time zone; the audit log records what changed)."""

    permission_classes = ADMINS

    @extend_schema(
        operation_id="settings_retrieve",
        responses={200: TenantSettingsSerializer, **error_responses(403)},
    )
    def get(self, request):
        return Response(TenantSettingsSerializer(_current(current_tenant())).data)

    @extend_schema(
        operation_id="settings_partial_update",
        request=TenantSettingsSerializer,
        responses={200: TenantSettingsSerializer, **error_responses(400, 403)},
    )
    def patch(self, request):
        sent = TenantSettingsSerializer(data=request.data, partial=True)
        sent.is_valid(raise_exception=True)
        unknown = set(request.data) - set(sent.fields) if isinstance(request.data, dict) else ()
        if unknown:
            fields = {name: ["Not a setting."] for name in sorted(unknown)}
            raise serializers.ValidationError(fields)
        if not sent.validated_data:
            raise serializers.ValidationError("Send at least one setting to change.")
        tenant = current_tenant()
        wanted = {**_current(tenant), **sent.validated_data}
        wanted["survey_reasons"] = "\n".join(wanted["survey_reasons"])
        # As on the page: the form validates a copy, so the service sees the tenant as it was
        # and can tell what changed (audit, due times, the supported version's flags).
        form = GeneralSettingsForm(wanted, instance=copy.copy(tenant))
        if not form.is_valid():
            raise form_errors(form)
        services.tenant_settings_update(tenant=tenant, settings=form.settings())
        return Response(TenantSettingsSerializer(_current(tenant)).data)
