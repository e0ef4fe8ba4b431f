"""The portal's submission form: the demo tenant's questions, validation, files, staging."""

import html
import io
import os
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from demo.tickets import DEMO_FORM
from tenants.context import tenant_context
from tickets.models import Attachment, Ticket, TicketFormField


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def form_tenant(world_a):
    with tenant_context(world_a.tenant):
        for field in DEMO_FORM:
            TicketFormField.objects.create(**field)
        world_a.tenant.current_app_version = "11.4.1"
        world_a.tenant.save()
    return world_a


def valid_data(**overrides):
    data = {
        "email": "Jo@Example.net",
        "subject": "Restore stops halfway",
        "priority": "urgent",
        "q_product": "CrashPlan for Small Business",
        "q_os": "Windows 11 23H2",
        "q_app_version": "11.3.0",
        "q_device_guids": "886753090281838913\n3f2b8c1e-9d4a-4e57-8f6b-2a1c0d9e7b35",
        "q_affected_users": "jo@example.net, backup-admin",
        "description": "The restore of D:\\Accounts stops at 40% every time.",
        "q_destinations": ["CrashPlan cloud"],
    }
    data.update(overrides)
    return data


def post(world, data, **files):
    client = Client(HTTP_HOST=world.host)
    return client, client.post("/tickets/new/", {**data, **files})


def test_the_demo_form_asks_what_the_policy_asks(form_tenant):
    page = Client(HTTP_HOST=form_tenant.host).get("/tickets/new/").content.decode()
    for label in [
        "Product",
        "Operating system and version",
        "CrashPlan app version",
        "Computer ID (GUID)",
        "Logs from the CrashPlan app",
        "Email address or username of each affected user account",
        "Describe the question or problem in detail",
        "Screenshots of the relevant settings or error messages",
        "Cloud backup destinations you use",
    ]:
        assert label in page, label
    # The impact question shows the tenant's priority definitions next to it.
    assert "How much does this affect your work?" in page
    assert f"Alpha Support urgent definition {form_tenant.marker}" in page


def test_anonymous_submission_with_files_shows_the_number(form_tenant):
    log = SimpleUploadedFile("backup.log", b"2026-11-26 ERROR restore aborted\n")
    shot = SimpleUploadedFile("error.png", png_bytes(), content_type="image/png")
    client, response = post(form_tenant, valid_data(), q_logs=[log], q_screenshots=[shot])
    assert response.status_code == 302, response.content.decode()[:2000]
    done = client.get(response["Location"]).content.decode()
    number = form_tenant.ticket.number + 1
    assert f"Ticket #{number} received" in done
    assert "jo@example.net" in done
    with tenant_context(form_tenant.tenant):
        ticket = Ticket.objects.get(number=number)
        files = {a.original_name: a.content_type for a in ticket.attachments.all()}
    assert files == {"backup.log": "text/plain", "error.png": "image/png"}
    assert ticket.requester is None and ticket.requester_email == "jo@example.net"
    assert ticket.priority == "urgent"
    assert ticket.app_version == "11.3.0" and ticket.app_version_outdated
    assert ticket.form_answers["device_guids"] == [
        "886753090281838913",
        "3f2b8c1e-9d4a-4e57-8f6b-2a1c0d9e7b35",
    ]
    assert ticket.form_answers["affected_users"] == ["jo@example.net", "backup-admin"]


def _assert_kept(response, data, *, except_field=None):
    """A 400 that says everything was kept, and shows every typed value but the bad one."""
    page = response.content.decode()
    assert response.status_code == 400
    assert "Everything you entered has been kept" in page
    for key in ("subject", "q_os", "q_app_version", "email"):
        if key != except_field:
            assert data[key] in page, key
    if except_field != "description":
        assert "The restore of D:\\Accounts stops at 40% every time." in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "q_device_guids",
            "12345\nnot-a-guid",
            "These are not computer IDs (GUIDs): 12345, not-a-guid",
        ),
        (
            "q_affected_users",
            "jo@@example, ok-user",
            "not valid email addresses or usernames: jo@@example",
        ),
        ("q_app_version", "eleven", "Enter a version number such as 11.4.1."),
        ("email", "not-an-email", "Enter a valid email address."),
        ("q_os", "", "This field is required."),
        ("description", "", "This field is required."),
    ],
)
def test_bad_input_gets_a_clear_error_and_loses_nothing(form_tenant, field, value, message):
    data = valid_data(**{field: value})
    _client, response = post(form_tenant, data)
    assert message in response.content.decode()
    _assert_kept(response, data, except_field=field)
    with tenant_context(form_tenant.tenant):
        assert Ticket.objects.count() == 1  # only the world's own ticket


