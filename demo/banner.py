"""What the demo prints: every demo tenant's addresses and logins, and what to try next."""

from django.conf import settings
from django.urls import reverse

from demo.tenants import DEMO_PASSWORD, DEMO_PEOPLE
from tenants.models import Tenant

RULE = "=" * 78


def demo_tenants() -> list[Tenant]:
    """The seeded demo tenants, in the order ``DEMO_PEOPLE`` lists them."""
    by_slug = {t.slug: t for t in Tenant.objects.filter(slug__in=list(DEMO_PEOPLE))}
    return [by_slug[slug] for slug in DEMO_PEOPLE if slug in by_slug]


def logins(tenants: list[Tenant]) -> list[str]:
    """Each tenant's portal and workspace address, then one line per login with its role."""
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    for tenant in tenants:
        lines += [
            "",
            f"  {tenant.name}",
            f"    customer portal   {tenant.url()}",
            f"    agent workspace   {tenant.url(reverse('agent:home'))}",
        ]
        for email, _name, role, _org in DEMO_PEOPLE[tenant.slug]:
            lines.append(f"    {role:<9} {email}")
    return lines


def platform_admin_line() -> str:
    port = settings.SITE_PORT
    netloc = f"{settings.BASE_DOMAIN}:{port}" if port and port not in (80, 443) else ""
    return (
        f"Platform admin: {settings.SITE_SCHEME}://{netloc or settings.BASE_DOMAIN}/admin/ "
        "(create an operator: .venv/bin/python manage.py createsuperuser)"
    )


def ready(tenants: list[Tenant]) -> str:
    """The one message ``bin/demo`` prints once the web server and the worker answer."""
    lines = [RULE, "The demo helpdesk is up.", ""]
    lines += logins(tenants)
    if tenants:
        emails = tenants[0].url(reverse("agent:demo_emails"))
        lines += [
            "",
            f"Emails the demo sends are not delivered: read them at {emails}",
            "  (signed in as an admin; each tenant has its own list).",
            "See auto-close and the satisfaction survey without waiting two days: solve a",
            "  ticket, then run  .venv/bin/python manage.py demo_advance_clock <ticket number>",
        ]
    lines += [platform_admin_line(), "Ctrl-C stops the web server, the worker and beat.", RULE]
    return "\n".join(lines)
