"""The demo's mailbox: a tenant admin reads the emails the demo "sent", from the outbox.

Served only with DEBUG on (``bin/demo`` runs with it); otherwise every URL here is a 404, so a
production desk never shows its outgoing mail in a page. The rows come through the tenant-scoped
manager: an admin sees their own tenant's emails and nobody else's.
"""

from functools import wraps

from csp.decorators import csp_update
from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from outbox.models import OutboxEmail
from tenants.access import admin_required

PER_PAGE = 50


def demo_only(view):
    """A 404 unless DEBUG is on, before anything else (sign-in included) is looked at."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.DEBUG:
            raise Http404("Only the demo (DEBUG on) shows its sent emails.")
        return view(request, *args, **kwargs)

    return wrapped


def _with_base_target(html: str) -> str:
    """Links in the shown email open in a new tab (the frame itself may not show our pages)."""
    base = '<base target="_blank">'
    head = html.lower().find("<head>")
    if head == -1:
        return base + html
    cut = head + len("<head>")
    return html[:cut] + base + html[cut:]


@demo_only
@admin_required
@require_GET
def sent_emails(request):
    emails = OutboxEmail.objects.order_by("-created_at", "-pk").only(
        "pk", "recipient", "subject", "status", "template", "created_at", "sent_at"
    )
    page = Paginator(emails, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "demo/emails.html", {"page": page})


@demo_only
@admin_required
@require_GET
# The email's HTML (in a sandboxed srcdoc frame, which inherits this page's policy) is styled
# with attributes, as emails must be: allowed here, and nowhere else.
@csp_update({"style-src-attr": ["'unsafe-inline'"]})
def sent_email(request, pk: int):
    email = get_object_or_404(OutboxEmail.objects.select_related("ticket"), pk=pk)
    return render(
        request,
        "demo/email.html",
        {"email": email, "html_document": _with_base_target(email.body_html)},
    )
