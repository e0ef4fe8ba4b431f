import csv
import json
from datetime import date

from django import forms
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from core import exports
from tenants import audit, selectors
from tenants.access import admin_required, recent_sign_in_to_export, staff_required
from tenants.models import AuditEntry, Organization
from tenants.selectors import staff_members


@staff_required
def people(request):
    """The team and the customer organizations."""
    team = staff_members().order_by("role", "user__email")
    organizations = selectors.organizations_with_customer_counts()
    customer_count = selectors.customer_count()
    return render(
        request,
        "agent/people.html",
        {"team": team, "organizations": organizations, "customer_count": customer_count},
    )


@staff_required
def organization_detail(request, pk: int):
    # Scoped manager: another tenant's organization is a 404, exactly like a missing one.
    organization = get_object_or_404(Organization.objects, pk=pk)
    members = organization.members.select_related("user").order_by("user__email")
    return render(
        request, "agent/organization.html", {"organization": organization, "members": members}
    )


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("", "Every action"), *AuditEntry.Action.choices], required=False
    )
    who = forms.CharField(required=False, max_length=254, label="Who")
    start = forms.DateField(required=False, label="From")
    end = forms.DateField(required=False, label="To")

    def _day(self, name):
        day = self.cleaned_data[name]
        if day is not None and not date(2000, 1, 1) <= day <= date(2999, 12, 31):
            raise forms.ValidationError("Choose a date between the years 2000 and 2999.")
        return day

    def clean_start(self):
        return self._day("start")

    def clean_end(self):
        return self._day("end")


AUDIT_PAGE = 50
AUDIT_EXPORT_MAX = 50_000


@admin_required
@recent_sign_in_to_export
@require_GET
def audit_log(request):
    """The tenant's audit log for its admins: filterable, exportable, never editable."""
    form = AuditFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "agent/audit.html", {"form": form, "page": None}, status=400)
    data = form.cleaned_data if request.GET else {}
    entries = selectors.audit_entries(
        action=data.get("action") or "",
        who=data.get("who") or "",
        start=data.get("start"),
        end=data.get("end"),
    )
    if request.GET.get("format") == "csv":
        audit.record(audit.Action.EXPORT, target="Audit log (CSV)", detail=request.GET.dict())
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
        writer = csv.writer(response)
        writer.writerow(["when", "who", "action", "target", "detail", "address", "browser"])
        for entry in entries[:AUDIT_EXPORT_MAX]:
            writer.writerow(
                [
                    entry.created_at.isoformat(),
                    entry.actor_email,
                    entry.action,
                    exports.cell(entry.target),
                    exports.cell(json.dumps(entry.detail, sort_keys=True)),
                    entry.ip or "",
                    exports.cell(entry.user_agent),
                ]
            )
        return response
    page = Paginator(entries, AUDIT_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "agent/audit.html", {"form": form, "page": page, "query": query.urlencode()}
    )
