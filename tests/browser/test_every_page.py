"""Every main page of each role, at desktop and phone widths, on the demo desk: it fits the
window (no sideways scrolling), it is saved as a screenshot, and axe-core finds no serious or
critical accessibility violation. The live chat pages are checked in their live states (a chat
waiting, one in progress, one ended), with their websockets connected.

The pages are served by the ASGI application (``asgi_server``), as in production: every
workspace page opens the chat websocket, which a WSGI test server cannot answer.
"""

import json
from datetime import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import Resolver404, resolve

from bugs.models import BugReport
from chat import services as chat_services
from chat.selectors import Participant
from demo.tenants import DEMO_PASSWORD as PASSWORD
from desk.models import BusinessHours, TenantHoliday
from escalations.services import escalation_request
from inbox.models import SupportAddress
from tenants.context import tenant_context
from tenants.models import Membership, Tenant
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_chat_journey import tiny_png
from tickets import events as ticket_events
from tickets import teams
from tickets.models import Ticket
from webhooks import services as webhooks

# WhiteNoise serves static files from synchronous iterators; under ASGI Django says so.
pytestmark = pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous")

WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}


# role -> (login, [(name, path)]); "{ticket}" is a ticket of that person's.
PAGES = {
    "customer": (
        "customer@demo.example.com",
        [
            ("portal-home", "/"),
            ("ticket-form", "/tickets/new/"),
            ("my-tickets", "/tickets/"),
            ("portal-ticket", "/tickets/{ticket}/"),
            ("support-policy", "/support-policy/"),
            ("password-change", "/accounts/password/change/"),
            ("two-factor", "/accounts/2fa/"),
            ("api-tokens", "/accounts/api-tokens/"),
        ],
    ),
    "agent": (
        "agent@demo.example.com",
        [
            ("queue", "/agent/"),
            ("agent-ticket", "/agent/tickets/{ticket}/"),
            ("people", "/agent/people/"),
            ("bugs", "/agent/bugs/?status="),
            ("bug", "/agent/bugs/{bug}/"),
            ("ticket-bug", "/agent/tickets/{ticket}/bug/?find=restore"),
            ("ticket-merge", "/agent/tickets/{ticket}/merge/"),
            ("notifications", "/agent/notifications/"),
            ("notification-settings", "/agent/notifications/settings/"),
        ],
    ),
    "manager": (
        "manager@demo.example.com",
        [
            ("overview", "/agent/overview/"),
            ("csat-report", "/agent/reports/csat/"),
            ("tag-report", "/agent/reports/tags/"),
            ("time-report", "/agent/reports/time/"),
            ("escalations", "/agent/escalations/"),
            ("escalation", "/agent/escalations/{escalation}/"),
            ("escalation-report", "/agent/escalations/report/"),
            ("macros", "/agent/macros/"),
        ],
    ),
    "admin": (
        "admin@demo.example.com",
        [
            ("settings", "/agent/settings/"),
            ("settings-hours", "/agent/settings/hours/"),
            ("settings-holidays", "/agent/settings/holidays/"),
            ("settings-priorities", "/agent/settings/priorities/"),
            ("settings-email", "/agent/settings/email/"),
            ("settings-mailbox", "/agent/settings/email/{address}/mailbox/"),
            ("settings-tags", "/agent/settings/tags/"),
            ("settings-teams", "/agent/settings/teams/"),
            ("settings-webhooks", "/agent/settings/webhooks/"),
            ("settings-webhook", "/agent/settings/webhooks/{webhook}/"),
            ("audit-log", "/agent/audit/"),
            ("reauthenticate", "/accounts/reauthenticate/"),
            ("api-docs", "/api/v1/docs/"),
        ],
    ),
}
SIGNED_OUT = [
    ("sign-in", "/accounts/login/"),
    ("sign-up", "/accounts/signup/"),
    ("sign-in-code", "/accounts/login/code/"),
    ("password-reset", "/accounts/password/reset/"),
]


