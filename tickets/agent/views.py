"""The agent workspace: the queue (filters, keyset pages, saved views, bulk actions), one
ticket (reply, note, status, priority, assignee, macros, live activity; merge, split and
links), macros and the managers' overview.

Views are thin: they validate input with forms, call one service, and turn domain errors
(``core.errors.DomainError``) into a message on the page.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError, InvalidInput, messages_of
from core.inputs import local_path, parse_ids
from desk.priorities import Priority
from desk.selectors import priority_levels
from tenants.access import manager_required, staff_required
from tenants.context import current_tenant
from tenants.selectors import staff_roster, staff_user
from tickets import (
    cues,
    drafts,
    merging,
    panels,
    presence,
    queue,
    selectors,
    services,
    tagging,
    tags,
    teams,
)
from tickets.agent.forms import AgentReplyForm, LinkForm, MacroForm, MergeForm, SplitForm
from tickets.lifecycle import AGENT_SUBMIT_AS, allowed_targets
from tickets.models import Macro, SavedView, Ticket
from tickets.selectors import overview_cached as figures

# --- The queue ---------------------------------------------------------------------------------


def _filter_query(request) -> str:
    """The request's filters without the cursor, to build page and refresh links."""
    params = request.GET.copy()
    params.pop("after", None)
    params.pop("page", None)
    return params.urlencode()


def _sort_links(request) -> dict[str, str]:
    """The query string for each order, keeping the filters (a new order starts at page one)."""
    links = {}
    for sort in queue.SORTS:
        params = request.GET.copy()
        params.pop("after", None)
        params.pop("sort", None)
        if sort != "priority":
            params["sort"] = sort
        links[sort] = params.urlencode()
    return links


@staff_required
def queue_view(request):
    form = queue.QueueFilterForm(request.GET or None)
    valid = form.is_valid() or not request.GET
    data = form.cleaned_data if form.is_valid() else {}
    number = queue.ticket_named(data)
    if number is not None:
        # "#123" in the search box: straight to that ticket.
        url = reverse("agent:ticket", args=[number])
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
    tickets = queue.filtered(data, request.user)
    sort = data.get("sort") or ""
    try:
        page = queue.page(tickets, request.GET.get("after"), sort=sort, cap=queue.count_cap(data))
    except queue.InvalidCursor as error:
        # Show the first page with the reason, and say so with the status.
        form.add_error(None, str(error))
        valid = False
        page = queue.page(tickets, None, sort=sort, cap=queue.count_cap(data))
    row_cues = cues.for_tickets(page.tickets)
    row_tags = tags.for_tickets(page.tickets)  # one query for the whole page
    for ticket in page.tickets:
        ticket.cues = row_cues[ticket.pk]
        ticket.tag_list = row_tags.get(ticket.pk, [])
    partial = bool(request.headers.get("HX-Request"))
    agents = queue.agent_choices()
    team_choices = teams.team_choices()
    context = {
        "form": form,
        "page": page,
        "filters": _filter_query(request),
        "bulk_agent_choices": [(pk, f"Assign to {name}") for pk, name in agents],
        "bulk_team_choices": [(pk, f"Move to team {name}") for pk, name in team_choices],
        "priorities": Priority.choices,
        "bulk_statuses": services.BULK_STATUSES,
        # A live filter change swaps the table alone; the "Save view" form's filters follow it.
        "oob": partial,
        "sort": sort or "priority",
        "sort_links": _sort_links(request),
    }
    if not partial:
        views = queue.saved_views(request.user, can_share=request.membership.is_manager_or_admin)
        context["saved_views_here"] = views
        # The filters as a saved view stores them, from the form validated above: the title and
        # the side navigation's "current" mark read them (building the form again cost a
        # twentieth of the page).
        current = queue.query_of(form)
        context["queue_query"] = current
        context["view_title"] = queue.view_title(current or "", views)
        # Drawn by hand: a form widget renders each option through its own template.
        context["organizations"] = queue.organization_choices()
        context["agent_choices"] = agents
        context["team_choices"] = team_choices
        context["selected_organization"] = str(request.GET.get("organization", ""))
        context["tag_suggestions"] = tags.suggestions()
        context["active_filters"] = len(
            {name for name in request.GET if name not in ("after", "page") and request.GET[name]}
        )
    template = "agent/_queue_table.html" if partial else "agent/queue.html"
    return render(request, template, context, status=200 if valid else 400)


