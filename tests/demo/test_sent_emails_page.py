"""The demo's mailbox: a tenant admin reads the outbox of their own tenant, only with DEBUG on."""

import html
import logging
from pathlib import Path

import pytest
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.utils import timezone

from demo.mail import EmailBackend
from outbox.models import OutboxEmail
from outbox.services import email_deliver
from tenants.context import tenant_context
from tests.conftest import login_client

ROOT = Path(__file__).resolve().parents[2]
LIST = "/agent/demo/emails/"


def _email(world, **fields) -> OutboxEmail:
    defaults = {
        "template": "agent_reply",
        "recipient": "someone@example.net",
        "subject": "A subject",
        "body_text": "Plain text part",
        "body_html": "<p>HTML part</p>",
        "next_attempt_at": timezone.now(),
    }
    with tenant_context(world.tenant):
        return OutboxEmail.objects.create(
            idempotency_key=f"test:{OutboxEmail.objects.count()}", **{**defaults, **fields}
        )


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def test_an_admin_reads_the_list_newest_first_and_one_email_with_both_parts(world_a, debug):
    older = _email(world_a, subject="Older subject", recipient="old@example.net")
    newer = _email(
        world_a,
        subject="Newer subject",
        body_text="See http://alpha.localhost:8000/tickets/1/ for details",
        body_html='<p>Hello <script>alert("x")</script><a href="http://x.example/">link</a></p>',
    )
    client = login_client(world_a.users["admin"], world_a.tenant)

    page = client.get(LIST)
    assert page.status_code == 200
    body = page.content.decode()
    assert body.index("Newer subject") < body.index("Older subject")
    assert "old@example.net" in body and "Waiting to send" in body

    detail = client.get(f"{LIST}{newer.pk}/").content.decode()
    assert "Newer subject" in detail and "someone@example.net" in detail
    # Text part with its links clickable; HTML part only inside a sandboxed frame, escaped.
    assert '<a href="http://alpha.localhost:8000/tickets/1/"' in detail
    assert "<script>" not in detail
    frame = detail[detail.index("<iframe") : detail.index("</iframe>")]
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in frame
    srcdoc = html.unescape(frame.split('srcdoc="', 1)[1].split('"', 1)[0])
    assert srcdoc == (
        '<base target="_blank"><p>Hello <script>alert("x")</script>'
        '<a href="http://x.example/">link</a></p>'
    )
    assert client.get(f"{LIST}{older.pk}/").status_code == 200


def test_only_the_tenants_own_emails(world_a, world_b, debug):
    theirs = _email(world_b, subject=f"B secret {world_b.marker}")
    client = login_client(world_a.users["admin"], world_a.tenant)
    assert f"B secret {world_b.marker}" not in client.get(LIST).content.decode()
    assert client.get(f"{LIST}{theirs.pk}/").status_code == 404
    # A's admin is a stranger on B's host.
    on_b = login_client(world_a.users["admin"], world_a.tenant).get(LIST, HTTP_HOST=world_b.host)
    assert on_b.status_code == 302


@pytest.mark.parametrize("role", ["agent", "manager", "customer"])
def test_only_admins(world_a, debug, role):
    assert login_client(world_a.users[role], world_a.tenant).get(LIST).status_code == 403


def test_a_404_without_debug_whoever_asks(world_a, settings):
    settings.DEBUG = False
    email = _email(world_a)
    admin = login_client(world_a.users["admin"], world_a.tenant)
    for url in (LIST, f"{LIST}{email.pk}/"):
        assert admin.get(url).status_code == 404
        assert Client(HTTP_HOST=world_a.host).get(url).status_code == 404


def test_a_bad_page_number_shows_a_page(world_a, debug):
    _email(world_a)
    admin = login_client(world_a.users["admin"], world_a.tenant)
    for page in ("0", "-1", "x", "99999999999999999999"):
        assert admin.get(LIST, {"page": page}).status_code == 200


def test_the_demo_backend_logs_one_line_with_the_page_of_the_email(world_a, settings, caplog):
    settings.EMAIL_BACKEND = "demo.mail.EmailBackend"
    settings.SITE_PORT = 8123
    email = _email(world_a, subject="Your ticket", recipient="casey@example.net")
    with caplog.at_level(logging.INFO, logger="demo.mail"):
        assert email_deliver(tenant=world_a.tenant, email_id=email.pk) == "sent"
    lines = [r.getMessage() for r in caplog.records if r.name == "demo.mail"]
    assert lines == [
        f"Email to casey@example.net: Your ticket (read it at "
        f"http://alpha.localhost:8123/agent/demo/emails/{email.pk}/)"
    ]
    with tenant_context(world_a.tenant):
        email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT


def test_the_demo_backend_without_outbox_metadata(caplog):
    message = EmailMultiAlternatives("Hi", "text", to=["a@example.net"])
    with caplog.at_level(logging.INFO, logger="demo.mail"):
        assert EmailBackend().send_messages([message]) == 1
    assert [r.getMessage() for r in caplog.records] == ["Email to a@example.net: Hi"]


@pytest.mark.parametrize("host", ["alpha.localhost", "localhost"])
def test_favicon_on_tenant_and_platform_hosts(world_a, host):
    response = Client(HTTP_HOST=host).get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.svg"
    svg = (ROOT / "static" / "favicon.svg").read_text()
    assert svg.startswith("<svg ") and 'viewBox="0 0 32 32"' in svg
