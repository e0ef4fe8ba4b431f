"""The survey page: opened from the email, no sign-in needed. GET pre-selects, POST records.

Also the managers' CSAT report, on screen and as CSV.
"""

import csv
from datetime import timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core import exports
from core.range_forms import DayRangeForm
from surveys import reports, services
from surveys.models import SurveyInvitation
from tenants import audit
from tenants.access import manager_required, recent_sign_in_to_export
from tenants.context import current_tenant


class AnswerForm(forms.Form):
    rating = forms.ChoiceField(
        choices=SurveyInvitation.Rating.choices, widget=forms.RadioSelect, label="Your rating"
    )
    reason = forms.ChoiceField(required=False, label="What went wrong? (optional)")
    comment = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Anything you would like to add? (optional)",
    )

    def __init__(self, *args, reasons: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", "—")] + [(r, r) for r in reasons]
        if not reasons:
            del self.fields["reason"]


def _invitation(request, token: str):
    """(invitation, purpose) for a survey link, or the page that says what is wrong with it."""
    try:
        return services.invitation_for_token(token)
    except services.SurveyLinkError as error:
        return render(
            request,
            "surveys/link_problem.html",
            {"message": str(error)},
            status=410 if error.expired else 400,
        )


@csrf_exempt  # RFC 8058: the mail client POSTs with no cookie; the signed token is the key
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """The survey email's List-Unsubscribe target: a POST (one click in the mail client, or the
    button on this page) opts the address out of surveys; a GET only asks."""
    found = _invitation(request, token)
    if not isinstance(found, tuple):
        return found
    invitation, purpose = found
    if purpose != "opt-out":
        raise Http404
    if request.method == "POST":
        services.survey_opt_out(email=invitation.recipient)
        return render(request, "surveys/opted_out.html", {"invitation": invitation})
    return render(request, "surveys/opt_out.html", {"invitation": invitation})


@require_http_methods(["GET", "POST"])
def answer(request, token: str):
    found = _invitation(request, token)
    if not isinstance(found, tuple):
        return found
    invitation, purpose = found
    if purpose == "opt-out":
        if request.method == "POST":
            services.survey_opt_out(email=invitation.recipient)
            return render(request, "surveys/opted_out.html", {"invitation": invitation})
        return render(request, "surveys/opt_out.html", {"invitation": invitation})
    initial = {
        "rating": invitation.rating or purpose,
        "reason": invitation.reason,
        "comment": invitation.comment,
    }
    form = AnswerForm(
        request.POST or None, initial=initial, reasons=current_tenant().survey_bad_reasons
    )
    if request.method == "POST" and form.is_valid():
        invitation = services.survey_answer(
            invitation=invitation,
            rating=form.cleaned_data["rating"],
            reason=form.cleaned_data.get("reason", ""),
            comment=form.cleaned_data["comment"],
        )
        return render(request, "surveys/thanks.html", {"invitation": invitation})
    return render(
        request,
        "surveys/answer.html",
        {"form": form, "invitation": invitation},
        status=400 if request.method == "POST" else 200,
    )


class RangeForm(DayRangeForm):
    period = forms.ChoiceField(
        choices=[("week", "By week"), ("month", "By month")], initial="week", required=False
    )


def _default_range():
    today = timezone.now().astimezone(ZoneInfo(current_tenant().time_zone)).date()
    return {"start": today - timedelta(days=89), "end": today, "period": "week"}


@manager_required
@recent_sign_in_to_export
def csat_report(request):
    form = RangeForm(request.GET or None, initial=_default_range())
    if request.GET and not form.is_valid():
        return render(request, "surveys/report.html", {"form": form}, status=400)
    chosen = form.cleaned_data if request.GET else _default_range()
    data = reports.csat(chosen["start"], chosen["end"], chosen["period"])
    if request.GET.get("format") == "csv":
        audit.record(
            audit.Action.EXPORT,
            target="Satisfaction report (CSV)",
            detail={"start": str(chosen["start"]), "end": str(chosen["end"])},
        )
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="csat.csv"'
        writer = csv.writer(response)
        writer.writerow(
            ["dimension", "group", "sent", "good", "bad", "satisfaction", "response rate"]
        )
        for dimension in ("by_agent", "by_priority", "by_organization", "by_period"):
            for row in data[dimension]:
                writer.writerow(
                    [
                        dimension.removeprefix("by_"),
                        exports.cell(row.label),
                        row.sent,
                        row.good,
                        row.bad,
                        _pct(row.score),
                        _pct(row.response_rate),
                    ]
                )
        writer.writerow(
            [
                "total",
                "All",
                data["total"].sent,
                data["total"].good,
                data["total"].bad,
                _pct(data["total"].score),
                _pct(data["total"].response_rate),
            ]
        )
        return response
    return render(request, "surveys/report.html", {"form": form, "chosen": chosen, **data})


def _pct(value) -> str:
    return "" if value is None else f"{value * 100:.1f}%"