@staff_required
@require_POST
def bulk_update(request):
    back = local_path(request.POST.get("next", ""), prefix="/agent/", default="/agent/")
    take = request.POST.get("take")
    if take is not None:
        # A row's "Take" button: that one ticket, assigned to whoever pressed it.
        numbers = parse_ids([take])
        action = f"assignee:{request.user.pk}"
    else:
        numbers = parse_ids(request.POST.getlist("ticket"))
        action = request.POST.get("action", "")
    if not numbers:
        messages.error(
            request,
            "Select at least one ticket." if numbers == [] else "Select tickets from the list.",
        )
        return redirect(back)
    field, _, value = action.partition(":")
    try:
        if field in (tagging.BULK_ADD, tagging.BULK_REMOVE):
            # The tag is typed beside the menu ("Add tag" / "Remove tag" with its name).
            result = tagging.tickets_bulk_tag(
                actor=request.user,
                membership=request.membership,
                numbers=numbers,
                operation=field,
                name=request.POST.get("tag", ""),
            )
        else:
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
        {"form": form, "macro": macro, "macros": selectors.macros()},
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


# --- Agent workspace: one ticket --------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def agent_ticket(request, number: int):
    membership = request.membership
    ticket = selectors.ticket_for_viewer(membership, number)
    form = AgentReplyForm(
        request.POST or None,
        request.FILES or None,
        initial={"submit_as": ticket.status if ticket.status in AGENT_SUBMIT_AS else "open"},
    )
    macro = None
    if request.method == "GET" and "macro" in request.GET:
        # A macro fills the reply box; the agent edits it and sends it themselves.
        macro = selectors.macro(request.GET["macro"])
        if macro is None:
            messages.error(request, "That macro no longer exists.")
        else:
            form.fill_from(macro)
    elif request.method == "GET":
        draft = drafts.for_request(ticket, request.GET)
        if draft is not None:
            form.initial.update({"public": "1", "body": draft.body, "submit_as": draft.submit_as})
    # A refusal's code and status, as the API answers them (a refused transition: 409).
    refusal = {"code": "invalid_input", "status": 400}
    if request.method == "POST" and form.is_valid():
        try:
            services.ticket_reply(
                ticket=ticket,
                author=request.user,
                membership=membership,
                body=form.cleaned_data["body"],
                public=form.cleaned_data["public"],
                submit_as=form.cleaned_data["submit_as"] or None,
                uploads=form.uploads(),
                priority=form.cleaned_data["priority"] or None,
                minutes=form.cleaned_data["time_spent"],
            )
        except (DomainError, ValidationError) as error:
            form.add_error(None, messages_of(error))
            if isinstance(error, DomainError):
                refusal = {"code": error.code, "status": error.status}
        else:
            messages.success(request, "Sent." if form.cleaned_data["public"] else "Note added.")
            return redirect("agent:ticket", number=ticket.number)
    agents = staff_roster()
    comments = selectors.conversation(ticket, membership)
    return render(
        request,
        "agent/ticket.html",
        {
            "ticket": ticket,
            "comments": comments,
            "events": selectors.timeline(ticket),
            "form": form,
            "agents": agents,
            "teams": teams.team_choices(),
            "priorities": Priority.choices,
            "status_targets": [
                (target, Ticket.Status(target).label) for target in allowed_targets(ticket, "agent")
            ],
            "follow_ups": selectors.follow_ups(ticket),
            "links": selectors.linked_tickets(ticket),
            "link_form": LinkForm(auto_id="link-%s"),
            "max_links": merging.MAX_LINKS,
            "merged_into": selectors.merged_into_for_viewer(ticket, membership),
            # A message can be split off an open ticket that has others (tickets/merging.py).
            "can_split": ticket.status != Ticket.Status.CLOSED and len(comments) > 1,
            "requester_tickets": selectors.other_tickets_of_requester(ticket),
            "priority_levels": priority_levels(),
            "current_app_version": current_tenant().current_app_version,
            "answers": selectors.form_answers_display(ticket),
            "macros": selectors.macros(),
            "macro": macro,
            "panels": panels.for_page(panels.AGENT, ticket, membership),
            "opened_at": timezone.now().isoformat(),
            "viewers": presence.touch(current_tenant().pk, ticket.number, request.user),
            "refusal_code": refusal["code"],
        },
        status=refusal["status"] if request.method == "POST" else 200,
    )


