"""Uploaded files are stored per tenant, and the migration moves files stored before that."""

import importlib

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from demo.tickets import DEMO_FORM
from tenants.context import TenantNotSet, cross_tenant, tenant_context
from tests.tickets.test_submission_form import png_bytes, post, valid_data
from tickets.models import Attachment, Ticket, TicketFormField, attachment_path

MIGRATION = "0009_attachment_files_per_tenant"


def historical_apps():
    """The app registry as the migration sees it: historical models with plain managers, so on
    PostgreSQL only row-level security stands between the migration and the rows."""
    loader = MigrationLoader(connection)
    return loader.project_state(("tickets", MIGRATION)).apps


@pytest.fixture(params=["project apps", "historical apps"])
def move_files_into_tenant_folders(request, django_capture_on_commit_callbacks):
    """The data migration's function, run with the project's or the migration's registry, and
    its after-commit deletions run as a real commit would run them."""
    module = importlib.import_module(f"tickets.migrations.{MIGRATION}")
    registry = apps if request.param == "project apps" else historical_apps()

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            module.move_files_into_tenant_folders(registry, None)

    return run


@pytest.fixture
def form_tenant(world_a):
    with tenant_context(world_a.tenant):
        for field in DEMO_FORM:
            TicketFormField.objects.create(**field)
    return world_a


def stored_names(world, **filters) -> list[str]:
    with tenant_context(world.tenant):
        return [a.file.name for a in Attachment.objects.filter(**filters)]


def test_files_of_a_submitted_ticket_are_stored_under_its_tenant(form_tenant):
    log = SimpleUploadedFile("backup.log", b"2026-11-26 ERROR restore aborted\n")
    shot = SimpleUploadedFile("error.png", png_bytes(), content_type="image/png")
    _client, response = post(form_tenant, valid_data(), q_logs=[log], q_screenshots=[shot])
    assert response.status_code == 302
    with tenant_context(form_tenant.tenant):
        ticket = Ticket.objects.get(number=form_tenant.ticket.number + 1)
    names = stored_names(form_tenant, ticket=ticket)
    assert len(names) == 2
    for name in names:
        assert name.startswith(f"attachments/{form_tenant.tenant.pk}/"), name
        assert default_storage.exists(name)


def test_files_kept_by_a_failed_form_are_stored_under_its_tenant(form_tenant):
    fake = SimpleUploadedFile("shot.png", b"<html></html>", "image/png")
    log = SimpleUploadedFile("kept.log", b"fine\n")
    _client, response = post(form_tenant, valid_data(), q_screenshots=[fake], q_logs=[log])
    assert response.status_code == 400
    (name,) = stored_names(form_tenant, original_name="kept.log", ticket__isnull=True)
    assert name.startswith(f"attachments/{form_tenant.tenant.pk}/"), name


def test_each_tenant_has_its_own_folder(world_a, world_b):
    (a,) = stored_names(world_a, ticket=world_a.ticket)
    (b,) = stored_names(world_b, ticket=world_b.ticket)
    assert a.startswith(f"attachments/{world_a.tenant.pk}/")
    assert b.startswith(f"attachments/{world_b.tenant.pk}/")


def test_a_path_is_never_made_without_a_tenant():
    with pytest.raises(TenantNotSet):
        attachment_path(Attachment(), "x.log")


def _move_to_none_folder(world, attachment, content: bytes) -> str:
    """Put a row back the way it was stored before the fix: under attachments/None/."""
    old = default_storage.save(f"attachments/None/{attachment.pk}-old", ContentFile(content))
    with tenant_context(world.tenant):
        Attachment.objects.filter(pk=attachment.pk).update(file=old)
    return old


def _file_name(world, attachment) -> str:
    with tenant_context(world.tenant):
        return Attachment.objects.get(pk=attachment.pk).file.name


def test_migration_moves_tenantless_files_into_their_tenants_folder(
    world_a, world_b, move_files_into_tenant_folders
):
    old_a = _move_to_none_folder(world_a, world_a.attachment, b"alpha log")
    old_b = _move_to_none_folder(world_b, world_b.attachment, b"bravo log")
    # A row whose file is gone is skipped, not an error.
    with tenant_context(world_a.tenant):
        missing = Attachment.objects.create(
            ticket=world_a.ticket,
            file="attachments/None/gone",
            original_name="gone.log",
            content_type="text/plain",
            size=1,
        )

    move_files_into_tenant_folders()

    new_a = _file_name(world_a, world_a.attachment)
    new_b = _file_name(world_b, world_b.attachment)
    assert new_a == old_a.replace("attachments/None/", f"attachments/{world_a.tenant.pk}/")
    assert new_b == old_b.replace("attachments/None/", f"attachments/{world_b.tenant.pk}/")
    with default_storage.open(new_a) as moved:
        assert moved.read() == b"alpha log"
    with default_storage.open(new_b) as moved:
        assert moved.read() == b"bravo log"
    assert not default_storage.exists(old_a) and not default_storage.exists(old_b)
    assert _file_name(world_a, missing) == "attachments/None/gone"

    # Idempotent: a second run changes nothing.
    move_files_into_tenant_folders()
    assert _file_name(world_a, world_a.attachment) == new_a
    assert default_storage.exists(new_a)


def test_migration_finishes_a_move_that_stopped_after_copying(
    world_a, move_files_into_tenant_folders
):
    old = _move_to_none_folder(world_a, world_a.attachment, b"copied once")
    new = old.replace("attachments/None/", f"attachments/{world_a.tenant.pk}/")
    default_storage.save(new, ContentFile(b"copied once"))  # the copy made, the row not updated
    move_files_into_tenant_folders()
    assert _file_name(world_a, world_a.attachment) == new
    assert not default_storage.exists(old)
    with cross_tenant():
        assert not [
            name
            for name in Attachment.all_tenants.values_list("file", flat=True)
            if "_" in name.rsplit("/", 1)[-1]  # no copy saved under a de-duplicated name
        ]
