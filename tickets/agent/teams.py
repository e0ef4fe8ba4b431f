"""Settings → Teams (admins): teams, their members, and the tenant's automatic assignment;
and the "I'm away" switch every staff member has in the workspace's account menu.

Thin views: forms validate, ``tickets.teams`` (and ``tenants.services`` for the away state)
change things and write the audit log; a refusal is shown on the page with a 400.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.inputs import local_path
from tenants.access import admin_required, staff_required
from tenants.context import current_tenant
from tenants.models import AssignmentMode, Membership
from tenants.services import membership_set_away
from tickets import teams
from tickets.models import Team


class TeamNameForm(forms.Form):
    name = forms.CharField(label="Team name", max_length=teams.NAME_MAX)


class AssignmentForm(forms.Form):
    mode = forms.ChoiceField(
        label="Assign new tickets",
        choices=AssignmentMode.choices,
        widget=forms.RadioSelect,
    )
    default_team = forms.TypedChoiceField(
        label="New tickets go to",
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Every new ticket joins this team, from every channel; assignment picks "
        "among its members who are not away.",
    )

    def __init__(self, *args, team_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_team"].choices = [("", "No team"), *team_choices]


class MemberAddForm(forms.Form):
    membership = forms.TypedChoiceField(label="Add a member", coerce=int)

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].choices = [
            (m.pk, f"{m.user.display_name} ({m.user.email})") for m in candidates
        ]


def _page(request, *, status=200, errors=(), forms_by_name=None):
    listed = teams.teams_with_members()
    default = next((team for team in listed if team.is_default), None)
    choices = [(team.pk, team.name) for team in listed]
    forms_by_name = forms_by_name or {}
    assignment = forms_by_name.get("assignment") or AssignmentForm(
        initial={
            "mode": current_tenant().assignment_mode,
            "default_team": default.pk if default else "",
        },
        team_choices=choices,
    )
    create = forms_by_name.get("create") or TeamNameForm(prefix="new")
    staff = list(
        Membership.objects.filter(role__in=Membership.STAFF_ROLES)
        .select_related("user")
        .order_by("user__email")
    )
    for team in listed:
        inside = {member.membership_id for member in team.member_list}
        team.candidates = [m for m in staff if m.pk not in inside]
    for error in errors:
        messages.error(request, error)
    return render(
        request,
        "settings/teams.html",
        {
            "section": "teams",
            "teams": listed,
            "assignment": assignment,
            "create": create,
            "max_teams": teams.MAX_TEAMS,
        },
        status=status,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def teams_settings(request):
    """The teams list; POST ``action=create`` (a new team) or ``action=assignment``."""
    if request.method == "GET":
        return _page(request)
    action = request.POST.get("action")
    try:
        if action == "create":
            form = TeamNameForm(request.POST, prefix="new")
            if not form.is_valid():
                return _page(request, status=400, forms_by_name={"create": form})
            team = teams.team_create(name=form.cleaned_data["name"])
            messages.success(request, f"Team “{team.name}” created.")
        elif action == "assignment":
            form = AssignmentForm(request.POST, team_choices=teams.team_choices())
            if not form.is_valid():
                return _page(request, status=400, forms_by_name={"assignment": form})
            team_id = form.cleaned_data["default_team"]
            teams.assignment_settings_update(
                mode=form.cleaned_data["mode"],
                default_team=teams.team_for_id(team_id) if team_id else None,
            )
            messages.success(request, "Assignment settings saved.")
        else:
            return _page(request, status=400, errors=["Choose what to change."])
    except DomainError as error:
        return _page(request, status=400, errors=[str(error)])
    return redirect("agent:settings_teams")


@admin_required
@require_POST
def team_update(request, pk: int):
    """One team: ``action=rename|delete|add|remove`` (remove names the ``membership``)."""
    team = get_object_or_404(Team.objects, pk=pk)
    action = request.POST.get("action")
    try:
        if action == "rename":
            form = TeamNameForm(request.POST)
            if not form.is_valid():
                return _page(request, status=400, errors=[_first_error(form)])
            team = teams.team_rename(team=team, name=form.cleaned_data["name"])
            messages.success(request, f"Renamed to “{team.name}”.")
        elif action == "delete":
            name = team.name
            teams.team_delete(team=team)
            messages.success(request, f"Team “{name}” deleted.")
        elif action == "add":
            form = MemberAddForm(request.POST, candidates=teams.staff_not_in(team))
            if not form.is_valid():
                return _page(request, status=400, errors=[_first_error(form)])
            membership = (
                Membership.objects.select_related("user")
                .filter(pk=form.cleaned_data["membership"])
                .first()
            )
            teams.team_member_add(team=team, membership=membership)
            messages.success(request, f"{membership.user.display_name} joined {team.name}.")
        elif action == "remove":
            if not teams.team_member_remove(
                team=team, membership_id=request.POST.get("membership")
            ):
                return _page(request, status=400, errors=["That person is not in this team."])
            messages.success(request, f"Removed from {team.name}.")
        else:
            return _page(request, status=400, errors=["Choose what to change."])
    except DomainError as error:
        return _page(request, status=400, errors=[str(error)])
    return redirect("agent:settings_teams")


def _first_error(form) -> str:
    for errors in form.errors.values():
        return " ".join(errors)
    return "Check the form."


@admin_required
@require_POST
def member_away(request, pk: int):
    """An admin marks a staff member away or back (``away=1`` or ``0``)."""
    membership = get_object_or_404(
        Membership.objects.filter(role__in=Membership.STAFF_ROLES).select_related("user"), pk=pk
    )
    away = request.POST.get("away")
    if away not in ("0", "1"):
        return _page(request, status=400, errors=["Choose away or back."])
    membership_set_away(membership=membership, away=away == "1", actor=request.user)
    name = membership.user.display_name
    messages.success(request, f"{name} is {'away' if away == '1' else 'back'}.")
    return redirect("agent:settings_teams")


@staff_required
@require_POST
def my_away(request):
    """The signed-in staff member's own "I'm away" switch, from the account menu."""
    away = request.POST.get("away")
    back = local_path(request.POST.get("next", ""), prefix="/agent/", default="/agent/")
    if away not in ("0", "1"):
        messages.error(request, "Choose away or back.")
        return redirect(back)
    try:
        membership_set_away(membership=request.membership, away=away == "1", actor=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            "You are away: no new tickets are assigned to you automatically."
            if away == "1"
            else "Welcome back: automatic assignment includes you again.",
        )
    return redirect(back)
