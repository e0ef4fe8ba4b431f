"""Attachments in an S3-compatible object store (ATTACHMENT_STORAGE=s3), as production runs.

moto's S3 runs as a real HTTP server on a loopback port, and the storage is configured by the
settings module itself from the variables an operator sets: uploads through the portal form,
the API, a chat and an email land in the bucket under their tenant's prefix, and come back out
only through the app's download views, with the same tenant and role checks as on disk.
"""

from __future__ import annotations

import runpy
import uuid
from pathlib import Path

import boto3
import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer
from storages.backends.s3 import S3Storage

from inbox import ingest
from inbox.models import SupportAddress
from tenants.context import tenant_context
from tenants.models import Membership
from tests.api.helpers import api
from tests.chat.helpers import OPEN_HOURS, accept, make_available, start_chat
from tests.conftest import PASSWORD, login_client
from tests.tickets.test_submission_form import form_tenant, png_bytes, valid_data  # noqa: F401
from tickets.models import Attachment, Ticket, TicketFormField

SETTINGS_FILE = Path(django_settings.BASE_DIR) / "helpdesk" / "settings.py"
MESSAGES = Path(__file__).parent.parent / "inbox" / "messages"


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 as a server on a free loopback port, for this module's tests."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def bucket(s3_endpoint, settings, monkeypatch, tmp_path):
    """A fresh private bucket, and the default storage the settings module makes of the
    variables an operator would set (the same code that runs at start-up)."""
    name = f"attachments-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
    )
    client.create_bucket(Bucket=name)
    for variable, value in {
        "ATTACHMENT_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": name,
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ADDRESSING_STYLE": "path",
        "AWS_ACCESS_KEY_ID": "test-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
        "AWS_S3_SERVER_SIDE_ENCRYPTION": "AES256",
        "VAR_DIR": str(tmp_path / "var"),
    }.items():
        monkeypatch.setenv(variable, value)
    production = runpy.run_path(str(SETTINGS_FILE))["STORAGES"]["default"]
    settings.STORAGES = {**settings.STORAGES, "default": production}
    assert isinstance(default_storage, S3Storage)
    client.bucket_name = name
    yield client
    # Nothing fell back to the local disk.
    assert not Path(settings.MEDIA_ROOT).exists()


def objects(client) -> dict[str, bytes]:
    """Every object in the bucket: key -> bytes."""
    listing = client.list_objects_v2(Bucket=client.bucket_name).get("Contents", [])
    return {
        item["Key"]: client.get_object(Bucket=client.bucket_name, Key=item["Key"])["Body"].read()
        for item in listing
    }


def keys_under(client, tenant) -> dict[str, bytes]:
    prefix = f"attachments/{tenant.pk}/"
    return {key: data for key, data in objects(client).items() if key.startswith(prefix)}


def stored(world, **filters) -> dict[str, str]:
    """original name -> the object key its row points at."""
    with tenant_context(world.tenant):
        return {a.original_name: a.file.name for a in Attachment.objects.filter(**filters)}


def another_customer(world):
    user = get_user_model().objects.create_user(
        email=f"other-{world.marker}@example.net", password=PASSWORD, name="Other customer"
    )
    with tenant_context(world.tenant):
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        Membership.objects.create(user=user, role=Membership.Role.CUSTOMER)
    return user


def submit_through_portal(world) -> tuple[Ticket, dict[str, str]]:
    """The signed-in customer sends the real submission form with a log and a screenshot."""
    client = login_client(world.users["customer"], world.tenant)
    data = valid_data()
    del data["email"]
    log = SimpleUploadedFile("backup.log", f"restore aborted {world.marker}\n".encode())
    shot = SimpleUploadedFile("error.png", png_bytes(), content_type="image/png")
    response = client.post("/tickets/new/", {**data, "q_logs": [log], "q_screenshots": [shot]})
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(world.tenant):
        ticket = Ticket.objects.order_by("-number").first()
    assert ticket.requester == world.users["customer"]
    return ticket, stored(world, ticket=ticket)


def download(client, world, ticket, name):
    with tenant_context(world.tenant):
        attachment = ticket.attachments.get(original_name=name)
    return client.get(f"/tickets/{ticket.number}/attachments/{attachment.pk}/")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.usefixtures("form_tenant")