@staff_required
def agent_ticket_activity(request, number: int):
    """Polled by the ticket page: other viewers, and replies since the page was opened."""

    ticket = selectors.ticket_for_viewer(request.membership, number)
    try:
        since = datetime.fromisoformat(request.GET.get("since", ""))
    except ValueError:
        since = timezone.now()
    if timezone.is_naive(since):
        since = timezone.make_aware(since)
    viewers = presence.touch(current_tenant().pk, ticket.number, request.user)
    newer = selectors.replies_since(ticket, since, excluding_author=request.user)
    return render(
        request, "agent/_activity.html", {"ticket": ticket, "viewers": viewers, "newer": newer}
    )


@staff_required
@require_POST
def agent_ticket_macro(request, number: int, macro_id: int):
    """Kept for forms posted by an older page: a macro now fills the reply box instead of
    sending, so this leads there."""
    ticket = selectors.ticket_for_viewer(request.membership, number)
    macro = get_object_or_404(Macro.objects, pk=macro_id)
    url = reverse("agent:ticket", kwargs={"number": ticket.number})
    return redirect(f"{url}?macro={macro.pk}#reply")


@staff_required
@require_POST
def agent_ticket_update(request, number: int):
    """Priority, assignee or status from the ticket page's controls."""
    ticket = selectors.ticket_for_viewer(request.membership, number)
    field = request.POST.get("field")
    value = request.POST.get("value", "")
    try:
        if field == "priority":
            services.ticket_set_priority(ticket=ticket, actor=request.user, priority=value)
        elif field == "status":
            if value == ticket.status:
                messages.info(request, f"The ticket is already {ticket.get_status_display()}.")
                return redirect(reverse("agent:ticket", kwargs={"number": ticket.number}))
            services.ticket_set_status(ticket=ticket, actor=request.user, status=value)
        elif field == "assignee":
            assignee = staff_user(value) if value else None
            if value and assignee is None:
                raise InvalidInput("Choose an agent of this helpdesk.")
            services.ticket_assign(ticket=ticket, actor=request.user, assignee=assignee)
        elif field == "team":
            team = teams.team_for_id(value) if value else None
            if value and team is None:
                raise InvalidInput("Choose a team of this helpdesk.")
            teams.ticket_set_team(ticket=ticket, actor=request.user, team=team)
        else:
            raise InvalidInput("Choose priority, status, assignee or team to change.")
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Updated.")
    return redirect(reverse("agent:ticket", kwargs={"number": ticket.number}))


# --- Merge, split and link -------------------------------------------------------------------


def _ticket_url(ticket: Ticket) -> str:
    return reverse("agent:ticket", kwargs={"number": ticket.number})


