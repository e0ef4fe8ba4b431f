from datetime import time, timedelta

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from tenants.context import tenant_context
from tenants.demo import DEMO_PASSWORD
from tenants.models import BusinessHours, Membership, PriorityLevel, Tenant
from tickets.priorities import Priority


def test_seed_demo_configures_the_policy_tenant_and_a_second_one(db, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "http://demo.localhost:8000/" in out
    demo = Tenant.objects.get(slug="demo")
    assert demo.time_zone == "America/Chicago"
    assert demo.holiday_country == "US"
    assert demo.solved_close_delay == timedelta(days=2)
    assert demo.pending_solve_delay == timedelta(days=4)
    with tenant_context(demo):
        hours = [(h.weekday, h.opens, h.closes) for h in BusinessHours.objects.all()]
        assert hours == [(day, time(8), time(17)) for day in range(5)]
        levels = {level.priority: level for level in PriorityLevel.objects.all()}
        assert set(levels) == set(Priority.values)
        assert len(levels[Priority.URGENT].examples) == 3
        roles = set(Membership.objects.values_list("role", flat=True))
        assert roles == set(Membership.Role.values)
    assert Tenant.objects.filter(slug="globex").exists()
    for role in ("admin", "manager", "agent", "customer"):
        assert f"{role}@demo.example.com" in out


def test_seed_demo_is_idempotent(db):
    call_command("seed_demo", quiet_logins=True)
    call_command("seed_demo", quiet_logins=True)
    assert Tenant.objects.count() == 2
    assert get_user_model().objects.filter(email="agent@demo.example.com").count() == 1


def test_demo_logins_work_on_the_demo_host(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    call_command("seed_demo", quiet_logins=True)
    client = Client(HTTP_HOST="demo.localhost")
    response = client.post(
        "/accounts/login/", {"login": "agent@demo.example.com", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/agent/"
    page = client.get("/agent/")
    assert b"Northwind Dental" in page.content


def test_portal_home_shows_the_policy_hours_and_priorities(db):
    call_command("seed_demo", quiet_logins=True)
    page = Client(HTTP_HOST="demo.localhost").get("/").content.decode()
    assert "Monday 08:00–17:00" in page and "Friday 08:00–17:00" in page
    assert "Saturday" not in page
    assert page.index("Urgent") < page.index("High") < page.index("Normal") < page.index("Low")
    assert "A restore from backup fails" in page
