"""People and settings through /api/v1/: staff read the members and organizations; admins
read and change the general settings through the settings page's form and service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from tenants.context import tenant_context
from tenants.models import AuditEntry, Membership, Organization, Tenant
from tests.api.helpers import api

pytestmark = pytest.mark.django_db


def customer(world, email, organization=None):
    with tenant_context(world.tenant):
        user = get_user_model().objects.create_user(email=email, password="x", name="")
        return Membership.objects.create(user=user, role="customer", organization=organization)


# ---- members and organizations --------------------------------------------------------------


def test_staff_list_members_by_role_with_their_organization(world_a, world_b):
    agent = api(world_a, "agent")
    everyone = agent.get("/api/v1/members/").json()
    emails = [m["email"] for m in everyone["results"]]
    assert emails == sorted(u.email for u in world_a.users.values())
    assert world_b.users["agent"].email not in str(everyone)
    only = agent.get("/api/v1/members/", {"role": "manager"}).json()["results"]
    manager = world_a.users["manager"]
    assert only == [
        {
            "id": manager.pk,
            "name": manager.display_name,
            "email": manager.email,
            "role": "manager",
            "organization": {"id": world_a.organization.pk, "name": world_a.organization.name},
        }
    ]
    loner = customer(world_a, "zz-loner@example.net")
    last = agent.get("/api/v1/members/", {"role": "customer", "offset": 1}).json()["results"]
    assert last[0]["email"] == "zz-loner@example.net" and last[0]["organization"] is None
    assert last[0]["name"] == "zz-loner"  # no name given: the pages' display name
    assert loner.user_id == last[0]["id"]
    assert agent.get("/api/v1/members/", {"role": "owner"}).status_code == 400
    assert agent.get("/api/v1/members/", {"limit": "201"}).status_code == 400
    assert api(world_a, "customer").get("/api/v1/members/").status_code == 403


def test_the_member_list_costs_the_same_queries_for_4_people_and_14(world_a):
    agent = api(world_a, "agent")

    def queries():
        return agent.listing_cost("/api/v1/members/")

    queries()  # the token's first use of the day records it; later calls do not
    few, shown = queries()
    with tenant_context(world_a.tenant):
        other = Organization.objects.create(name="Second org")
    for index in range(10):
        customer(world_a, f"many-{index}@example.net", organization=other if index % 2 else None)
    assert queries() == (few, shown + 10)


def test_staff_list_organizations_with_their_customer_counts(world_a, world_b):
    with tenant_context(world_a.tenant):
        second = Organization.objects.create(name="Beta Corp", email_domains=["beta.example"])
    customer(world_a, "one@beta.example", organization=second)
    customer(world_a, "two@beta.example", organization=second)
    body = api(world_a, "manager").get("/api/v1/organizations/").json()
    assert body["results"] == [
        # The world's organization has one customer (its other members are staff).
        {
            "id": world_a.organization.pk,
            "name": world_a.organization.name,
            "email_domains": ["alpha-org.example.com"],
            "customer_count": 1,
        },
        {
            "id": second.pk,
            "name": "Beta Corp",
            "email_domains": ["beta.example"],
            "customer_count": 2,
        },
    ]
    assert world_b.organization.name not in str(body)
    assert api(world_a, "customer").get("/api/v1/organizations/").status_code == 403


# ---- settings -------------------------------------------------------------------------------


def tenant_of(world) -> Tenant:
    return Tenant.objects.get(pk=world.tenant.pk)


def test_admins_read_the_settings_as_the_page_shows_them(world_a):
    body = api(world_a, "admin").get("/api/v1/settings/").json()
    tenant = tenant_of(world_a)
    assert body["time_zone"] == tenant.time_zone == "America/Chicago"
    assert body["solved_close_days"] == tenant.solved_close_delay.days
    assert body["reminder_hours"] == tenant.pending_reminder_before.total_seconds() // 3600
    assert body["survey_reasons"] == tenant.survey_bad_reasons
    assert body["assign_on_reply"] is tenant.assign_on_reply
    for role in ("customer", "agent", "manager"):
        assert api(world_a, role).get("/api/v1/settings/").status_code == 403


def test_a_change_merges_onto_the_settings_and_is_audited_as_the_admins(world_a):
    admin = api(world_a, "admin")
    before = tenant_of(world_a)
    changed = admin.patch(
        "/api/v1/settings/",
        {
            "solved_close_days": 5,
            "holiday_country": "de",
            "survey_reasons": ["Too slow", "Not solved"],
        },
    )
    assert changed.status_code == 200, changed.content
    tenant = tenant_of(world_a)
    assert tenant.solved_close_delay == timedelta(days=5)
    assert tenant.holiday_country == "DE"  # the form's cleaning
    assert tenant.survey_bad_reasons == ["Too slow", "Not solved"]
    # What was not sent stays as it was.
    assert tenant.time_zone == before.time_zone
    assert tenant.pending_solve_delay == before.pending_solve_delay
    assert tenant.assign_on_reply == before.assign_on_reply
    assert changed.json()["solved_close_days"] == 5
    with tenant_context(world_a.tenant):
        entry = AuditEntry.objects.filter(action=AuditEntry.Action.SETTINGS_CHANGED).get()
    # The token's owner is named, as a signed-in admin is on the page.
    assert entry.actor == world_a.users["admin"]
    assert set(entry.detail) == {"solved_close_delay", "holiday_country", "survey_bad_reasons"}


def test_a_change_is_checked_with_the_pages_form_and_refused_whole(world_a):
    admin = api(world_a, "admin")
    before = tenant_of(world_a)
    # The form's own rule across fields, at its field, with its words.
    late = admin.patch("/api/v1/settings/", {"pending_solve_days": 1, "reminder_hours": 30})
    assert late.status_code == 400
    assert late.json()["fields"] == {
        "reminder_hours": ["The reminder must come before the automatic solve."]
    }
    zone = admin.patch("/api/v1/settings/", {"time_zone": "Mars/Olympus"})
    assert zone.status_code == 400 and "not a time zone" in zone.json()["fields"]["time_zone"][0]
    country = admin.patch("/api/v1/settings/", {"holiday_country": "XX"})
    assert country.status_code == 400 and "holiday_country" in country.json()["fields"]
    assert admin.patch("/api/v1/settings/", {"solved_close_days": 0}).status_code == 400
    assert admin.patch("/api/v1/settings/", {"assign_on_reply": "perhaps"}).status_code == 400
    lines = admin.patch("/api/v1/settings/", {"survey_reasons": ["One\nTwo"]})
    assert lines.status_code == 400 and "survey_reasons" in lines.json()["fields"]
    unknown = admin.patch("/api/v1/settings/", {"name": "Renamed", "assign_on_reply": False})
    assert unknown.status_code == 400 and unknown.json()["fields"] == {"name": ["Not a setting."]}
    assert admin.patch("/api/v1/settings/", {}).status_code == 400
    after = tenant_of(world_a)
    fields = ["pending_solve_delay", "pending_reminder_before", "time_zone", "assign_on_reply"]
    assert [getattr(after, f) for f in fields] == [getattr(before, f) for f in fields]
    assert after.name == before.name
    with tenant_context(world_a.tenant):
        assert not AuditEntry.objects.filter(action=AuditEntry.Action.SETTINGS_CHANGED).exists()
    refused = api(world_a, "manager").patch("/api/v1/settings/", {"assign_on_reply": False})
    assert refused.status_code == 403
