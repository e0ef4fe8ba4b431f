"""The agent workspace: the queue, bulk actions, macros and the manager overview."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.validators import MaxLengthValidator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.inputs import MAX_BODY_CHARS, local_path, parse_ids
from tenants.access import manager_required, staff_required
from tenants.priorities import Priority
from tickets import queue, services
from tickets.models import Macro, SavedView
from tickets.selectors import overview as figures


def _filter_query(request) -> str:
    """The request's filters without the cursor, to build page and refresh links."""
    params = request.GET.copy()
    params.pop("after", None)
    params.pop("page", None)
    return params.urlencode()


@staff_required
def queue_view(request):
    form = queue.QueueFilterForm(request.GET or None)
    valid = form.is_valid() or not request.GET
    data = form.cleaned_data if form.is_valid() else {}
    tickets = queue.filtered(data, request.user)
    try:
        page = queue.page(tickets, request.GET.get("after"))
    except queue.InvalidCursor as error:
        # Show the first page with the reason, and say so with the status.
        form.add_error(None, str(error))
        valid = False
        page = queue.page(tickets, None)
    context = {
        "form": form,
        "page": page,
        "saved_views": queue.saved_views_with_counts(
            request.user, can_share=request.membership.is_manager_or_admin
        ),
        "filters": _filter_query(request),
        "agents": queue.agents(),
        "priorities": Priority.choices,
        "bulk_statuses": services.BULK_STATUSES,
    }
    # htmx asks for the table alone (filter changes, the periodic refresh).
    template = (
        "agent/_queue_table.html" if request.headers.get("HX-Request") else "agent/queue.html"
    )
    return render(request, template, context, status=200 if valid else 400)


@staff_required
@require_POST
def bulk_update(request):
    numbers = parse_ids(request.POST.getlist("ticket"))
    back = local_path(request.POST.get("next", ""), prefix="/agent/", default="/agent/")
    if not numbers:
        messages.error(
            request,
            "Select at least one ticket." if numbers == [] else "Select tickets from the list.",
        )
        return redirect(back)
    field, _, value = request.POST.get("action", "").partition(":")
    try:
        result = services.tickets_bulk_update(
            actor=request.user, numbers=numbers, field=field, value=value
        )
    except DomainError as error:
        messages.error(request, str(error))
        return redirect(back)
    summary = f"{len(result['updated'])} updated"
    if result["unchanged"]:
        summary += f", {len(result['unchanged'])} already so"
    messages.success(request, summary + ".")
    for number, reason in result["refused"]:
        messages.error(request, f"#{number}: {reason}")
    return redirect(back)


class MacroForm(forms.ModelForm):
    class Meta:
        model = Macro
        fields = ["name", "body", "submit_as", "priority", "position"]
        widgets = {"body": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A macro becomes a reply: the same limit as any reply body.
        self.fields["body"].max_length = MAX_BODY_CHARS
        self.fields["body"].validators.append(MaxLengthValidator(MAX_BODY_CHARS))
        self.fields["body"].widget.attrs["maxlength"] = str(MAX_BODY_CHARS)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = Macro.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("Another macro has this name.")
        return name


@manager_required
@require_http_methods(["GET", "POST"])
def macros(request, pk: int | None = None):
    """List, create and edit macros (managers and admins); agents apply them on tickets."""
    macro = get_object_or_404(Macro.objects, pk=pk) if pk else None
    form = MacroForm(request.POST or None, instance=macro)
    if request.method == "POST":
        if request.POST.get("delete") and macro is not None:
            services.macro_delete(macro=macro)
            messages.success(request, f"Deleted “{macro.name}”.")
            return redirect("agent:macros")
        if form.is_valid():
            services.macro_save(macro=macro, values=form.cleaned_data)
            messages.success(request, "Macro saved.")
            return redirect("agent:macros")
    return render(
        request,
        "agent/macros.html",
        {"form": form, "macro": macro, "macros": Macro.objects.all()},
        status=400 if request.method == "POST" else 200,
    )


@manager_required
def overview(request):
    return render(request, "agent/overview.html", figures(timezone.now()))


@staff_required
@require_POST
def saved_view_create(request):
    query = ""  # the redirect keeps the filters only once they are known to be valid
    try:
        query = queue.normalized_query(request.POST.get("query", ""))
        services.saved_view_create(
            owner=request.user,
            name=request.POST.get("name", ""),
            query=query,
            shared=request.POST.get("shared") == "on",
            membership=request.membership,
        )
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "View saved.")
    return redirect(f"/agent/?{query}" if query else "/agent/")


@staff_required
@require_POST
def saved_view_delete(request, pk: int):
    view = get_object_or_404(SavedView.objects, pk=pk)
    try:
        services.saved_view_delete(view=view, user=request.user, membership=request.membership)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Deleted “{view.name}”.")
    return redirect("agent:home")