def test_a_portal_upload_lands_in_the_bucket_under_its_tenant(world_a, bucket):
    ticket, names = submit_through_portal(world_a)
    assert set(names) == {"backup.log", "error.png"}
    in_bucket = keys_under(bucket, world_a.tenant)
    for key in names.values():
        assert key.startswith(f"attachments/{world_a.tenant.pk}/"), key
        assert len(key.rsplit("/", 1)[-1]) == 32  # a random name, nothing of the upload's
        assert key in in_bucket
    assert in_bucket[names["backup.log"]] == f"restore aborted {world_a.marker}\n".encode()
    assert in_bucket[names["error.png"]] == png_bytes()
    # Private, encrypted at rest, and typed by nobody's claim: the row keeps the sniffed type.
    key = names["error.png"]
    head = bucket.head_object(Bucket=bucket.bucket_name, Key=key)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "application/octet-stream"
    assert head["ContentDisposition"] == "attachment"
    grants = bucket.get_object_acl(Bucket=bucket.bucket_name, Key=key)["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
    assert all(g["Grantee"].get("URI") is None for g in grants)  # no AllUsers/AuthenticatedUsers
    # No link into the store is ever signed: the download view is the only way to the bytes.
    assert "Signature" not in default_storage.url(key)
    with tenant_context(world_a.tenant):
        assert ticket.attachments.get(original_name="error.png").content_type == "image/png"


def test_an_api_upload_lands_in_the_bucket_and_comes_back_through_the_api(world_a, bucket):
    with tenant_context(world_a.tenant):
        TicketFormField.objects.create(
            key="logs",
            label="Logs",
            field_type=TicketFormField.FieldType.FILES,
            file_kind=TicketFormField.FileKind.LOGS,
            position=60,
        )
    customer = api(world_a, "customer")
    made = customer.multipart(
        "/api/v1/tickets/",
        {
            "subject": "With a log",
            "description": "Attached.",
            "answers.logs": SimpleUploadedFile("api.log", b"error 42\n"),
        },
    )
    assert made.status_code == 201, made.content
    attachment = made.json()["comments"][0]["attachments"][0]
    with tenant_context(world_a.tenant):
        key = Attachment.objects.get(pk=attachment["id"]).file.name
    assert keys_under(bucket, world_a.tenant)[key] == b"error 42\n"
    assert body(customer.get(attachment["url"])) == b"error 42\n"


@pytest.mark.usefixtures("form_tenant")
def test_only_people_who_may_see_a_file_get_it_out_of_the_bucket(world_a, world_b, bucket):
    world = world_a
    ticket, _names = submit_through_portal(world)
    expected = f"restore aborted {world.marker}\n".encode()

    requester = login_client(world.users["customer"], world.tenant)
    response = download(requester, world, ticket, "backup.log")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="backup.log"')
    assert response["Content-Type"] == "text/plain"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body(response) == expected

    agent = login_client(world.users["agent"], world.tenant)
    response = download(agent, world, ticket, "backup.log")
    assert response.status_code == 200 and body(response) == expected

    stranger = login_client(another_customer(world), world.tenant)
    assert download(stranger, world, ticket, "backup.log").status_code == 404

    # Another tenant's customer: the same address on their own host finds nothing, and their
    # session does not count on this tenant's host (sign in first).
    with tenant_context(world.tenant):
        pk = ticket.attachments.get(original_name="backup.log").pk
    url = f"/tickets/{ticket.number}/attachments/{pk}/"
    outsider = world_b.users["customer"]
    assert login_client(outsider, world_b.tenant).get(url).status_code == 404
    assert login_client(outsider, world.tenant).get(url).status_code == 302

    # An internal note's file is in the bucket too, and only staff get it.
    note_file = SimpleUploadedFile("internal.log", b"secret diagnostics\n")
    world.reply(
        ticket, "agent", "see log", public=False, uploads=[("files", note_file, "text/plain")]
    )
    key = stored(world, ticket=ticket)["internal.log"]
    assert keys_under(bucket, world.tenant)[key] == b"secret diagnostics\n"
    assert download(requester, world, ticket, "internal.log").status_code == 404
    response = download(agent, world, ticket, "internal.log")
    assert response.status_code == 200 and body(response) == b"secret diagnostics\n"


def test_each_tenant_keeps_its_files_under_its_own_prefix(world_a, world_b, bucket):
    # The fixtures' tickets were submitted with a log each, through the real service.
    a = keys_under(bucket, world_a.tenant)
    b = keys_under(bucket, world_b.tenant)
    assert set(a) == set(stored(world_a).values())
    assert set(b) == set(stored(world_b).values())
    assert list(a.values()) == [f"log {world_a.marker}\n".encode()]
    assert list(b.values()) == [f"log {world_b.marker}\n".encode()]
    assert set(objects(bucket)) == set(a) | set(b)  # nothing outside a tenant's prefix


def test_a_chat_file_lands_under_its_tenant_and_downloads_for_both_sides(world_a, bucket):
    with time_machine.travel(OPEN_HOURS, tick=True):
        make_available(world_a)
        customer = world_a.users["customer"]
        chat = start_chat(world_a, customer=customer)
        accept(world_a, chat)
        client = login_client(customer, world_a.tenant)
        response = client.post(
            f"/chat/{chat.token}/files/",
            {"file": SimpleUploadedFile("dialog.png", png_bytes(), "image/png")},
        )
        assert response.status_code == 201, response.content
        url = response.json()["message"]["file"]["url"]
        key = stored(world_a, field_key="chat")["dialog.png"]
        assert keys_under(bucket, world_a.tenant)[key] == png_bytes()
        for reader in (client, login_client(world_a.users["agent"], world_a.tenant)):
            response = reader.get(url)
            assert response.status_code == 200 and body(response) == png_bytes()


def test_an_emails_files_land_under_its_tenant(world_a, bucket):
    with tenant_context(world_a.tenant):
        address = SupportAddress.objects.create(address="help@alpha-support.example")
    raw = (MESSAGES / "multipart.eml").read_bytes()
    ticket = ingest.ingest(tenant=world_a.tenant, raw=raw, address=address).ticket
    names = stored(world_a, ticket=ticket)
    assert set(names) == {"dialog.png", "restore.log", "message.eml"}
    in_bucket = keys_under(bucket, world_a.tenant)
    assert set(names.values()) <= set(in_bucket)
    assert in_bucket[names["message.eml"]] == raw
