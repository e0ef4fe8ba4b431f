"""Move attachment files stored under ``attachments/None/`` into their tenant's folder.

Until ``attachment_path`` took the current tenant, every upload was stored before its row had a
tenant, so every tenant's files landed in ``attachments/None/``. This moves each such file to
``attachments/<tenant id>/`` (same random name) through the default storage (open, save,
delete: any storage backend) and updates the row.

Safe to run again: rows already moved no longer match; a file that is missing is skipped (and
logged); a move that stopped after the copy (the row not updated) is finished, not copied twice.
Reversing it is a no-op: the new paths stay valid.

Attachment is under row-level security on PostgreSQL, which binds the table's owner too (FORCE):
``cross_tenant()`` sets ``app.cross_tenant = 'on'``, the policy's way through for system work
that spans tenants, for the rest of the migration's transaction.
"""

import logging

from django.core.files.storage import default_storage
from django.db import migrations, transaction

from tenants.context import cross_tenant

log = logging.getLogger(__name__)

TENANTLESS = "attachments/None/"


def _new_name(old: str, tenant_id: int) -> str:
    return f"attachments/{tenant_id}/{old.removeprefix(TENANTLESS)}"


def _move(old: str, new: str) -> str | None:
    """The file's name once it is at (or near) ``new``, or None when there is nothing to move."""
    if default_storage.exists(new):
        if not default_storage.exists(old):
            return new  # copied by an earlier run whose row update did not commit
        if default_storage.size(new) == default_storage.size(old):
            return new
    elif not default_storage.exists(old):
        return None
    with default_storage.open(old, "rb") as source:
        # save() picks a free name should ``new`` be taken by another file.
        return default_storage.save(new, source)


def move_files_into_tenant_folders(apps, schema_editor):
    Attachment = apps.get_model("tickets", "Attachment")
    with cross_tenant():
        rows = list(
            Attachment.objects.filter(file__startswith=TENANTLESS)
            .order_by("pk")
            .values_list("pk", "tenant_id", "file")
        )
        for pk, tenant_id, old in rows:
            new = _move(old, _new_name(old, tenant_id))
            if new is None:
                log.warning("attachment %s: file %s is missing, left as it is", pk, old)
                continue
            Attachment.objects.filter(pk=pk).update(file=new)
            # Only once the row's new name is committed: a rolled-back migration must find the
            # old file where its row still points.
            transaction.on_commit(lambda old=old: _delete_if_present(old))


def _delete_if_present(name: str) -> None:
    if default_storage.exists(name):
        default_storage.delete(name)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0008_alter_ticketevent_kind"),
    ]

    operations = [
        migrations.RunPython(move_files_into_tenant_folders, migrations.RunPython.noop),
    ]