def test_html_named_png_is_rejected_by_content_and_good_files_are_kept(form_tenant):
    fake = SimpleUploadedFile("shot.png", b"<html><script>alert(1)</script></html>", "image/png")
    log = SimpleUploadedFile("backup.log", b"all good\n")
    data = valid_data()
    client, response = post(form_tenant, data, q_screenshots=[fake], q_logs=[log])
    page = response.content.decode()
    assert "“shot.png” is not a PNG, JPEG or WebP image" in page
    _assert_kept(response, data)
    # The log passed its checks: it is kept and offered again, not lost.
    assert "Files already uploaded" in page and "backup.log" in page
    with tenant_context(form_tenant.tenant):
        staged = Attachment.objects.get(original_name="backup.log")
    assert staged.ticket_id is None and staged.staged_key
    # Resubmitting (without choosing the log again) attaches the kept file.
    again = client.post(
        "/tickets/new/",
        {**data, "staging_key": staged.staged_key, f"keep_{staged.pk}": "1"},
    )
    assert again.status_code == 302
    with tenant_context(form_tenant.tenant):
        staged.refresh_from_db()
        assert staged.ticket.number == form_tenant.ticket.number + 1
        assert staged.staged_key == ""


def test_oversize_file_is_rejected_with_the_limit(form_tenant, settings):
    settings.ATTACHMENT_MAX_FILE_BYTES = 1024
    big = SimpleUploadedFile("huge.log", b"x" * 2048)
    _client, response = post(form_tenant, valid_data(), q_logs=[big])
    assert (
        "“huge.log” is 2.0\xa0KB; each file may be at most 1.0\xa0KB." in response.content.decode()
    )
    _assert_kept(response, valid_data())


def test_binary_file_is_not_a_log(form_tenant):
    blob = SimpleUploadedFile("app.log", b"\x00\x01\x02ELF")
    _client, response = post(form_tenant, valid_data(), q_logs=[blob])
    assert "“app.log” is not a text log or a zip archive." in response.content.decode()


def test_zip_logs_and_webp_and_jpeg_screenshots_are_accepted(form_tenant):
    zip_file = SimpleUploadedFile("logs.zip", b"PK\x03\x04" + b"\x00" * 40)
    jpeg = SimpleUploadedFile("a.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 40)
    webp = SimpleUploadedFile("b.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 30)
    _c, response = post(form_tenant, valid_data(), q_logs=[zip_file], q_screenshots=[jpeg, webp])
    assert response.status_code == 302
    with tenant_context(form_tenant.tenant):
        types = sorted(
            Attachment.objects.exclude(ticket=form_tenant.ticket).values_list(
                "content_type", flat=True
            )
        )
    assert types == ["application/zip", "image/jpeg", "image/webp"]


def test_total_attachment_size_per_ticket_is_limited(form_tenant, settings):
    settings.ATTACHMENT_MAX_TICKET_BYTES = 100
    logs = [SimpleUploadedFile(f"{i}.log", b"y" * 60) for i in range(2)]
    _c, response = post(form_tenant, valid_data(), q_logs=logs)
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "The files add up to 120\xa0bytes; a ticket's attachments may total at most" in page


def test_signed_in_customer_submits_without_typing_an_email(form_tenant, as_member):
    client = as_member(form_tenant.users["customer"], form_tenant.tenant)
    data = valid_data()
    del data["email"]
    response = client.post("/tickets/new/", data)
    assert response.status_code == 302
    with tenant_context(form_tenant.tenant):
        ticket = Ticket.objects.order_by("-number").first()
        assert ticket.requester == form_tenant.users["customer"]
        assert ticket.organization == form_tenant.organization


def test_abandoned_staged_files_are_purged_after_the_staging_window(form_tenant):
    import time_machine

    from tickets.tasks import purge_staged_attachments

    fake = SimpleUploadedFile("shot.png", b"<html></html>")
    log = SimpleUploadedFile("kept.log", b"fine\n")
    post(form_tenant, valid_data(), q_screenshots=[fake], q_logs=[log])
    with tenant_context(form_tenant.tenant):
        staged = Attachment.objects.get(original_name="kept.log")
    path = staged.file.path
    assert purge_staged_attachments() == 0  # still inside the window
    with time_machine.travel(staged.created_at + timedelta(hours=25)):
        assert purge_staged_attachments() == 1
    with tenant_context(form_tenant.tenant):
        assert not Attachment.objects.filter(pk=staged.pk).exists()
        assert Attachment.objects.filter(pk=form_tenant.attachment.pk).exists()  # real files stay
    assert not os.path.exists(path)
