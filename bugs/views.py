"""Bug report pages for agents and managers: the list, one report, filing from a ticket and
linking a ticket to an existing report."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from bugs import selectors, services
from bugs.forms import BugForm, CommentForm, FileForm, FilterForm, LinkSearchForm, StatusForm
from bugs.models import BugReport
from core.errors import DomainError, messages_of
from core.inputs import parse_id
from tenants.access import staff_required
from tenants.selectors import staff_members
from tickets.models import Comment
from tickets.selectors import ticket_for_viewer

PER_PAGE = 50


@staff_required
def bug_list(request):
    form = FilterForm(request.GET or {"status": "open"})
    valid = form.is_valid()
    data = form.cleaned_data if valid else {"status": "open"}
    filters = selectors.ListFilters(
        status=data.get("status") or "",
        severity=data.get("severity") or "",
        version=data.get("version") or "",
        q=data.get("q") or "",
    )
    page = Paginator(selectors.bug_list(filters), PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "bugs/list.html",
        {"form": form, "page": page, "reports": page.object_list, "query": query.urlencode()},
        status=200 if valid else 400,
    )


def _edit_initial(report: BugReport) -> dict:
    fields = ("title", "summary", "steps", "severity", "scope", "affected_versions", "tracker_url")
    initial = {name: getattr(report, name) for name in fields}
    initial["owner"] = str(report.owner_id or "")
    return initial


def _edit_values(data: dict) -> dict:
    names = services.EDITABLE
    return {name: data[name] for name in names if name in data}


@staff_required
@require_http_methods(["GET", "POST"])
def bug_detail(request, pk: int):
    report = selectors.report_for_staff(pk)
    staff = staff_members()
    action = request.POST.get("action") if request.method == "POST" else None
    edit_form = BugForm(
        request.POST if action == "edit" else None, initial=_edit_initial(report), staff=staff
    )
    status_form = StatusForm(
        request.POST if action == "status" else None,
        initial={"status": report.status, "fixed_in": report.fixed_in},
        originals=selectors.duplicate_choices(report),
    )
    comment_form = CommentForm(request.POST if action == "comment" else None)
    bound = {"edit": edit_form, "status": status_form, "comment": comment_form}.get(action)
    if request.method == "POST" and bound is None:
        messages.error(request, "Choose what to change.")
        return redirect("agent:bug", pk=report.pk)
    if bound is not None and bound.is_valid():
        data = bound.cleaned_data
        common = {"report": report, "actor": request.user, "membership": request.membership}
        try:
            if action == "edit":
                services.bug_update(**common, values=_edit_values(data))
                note = "Saved."
            elif action == "status":
                report = services.bug_set_status(
                    **common,
                    status=data["status"],
                    fixed_in=data["fixed_in"],
                    duplicate_of=data["duplicate_of"],
                )
                note = f"Bug #{report.number} is now {report.get_status_display().lower()}."
                if report.status == BugReport.Status.FIXED:
                    note += " Unsolved linked tickets got an internal note; tell the customers."
            else:
                services.bug_comment(**common, body=data["body"])
                note = "Comment added."
        except DomainError as error:
            bound.add_error(None, messages_of(error))
        else:
            messages.success(request, note)
            return redirect("agent:bug", pk=report.pk)
    links = selectors.linked_tickets(report)
    return render(
        request,
        "bugs/detail.html",
        {
            "report": report,
            "edit_form": edit_form,
            "status_form": status_form,
            "comment_form": comment_form,
            "action": action,
            "links": links,
            "to_tell": selectors.customers_to_tell(report, links),
            "customers": len({link.ticket.requester_email for link in links}),
            "comments": report.comments.select_related("author"),
            "history": report.history.select_related("actor"),
            "duplicates": report.duplicates.order_by("number"),
        },
        status=400 if request.method == "POST" else 200,
    )


@staff_required
@require_POST
def bug_unlink(request, pk: int):
    report = selectors.report_for_staff(pk)
    number = parse_id(request.POST.get("ticket"))
    if number is None:
        messages.error(request, "Choose a ticket to unlink.")
        return redirect("agent:bug", pk=report.pk)
    ticket = ticket_for_viewer(request.membership, number)
    try:
        services.bug_unlink(
            report=report, ticket=ticket, actor=request.user, membership=request.membership
        )
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Ticket #{ticket.number} unlinked.")
    return redirect("agent:bug", pk=report.pk)


def _steps_from(ticket) -> str:
    """The customer's own description (the ticket's first message) as the steps to start from."""
    first = Comment.objects.filter(ticket=ticket, is_public=True).order_by("created_at").first()
    return first.body[: services.TEXT_MAX] if first else ""


@staff_required
@require_http_methods(["GET", "POST"])
def ticket_bug(request, number: int):
    """File a bug from a ticket (prefilled from it), or link the ticket to an existing report."""
    ticket = ticket_for_viewer(request.membership, number)
    staff = staff_members()
    action = request.POST.get("action") if request.method == "POST" else None
    file_form = FileForm(
        request.POST if action == "file" else None,
        initial={
            "title": ticket.subject[:200],
            "steps": _steps_from(ticket),
            "severity": BugReport.Severity.MAJOR,
            "scope": BugReport.Scope.ONE,
            "affected_versions": ticket.app_version,
            "owner": str(request.user.pk),
        },
        staff=staff,
    )
    search_form = LinkSearchForm(request.GET or None)
    found = None
    if search_form.is_valid() and search_form.cleaned_data["find"]:
        found = selectors.search(search_form.cleaned_data["find"])
    link_error = None
    ticket_url = reverse("agent:ticket", args=[ticket.number])
    common = {"ticket": ticket, "actor": request.user, "membership": request.membership}
    if action == "file" and file_form.is_valid():
        data = file_form.cleaned_data
        try:
            report = services.bug_file(
                **common, values=_edit_values(data), confirm_version=data["confirm_version"]
            )
        except DomainError as error:
            file_form.add_error(None, messages_of(error))
        else:
            messages.success(request, f"Filed as bug #{report.number}.")
            return redirect(ticket_url)
    elif action == "link":
        report = selectors.report_by_number(request.POST.get("report"))
        if report is None:
            link_error = "There is no such bug report here."
        else:
            try:
                linked = services.bug_link(
                    report=report,
                    **common,
                    confirm_version=request.POST.get("confirm_version") == "on",
                )
            except DomainError as error:
                link_error = str(error)
                found = found if found is not None else [report]
            else:
                messages.success(request, f"Linked to bug #{linked.number}.")
                return redirect(ticket_url)
    elif request.method == "POST" and action != "file":
        link_error = "Choose whether to file a new report or link an existing one."
    return render(
        request,
        "bugs/ticket_bug.html",
        {
            "ticket": ticket,
            "file_form": file_form,
            "search_form": search_form,
            "found": found,
            "link_error": link_error,
            "linked": {r.pk for r in selectors.reports_for_ticket(ticket)},
            "unsupported": services.unsupported_version(ticket),
            "current_version": request.tenant.current_app_version,
        },
        status=400 if request.method == "POST" else 200,
    )