@pytest.fixture
def demo_desk(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", verbosity=0)
    tenant = Tenant.objects.get(slug="demo")
    with tenant_context(tenant):
        membership = Membership.objects.select_related("user").get(
            user__email="customer@demo.example.com"
        )
        ticket = (
            Ticket.objects.filter(requester=membership.user, status__in=Ticket.UNSOLVED)
            .order_by("number")
            .first()
        )
        # An endpoint that hears of everything: the escalation below makes its first delivery.
        webhook, _secret = webhooks.endpoint_create(
            url="https://hooks.example.com/helpdesk/tickets",
            events=[kind for kind, _label in ticket_events.choices()],
            description="Our CRM",
        )
        request = escalation_request(
            ticket=ticket,
            actor=membership.user,
            membership=membership,
            reason="Our whole office is blocked",
            requested_priority="urgent",
        )
        # The demo's fixed report: customers to tell, notes and history on one page.
        bug = BugReport.objects.get(status="fixed")
        address = SupportAddress.objects.get()
        # A team with every staff member (Settings → Teams), the customer's ticket in it.
        team = teams.team_create(name="Front line")
        for person in Membership.objects.filter(role__in=Membership.STAFF_ROLES):
            teams.team_member_add(team=team, membership=person)
        teams.ticket_set_team(ticket=ticket, actor=None, team=team)
    return {
        "ticket": ticket.number,
        "escalation": request.pk,
        "bug": bug.pk,
        "address": address.pk,
        "webhook": webhook.pk,
    }


def _fits(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width}px wide in a {viewport}px window"


def _top_bar_keeps_its_controls(page):
    """Only the search gives way in the workspace's top bar: on a phone the menu button's and
    the bell's icons had shrunk to dots beside a two-letter search box."""
    icons = page.evaluate(
        """() => [...document.querySelectorAll('.topbar svg')]
            .filter(svg => svg.getClientRects().length)
            .map(svg => [svg.closest('a,button,summary')?.className || '?',
                         svg.getBoundingClientRect().width])"""
    )
    squeezed = [(owner, width) for owner, width in icons if width < 14]
    assert not squeezed, f"{page.url}: top bar icons squeezed: {squeezed}"
    search = page.locator(".topbar-search input")
    if search.count():
        assert search.bounding_box()["width"] >= 120, f"{page.url}: the search box is too narrow"


def _accessible(page, axe, name):
    results = axe.run(page)
    serious = [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(results.response["violations"]))
    assert not serious, f"{page.url}: {json.dumps(serious, indent=1)}"


def _visit(page, axe, base, pages, size, names):
    for name, path, *expected in pages:
        response = page.goto(base + path.format(**names))
        assert response.status == 200, f"{path}: {response.status}"
        for text in expected:  # the state the page must be in (chat open, a chat waiting...)
            page.get_by_text(text).first.wait_for()
        _fits(page)
        _top_bar_keeps_its_controls(page)
        page.screenshot(path=ARTIFACTS / f"page-{name}-{size}.png", full_page=True)
        _accessible(page, axe, f"{name}-{size}")


def _sign_in(page, base, login):
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_login").fill(login)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("size", list(WIDTHS))
@pytest.mark.parametrize("role", list(PAGES))
def test_every_main_page_fits_and_passes_axe(asgi_server, browser_page, demo_desk, role, size):
    page = browser_page
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[size], strict=True)))
    base = asgi_server.base("demo")
    axe = Axe()
    login, pages = PAGES[role]
    if role == "customer":
        _visit(page, axe, base, SIGNED_OUT, size, demo_desk)
    _sign_in(page, base, login)
    _visit(page, axe, base, pages, size, demo_desk)


# --- Live chat ---------------------------------------------------------------------------------

