"""The desk's pages: the portal front page and public support policy (from the live settings),
and the tenant admin's settings: general, hours, holidays, priorities and SLA targets."""

import copy

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from desk import selectors, services
from desk.forms import GeneralSettingsForm, HolidayForm, HoursFormSet, PriorityLevelForm
from desk.models import TenantHoliday
from desk.policy import contribution, policy_for
from desk.selectors import priority_levels
from tenants.access import admin_required
from tenants.context import current_tenant


def portal_home(request):
    """The customer portal's front page: how to get support here, from the tenant's settings."""
    levels = priority_levels()
    return render(
        request,
        "portal/home.html",
        {
            "hours": selectors.business_hours(),
            "priority_levels": levels,
            # Live chat's offer (open now, next opening), when the chat app contributes one.
            "chat": contribution("chat"),
        },
    )


def support_policy(request):
    """The tenant's public support policy, rendered from the settings the product runs on."""

    return render(request, "portal/support_policy.html", {"policy": policy_for(current_tenant())})


def _page(request, template, context, *, invalid=False):
    return render(
        request,
        template,
        {"section": template.rsplit("/", 1)[-1][:-5], **context},
        status=400 if invalid else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def general(request):
    # The form validates a copy: ModelForm writes cleaned values into its instance, and the
    # service must see the tenant as it was to tell what changed (audit, due times, versions).
    form = GeneralSettingsForm(request.POST or None, instance=copy.copy(current_tenant()))
    if request.method == "POST":
        if form.is_valid():
            services.tenant_settings_update(tenant=current_tenant(), settings=form.settings())
            messages.success(request, "Settings saved.")
            return redirect("agent:settings")
        return _page(request, "settings/general.html", {"form": form}, invalid=True)
    return _page(request, "settings/general.html", {"form": form})


@admin_required
@require_http_methods(["GET", "POST"])
def hours(request):
    initial = [
        {"weekday": h.weekday, "opens": h.opens, "closes": h.closes}
        for h in selectors.business_hours()
    ]
    formset = HoursFormSet(request.POST or None, initial=initial, prefix="hours")
    if request.method == "POST":
        if formset.is_valid():
            intervals = [
                (f.cleaned_data["weekday"], f.cleaned_data["opens"], f.cleaned_data["closes"])
                for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            services.business_hours_replace(intervals=intervals)
            messages.success(request, "Business hours saved.")
            return redirect("agent:settings_hours")
        return _page(request, "settings/hours.html", {"formset": formset}, invalid=True)
    return _page(request, "settings/hours.html", {"formset": formset})


@admin_required
@require_http_methods(["GET", "POST"])
def holidays(request):
    form = HolidayForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            services.holiday_add(date=form.cleaned_data["date"], name=form.cleaned_data["name"])
            messages.success(request, "Holiday added.")
            return redirect("agent:settings_holidays")
        invalid = True
    else:
        invalid = False
    return _page(
        request,
        "settings/holidays.html",
        {"form": form, "holidays": selectors.holidays()},
        invalid=invalid,
    )


@admin_required
@require_POST
def holiday_delete(request, pk: int):
    holiday = get_object_or_404(TenantHoliday.objects, pk=pk)
    services.holiday_remove(holiday=holiday)
    messages.success(request, f"{holiday.name} removed.")
    return redirect("agent:settings_holidays")


@admin_required
@require_http_methods(["GET", "POST"])
def priorities(request):
    levels = priority_levels()
    forms = [
        PriorityLevelForm(request.POST or None, instance=level, prefix=level.priority)
        for level in levels
    ]
    if request.method == "POST":
        if all(form.is_valid() for form in forms):
            services.priority_levels_update(
                levels={form.instance.priority: form.targets() for form in forms}
            )
            messages.success(request, "Priorities and SLA targets saved.")
            return redirect("agent:settings_priorities")
        return _page(request, "settings/priorities.html", {"forms": forms}, invalid=True)
    return _page(request, "settings/priorities.html", {"forms": forms})
