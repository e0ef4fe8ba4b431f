"""The audit log: every audited action writes its row, admins read and export it, and nothing
(no page, no role, not the ORM, not the application's database role) changes or deletes a row."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from desk.services import holiday_add, tenant_settings_update
from inbox.services import address_add
from tenants import audit
from tenants.context import tenant_context
from tenants.models import AuditEntry, Membership
from tests.conftest import PASSWORD, login_client

pytestmark = pytest.mark.django_db

A = AuditEntry.Action


def entries(world, action=None) -> list[AuditEntry]:
    with tenant_context(world.tenant):
        rows = AuditEntry.objects.order_by("pk")
        return list(rows.filter(action=action) if action else rows)


def test_sign_ins_and_failures_are_recorded_with_their_address(world_a):
    client = Client(HTTP_HOST=world_a.host)
    email = world_a.users["agent"].email
    client.post("/accounts/login/", {"login": email, "password": "nope"}, REMOTE_ADDR="203.0.113.5")
    client.post(
        "/accounts/login/", {"login": email, "password": PASSWORD}, REMOTE_ADDR="198.51.100.1"
    )
    [failed] = entries(world_a, A.SIGN_IN_FAILED)
    [signed] = entries(world_a, A.SIGN_IN)
    assert (failed.actor_email, failed.ip, failed.actor) == (email, "203.0.113.5", None)
    assert (signed.actor, signed.ip) == (world_a.users["agent"], "198.51.100.1")
    assert "nope" not in str(failed.detail) and "nope" not in failed.target


def test_membership_changes_are_recorded(world_a):
    joined = {e.target for e in entries(world_a, A.MEMBER_JOINED)}
    assert f"{world_a.users['agent'].email} (Agent)" in joined  # the world's own members
    with tenant_context(world_a.tenant):
        membership = Membership.objects.get(user=world_a.users["customer"])
        membership.role = Membership.Role.AGENT
        membership.save()
        membership.delete()
    [changed] = entries(world_a, A.ROLE_CHANGED)
    assert changed.detail == {"from": "customer", "to": "agent"}
    [removed] = entries(world_a, A.MEMBER_REMOVED)
    assert removed.target == f"{world_a.users['customer'].email} (Agent)"


def test_settings_changes_and_exports_are_recorded(world_a):
    admin = login_client(world_a.users["admin"], world_a.tenant)
    with tenant_context(world_a.tenant):
        tenant_settings_update(tenant=world_a.tenant, settings={"current_app_version": "11.4"})
        holiday_add(date="2027-07-05", name="Summer closing")
        address_add(address="help@alpha.example")
    manager = login_client(world_a.users["manager"], world_a.tenant)
    csat = "/agent/reports/csat/?start=2026-01-01&end=2026-12-31&period=month&format=csv"
    assert manager.get(csat).status_code == 200
    assert admin.get("/agent/audit/?format=csv").status_code == 200
    admin.post(f"/agent/people/{world_a.memberships['agent'].pk}/unlock/")
    targets = [(e.action, e.target) for e in entries(world_a)]
    assert (A.SETTINGS_CHANGED, "General settings") in targets
    assert (A.SETTINGS_CHANGED, "Holiday added: 2027-07-05 Summer closing") in targets
    assert (A.SETTINGS_CHANGED, "Support address added: help@alpha.example") in targets
    assert (A.EXPORT, "Satisfaction report (CSV)") in targets
    assert (A.EXPORT, "Audit log (CSV)") in targets
    assert (A.MEMBER_UNLOCKED, world_a.users["agent"].email) in targets
    [general] = [e for e in entries(world_a, A.SETTINGS_CHANGED) if e.target == "General settings"]
    assert general.detail == {"current_app_version": {"from": "", "to": "11.4"}}


def test_admins_read_filter_and_export_others_cannot_and_nothing_edits(world_a, world_b):
    with tenant_context(world_a.tenant):
        audit.record(A.SETTINGS_CHANGED, target='=HYPERLINK("http://evil")')
    admin = login_client(world_a.users["admin"], world_a.tenant)
    page = admin.get("/agent/audit/?action=member_joined").content.decode()
    # The filter keeps members joining and leaves the settings line out.
    assert world_a.users["agent"].email in page and "HYPERLINK" not in page
    assert "HYPERLINK" in admin.get("/agent/audit/?action=settings_changed").content.decode()
    assert world_b.users["agent"].email not in admin.get("/agent/audit/").content.decode()
    csv = admin.get("/agent/audit/?format=csv").content.decode()
    assert "'=HYPERLINK" in csv  # a spreadsheet will not run it
    assert admin.get("/agent/audit/?start=not-a-date").status_code == 400
    for far in ("9999-12-31", "0001-01-01"):
        response = admin.get(f"/agent/audit/?end={far}")
        assert response.status_code == 400 and "between the years 2000" in response.content.decode()
    for role in ("customer", "agent", "manager"):
        other = login_client(world_a.users[role], world_a.tenant)
        assert other.get("/agent/audit/").status_code == 403
    for method in ("post", "put", "patch", "delete"):
        assert getattr(admin, method)("/agent/audit/").status_code == 405
    with tenant_context(world_a.tenant):
        entry = AuditEntry.objects.first()
        with pytest.raises(TypeError):
            AuditEntry.objects.update(target="changed")
        with pytest.raises(TypeError):
            AuditEntry.objects.all().delete()
        with pytest.raises(TypeError):
            entry.save()
        with pytest.raises(TypeError):
            entry.delete()


@pytest.mark.postgres
def test_the_application_role_cannot_update_or_delete_rows_in_postgresql(world_a):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
    with tenant_context(world_a.tenant):
        count = AuditEntry.objects.count()
        for statement in (
            "UPDATE tenants_auditentry SET target = 'rewritten'",
            "DELETE FROM tenants_auditentry",
        ):
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
                cur.execute(statement)
        assert AuditEntry.objects.count() == count
        assert not AuditEntry.objects.filter(target="rewritten").exists()
    # The one update the database allows: a deleted person's lines lose the link to them
    # (their email stays), as the foreign key's SET NULL does.
    agent = world_a.users["agent"]
    with tenant_context(world_a.tenant):
        line = audit.record(A.EXPORT, target="by the agent", actor=agent)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE tenants_auditentry SET actor_id = NULL WHERE id = %s", [line.pk])
        kept = AuditEntry.objects.get(pk=line.pk)
    assert kept.actor is None and kept.actor_email == agent.email
    # Removing a whole tenant is the one deliberate purge.
    with tenant_context(world_a.tenant), audit.purge(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM tenants_auditentry WHERE tenant_id = %s", [world_a.tenant.pk])
    assert entries(world_a) == []