@staff_required
@require_http_methods(["GET", "POST"])
def agent_ticket_merge(request, number: int):
    """Merge this ticket (a duplicate) into another: choose the number, confirm with both
    tickets side by side, then merge. Without a confirmation nothing changes."""
    source = selectors.ticket_for_viewer(request.membership, number)
    form = MergeForm(request.POST or None)
    target = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                target = selectors.other_ticket(form.cleaned_data["target"])
                if not form.cleaned_data["confirm"]:
                    merging.merge_check(source, target)
                    status = 200  # the confirmation step: both tickets, side by side
                else:
                    merged = merging.ticket_merge(source=source, target=target, actor=request.user)
                    messages.success(
                        request,
                        f"#{source.number} had already been merged into this ticket."
                        if merged.repeated
                        else f"#{source.number} was merged into #{merged.target.number}.",
                    )
                    return redirect(_ticket_url(merged.target))
            except DomainError as error:
                form.add_error("target", messages_of(error))
                target = None
                status = error.status
    return render(
        request,
        "agent/ticket_merge.html",
        {"ticket": source, "form": form, "target": target},
        status=status,
    )


@staff_required
@require_POST
def agent_ticket_links(request, number: int):
    """Link this ticket to another (``action=link``) or remove a link (``action=unlink``).
    htmx swaps the links card; without JavaScript the page reloads with a message."""
    ticket = selectors.ticket_for_viewer(request.membership, number)
    action = request.POST.get("action", "link")
    form = LinkForm(request.POST, auto_id="link-%s")
    status = 200
    done = ""
    if action not in ("link", "unlink"):
        form.add_error(None, "Choose to link or to remove a link.")
        status = 400
    elif form.is_valid():
        try:
            other = selectors.other_ticket(form.cleaned_data["ticket"])
            if action == "link":
                _link, created = merging.ticket_link(ticket=ticket, other=other, actor=request.user)
                done = f"Linked to #{other.number}." if created else "Those were linked already."
            else:
                merging.ticket_unlink(ticket=ticket, other=other, actor=request.user)
                done = f"Link to #{other.number} removed."
        except DomainError as error:
            form.add_error("ticket", messages_of(error))
            status = error.status
    else:
        status = 400
    if request.headers.get("HX-Request"):
        card = render(
            request,
            "agent/_ticket_links.html",
            {
                "ticket": ticket,
                "links": selectors.linked_tickets(ticket),
                "link_form": form if status != 200 else LinkForm(auto_id="link-%s"),
                "max_links": merging.MAX_LINKS,
                "links_done": done,
            },
        )
        if status != 200:
            # htmx swaps 2xx answers only: a refusal is shown in the card, its status in a
            # header for scripts and tests.
            card["X-Refusal-Status"] = str(status)
        return card
    if status == 200:
        messages.success(request, done)
    else:
        for error in form.errors.values():
            for text in error:
                messages.error(request, text)
    return redirect(_ticket_url(ticket) + "#links")


@staff_required
@require_http_methods(["GET", "POST"])
def agent_ticket_split(request, number: int):
    """Split one public message of this ticket off into a new ticket (GET ?comment=<id>
    shows the message and a subject to confirm)."""
    ticket = selectors.ticket_for_viewer(request.membership, number)
    data = request.POST if request.method == "POST" else None
    chosen = parse_ids([request.POST.get("comment") or request.GET.get("comment", "")])
    comment = ticket.comments.filter(pk=chosen[0]).first() if chosen else None
    initial = {}
    if comment is not None:
        initial = {
            "comment": comment.pk,
            "subject": merging.default_split_subject(comment, ticket),
        }
    form = SplitForm(data, initial=initial)
    status = 200 if comment is not None else 404
    problem = None
    if comment is not None:
        problem = merging.split_problem(ticket, comment, message_count=ticket.comments.count())
        if problem:
            status = 409
    if request.method == "POST" and comment is not None and not problem:
        status = 400
        if form.is_valid():
            try:
                new = merging.comment_split(
                    ticket=ticket,
                    comment_id=form.cleaned_data["comment"],
                    actor=request.user,
                    subject=form.cleaned_data["subject"],
                )
            except DomainError as error:
                form.add_error(None, messages_of(error))
                status = error.status
            else:
                messages.success(request, f"The message is now ticket #{new.number}.")
                return redirect(_ticket_url(new))
    return render(
        request,
        "agent/ticket_split.html",
        {"ticket": ticket, "comment": comment, "form": form, "problem": problem},
        status=status,
    )
