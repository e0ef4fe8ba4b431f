"""Live chat in two browsers: a customer and an agent, served by the real ASGI application
(uvicorn, websockets and all; see ``asgi_server`` in conftest.py).

The browsers and the server use the real clock, so the desk is open around the clock (every day
00:00-24:00, no public holidays) and "is chat offered now" depends only on the agent's switch.
Screenshots of every chat page at desktop and phone widths go to
/tmp/helpdesk-browser/chat-<step>-<width>.png.
"""

import re
import struct
import zlib
from datetime import time

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from chat.models import Chat, ChatMessage
from desk.services import desk_create
from tenants.context import tenant_context
from tenants.models import Membership
from tests.browser.conftest import ARTIFACTS
from tickets.models import Ticket

# WhiteNoise serves static files from synchronous iterators; under ASGI Django says so.
pytestmark = pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous")

PASSWORD = "a-long-browser-password-42"
ALL_DAY_EVERY_DAY = [(weekday, time(0), time(0)) for weekday in range(7)]
WIDTHS = {"1440": (1440, 900), "390": (390, 844)}
TOPIC = "Our nightly backup stops at 97% since the update"


def tiny_png() -> bytes:
    """A real 8x8 PNG (the upload check reads the content, not the name)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x33\x66\xcc" * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def chat_desk(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tenant = desk_create(
        slug="chatdesk", name="Northwind Support", hours=ALL_DAY_EVERY_DAY, holiday_country=""
    )
    User = get_user_model()
    people = {}
    with tenant_context(tenant):
        for role, name in [
            ("customer", "Cara Lindqvist"),
            ("agent", "Ravi Patel"),
            ("manager", "Mia Okafor"),
        ]:
            user = User.objects.create_user(
                email=f"{role}@chatdesk.example", password=PASSWORD, name=name
            )
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
            Membership.objects.create(user=user, role=role)
            people[role] = user
    return tenant, people


def in_tenant(tenant, func, *args, **kwargs):
    with tenant_context(tenant):
        return func(*args, **kwargs)


def sign_in(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()


def snap(page, name):
    """Screenshots at both widths (then back to desktop); each must fit its window."""
    for width, (w, h) in WIDTHS.items():
        page.set_viewport_size({"width": w, "height": h})
        page.wait_for_timeout(500)  # layout, transitions and scroll settle after the resize
        page.screenshot(path=str(ARTIFACTS / f"chat-{name}-{width}.png"), full_page=True)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= w, f"{name}: {scroll}px wide in a {w}px window"
    page.set_viewport_size({"width": 1440, "height": 900})


def new_page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def test_customer_and_agent_chat_then_the_chat_becomes_a_ticket(
    asgi_server, chat_desk, browser_page
):
    tenant, people = chat_desk
    base = asgi_server.base(tenant.slug)
    browser = browser_page.context.browser
    agent = browser_page
    agent.set_viewport_size({"width": 1440, "height": 900})
    customer = new_page(browser)

    # The agent signs in and opens the chat console; they start away from chat.
    sign_in(agent, base, people["agent"].email)
    agent.goto(f"{base}/agent/chats/")
    # Static files are served (WhiteNoise), or the pages would lack their style and scripts.
    for asset in ("/static/css/app.css", "/static/js/chat.js", "/static/js/chat-agent.js"):
        assert agent.evaluate("url => fetch(url).then(r => r.status)", asset) == 200, asset
    switch = agent.locator("main [data-chat-switch] [role=switch]")
    assert switch.get_attribute("aria-checked") == "false"

    # Nobody is available: the customer is told so and offered the ticket form.
    sign_in(customer, base, people["customer"].email)
    customer.goto(f"{base}/chat/")
    customer.get_by_text("Every agent is busy or away right now.").wait_for()
    assert customer.get_by_role("button", name="Chat now").is_disabled()
    snap(customer, "closed")

    # 1. The agent switches "Available for chat" on (both switches on the page follow).
    switch.click()
    agent.locator("main [data-chat-switch] [role=switch][aria-checked=true]").wait_for()
    assert agent.locator("main .switch-label").inner_text() == "Available for chat"
    assert agent.locator(".topbar [role=switch]").get_attribute("aria-checked") == "true"
    agent.reload()
    assert switch.get_attribute("aria-checked") == "true"  # stored, not only drawn
    agent.get_by_text("1 agent available").wait_for()

    # 2. The customer sees "Chat now" on the portal home and starts a chat.
    customer.goto(f"{base}/")
    chat_now = customer.get_by_role("link", name="Chat now")
    chat_now.wait_for()
    snap(customer, "portal-home")
    chat_now.click()
    assert customer.get_by_label("Your name").input_value() == "Cara Lindqvist"
    assert customer.get_by_label("Email").input_value() == people["customer"].email
    customer.get_by_label("What can we help with?").fill(TOPIC)
    snap(customer, "prechat")
    customer.get_by_role("button", name="Start chat").click()
    customer.wait_for_url(re.compile(r"/chat/[\w-]+/$"))
    customer.get_by_text("You are number 1 in line.").wait_for()
    customer.locator("[data-chat-log]").get_by_text(TOPIC).wait_for()
    snap(customer, "room-waiting")
    chat = asgi_server.db(in_tenant, tenant, Chat.objects.get)
    assert chat.status == Chat.Status.WAITING and chat.customer_id == people["customer"].pk

    # 3. The agent's workspace announces it without a reload: a toast, the badge, the list.
    agent.locator(".toast", has_text="New chat: Cara Lindqvist").wait_for()
    badge = agent.locator("[data-chats-badge]")
    assert badge.inner_text() == "1" and badge.is_visible()
    waiting = agent.locator("[data-chat-item]", has_text="Cara Lindqvist")
    waiting.wait_for()
    snap(agent, "console-waiting")
    # The customer starts typing while they wait; the agent takes the chat.
    customer_box = customer.get_by_role("textbox", name="Message")
    first_line = "Hi! The job log says 'snapshot timeout' every night."
    customer_box.fill(first_line)
    waiting.get_by_role("button", name="Take").click()
    agent.wait_for_url(f"**/agent/chats/{chat.token}/")
    customer.get_by_text("You are chatting with Ravi Patel.").wait_for()
    # The page redrew itself for the new state; what the customer was typing is still there.
    assert customer_box.input_value() == first_line

    # 4. Messages both ways, live; the typing indicator; a file from the customer.
    agent_box = agent.get_by_role("textbox", name="Message")
    agent_log = agent.locator("[data-chat-log]")
    customer_log = customer.locator("[data-chat-log]")
    customer_box.press("Enter")
    agent_log.get_by_text("snapshot timeout").wait_for()
    agent_box.press_sequentially("Thanks Cara", delay=20)
    customer.locator("[data-chat-typing]", has_text="Ravi Patel is typing").wait_for()
    agent_box.press_sequentially(", could you send a screenshot of the error?", delay=5)
    agent_box.press("Enter")
    customer_log.get_by_text("could you send a screenshot of the error?").wait_for()
    snap(customer, "room-active")
    customer.locator("[data-chat-file]").set_input_files(
        {"name": "backup-error.png", "mimeType": "image/png", "buffer": tiny_png()}
    )
    agent_log.get_by_role("link", name="backup-error.png").wait_for()
    customer_log.get_by_role("link", name="backup-error.png").wait_for()
    customer_box.fill("Here it is. It started after version 4.2.")
    customer_box.press("Enter")
    agent_log.get_by_text("started after version 4.2").wait_for()
    agent_box.fill("Got it. I'll open a ticket so our backup team can look into this.")
    agent_box.press("Enter")
    customer_log.get_by_text("I'll open a ticket").wait_for()
    snap(agent, "agent-chat")

    # 5. The agent turns the chat into a ticket; the customer's page says so.
    agent.get_by_label("Subject").fill("Nightly backup stops at 97% after 4.2 update")
    agent.get_by_label("Priority").select_option(label="High")
    agent.get_by_role("button", name="Create ticket").click()
    agent.get_by_text(re.compile(r"Ticket #\d+ created from the chat\.")).wait_for()
    ticket = asgi_server.db(in_tenant, tenant, Ticket.objects.get, channel=Ticket.Channel.CHAT)
    assert ticket.priority == "high" and ticket.requester_id == people["customer"].pk
    customer.locator(".notice", has_text=f"This conversation is ticket #{ticket.number}").wait_for()
    customer_log.get_by_text(f"This conversation is now ticket #{ticket.number}.").wait_for()

    # The agent ends the chat; both sides show the ended chat.
    agent.get_by_role("button", name="End chat").click()
    agent.get_by_text("Chat ended.").wait_for()
    customer.get_by_text("This chat has ended.").wait_for()
    customer.get_by_text("Thanks for chatting with us.").wait_for()
    assert customer_box.count() == 0  # nothing more can be sent
    snap(customer, "ended")
    snap(agent, "agent-ended")

    # The customer follows the ticket: the transcript is its first message, file included.
    customer.goto(f"{base}/tickets/")
    customer.get_by_role("link", name="Nightly backup stops at 97% after 4.2 update").click()
    first = customer.locator(".conversation > li").first
    first.get_by_text("snapshot timeout").wait_for()
    text = first.inner_text()
    assert "Topic: " + TOPIC in text
    assert "Ravi Patel: Thanks Cara, could you send a screenshot of the error?" in text
    assert "Cara Lindqvist: Here it is. It started after version 4.2." in text
    assert first.get_by_role("link", name="backup-error.png").count() == 1
    customer.screenshot(path=str(ARTIFACTS / "chat-ticket-transcript-1440.png"), full_page=True)

    kinds = asgi_server.db(
        in_tenant,
        tenant,
        lambda: list(ChatMessage.objects.filter(chat=chat).values_list("author_kind", flat=True)),
    )
    chat = asgi_server.db(in_tenant, tenant, Chat.objects.get)
    assert chat.status == Chat.Status.ENDED and chat.ticket_id == ticket.pk
    assert kinds.count("customer") == 4 and kinds.count("agent") == 2  # each message once
    customer.context.close()