# role -> [(name, path, text the page must show)]; "{chat}" is a chat in progress between the
# demo customer and agent, "{waiting}" one nobody has taken yet, "{ended}" one that ended and
# became a ticket.
CHAT_PAGES = {
    "customer": [
        ("chat-start", "/chat/", "Start chat"),
        ("chat-room", "/chat/{chat}/", "You are chatting with"),
        ("chat-room-ended", "/chat/{ended}/", "This chat has ended."),
    ],
    "agent": [
        ("chat-console", "/agent/chats/", "Take"),
        ("chat-agent", "/agent/chats/{chat}/", "Make it a ticket"),
        ("chat-agent-waiting", "/agent/chats/{waiting}/", "Take this chat"),
    ],
    "manager": [
        # Added by the chat report's own work; checked once its URL exists.
        ("chat-report", "/agent/chats/report/"),
    ],
}


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


@pytest.fixture
def demo_chats(demo_desk):
    """Chat on the demo desk: open around the clock (the browser runs on the real clock), the
    demo agent available, and three chats through the real services."""
    tenant = Tenant.objects.get(slug="demo")
    tenant.holiday_country = ""
    tenant.save(update_fields=["holiday_country"])
    with tenant_context(tenant):
        BusinessHours.objects.all().delete()
        TenantHoliday.objects.all().delete()
        for weekday in range(7):
            BusinessHours.objects.create(weekday=weekday, opens=time(0), closes=time(0))
        people = {
            m.role: m.user
            for m in Membership.objects.select_related("user").filter(
                user__email__in=["customer@demo.example.com", "agent@demo.example.com"]
            )
        }
        customer, agent = people["customer"], people["agent"]
        chat_services.availability_set(user=agent, available=True)
        staff = Participant("agent", agent.pk, agent.display_name)

        def conversation(visitor_key, topic, lines):
            chat = chat_services.chat_start(
                name=customer.display_name,
                email=customer.email,
                topic=topic,
                customer=customer,
                visitor_key=visitor_key,
            )
            chat_services.chat_accept(chat=chat, agent=agent)
            them = Participant("customer", customer.pk, chat.name)
            for author, body in lines:
                chat_services.message_post(
                    chat=chat, who=them if author == "customer" else staff, body=body
                )
            return chat, them

        ended, them = conversation(
            "e" * 32,
            "Invoice shows the old company address",
            [("customer", "Our invoice still has the old address."), ("agent", "Fixed it.")],
        )
        chat_services.chat_to_ticket(
            chat=ended, actor=agent, subject="Invoice address", priority="low"
        )
        chat_services.chat_end(chat=ended, who=staff)
        chat, them = conversation(
            "c" * 32,
            "The nightly backup stops at 97% since the update",
            [
                ("customer", "Hi! The job log says 'snapshot timeout' every night."),
                ("agent", "Thanks. Could you send a screenshot of the error?"),
            ],
        )
        upload = SimpleUploadedFile("backup-error.png", tiny_png(), "image/png")
        chat_services.file_post(chat=chat, who=them, upload=upload)
        chat_services.message_post(
            chat=chat, who=staff, body="Got it. One moment while I look at the job settings."
        )
        waiting = chat_services.chat_start(
            name="Jordan Visitor",
            email="jordan@example.net",
            topic="Can I move my licence to a new laptop?",
            visitor_key="w" * 32,
        )
    return {"chat": chat.token, "waiting": waiting.token, "ended": ended.token}


@pytest.mark.parametrize("size", list(WIDTHS))
def test_every_chat_page_fits_and_passes_axe(asgi_server, demo_chats, browser_page, size):
    browser = browser_page.context.browser
    base = asgi_server.base("demo")
    axe = Axe()
    width, height = WIDTHS[size]
    for role, pages in CHAT_PAGES.items():
        pages = [p for p in pages if _resolves(p[1].format(**demo_chats).split("?")[0])]
        if not pages:
            continue
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.set_default_timeout(15000)
        try:
            _sign_in(page, base, PAGES[role][0])
            _visit(page, axe, base, pages, size, demo_chats)
        finally:
            context.close()
