from datetime import time, timedelta

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from demo.tenants import DEMO_PASSWORD
from desk.models import BusinessHours, PriorityLevel
from desk.priorities import Priority
from tenants.context import tenant_context
from tenants.models import Membership, Tenant


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


def test_seed_demo_makes_a_working_desk_in_every_status_and_priority(db):
    from tickets.models import Ticket, TicketFormField

    call_command("seed_demo", quiet_logins=True)
    demo = Tenant.objects.get(slug="demo")
    with tenant_context(demo):
        statuses = set(Ticket.objects.values_list("status", flat=True))
        priorities = set(Ticket.objects.values_list("priority", flat=True))
        assert statuses == set(Ticket.Status.values)
        assert priorities == set(Priority.values)
        follow_up = Ticket.objects.get(follow_up_of__isnull=False)
        assert follow_up.follow_up_of.status == Ticket.Status.CLOSED
        assert Ticket.objects.filter(comments__author__memberships__role="agent").exists()
        assert Ticket.objects.filter(app_version_outdated=True).exists()
        keys = list(TicketFormField.objects.values_list("key", flat=True))
        assert keys == [
            "product",
            "os",
            "app_version",
            "device_guids",
            "logs",
            "affected_users",
            "screenshots",
            "destinations",
        ]
        # Backdating kept every event after its ticket's creation.
        for ticket in Ticket.objects.all():
            assert all(e.created_at >= ticket.created_at for e in ticket.events.all())
    call_command("seed_demo", quiet_logins=True)  # rerunning adds no second desk
    with tenant_context(demo):
        assert Ticket.objects.filter(subject__startswith="Restore fails").count() == 1


def test_seed_demo_volume_tickets_are_consistent(db, capsys):
    from tickets.models import Ticket

    call_command("seed_demo", quiet_logins=True, tickets=250)
    assert "250/250" in capsys.readouterr().err
    demo = Tenant.objects.get(slug="demo")
    with tenant_context(demo):
        numbers = list(Ticket.objects.order_by("number").values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))
        assert len(numbers) >= 250
        for ticket in Ticket.objects.filter(status="pending"):
            assert ticket.pending_since is not None
        assert not Ticket.objects.filter(status="closed", closed_at__isnull=True).exists()


def test_seed_demo_gives_the_demo_desk_a_help_center_and_past_chats(db):
    from chat.models import Chat
    from helpcenter import search
    from helpcenter.models import Article

    call_command("seed_demo", quiet_logins=True)
    call_command("seed_demo", quiet_logins=True)  # still once each
    demo = Tenant.objects.get(slug="demo")
    with tenant_context(demo):
        assert Article.objects.filter(status=Article.Status.PUBLISHED).count() == 6
        hits = search.search("deleted file")
        assert hits and hits[0].article.title == "Restore a deleted file"
        chats = Chat.objects.all()
        assert chats.count() == 14
        assert chats.filter(status=Chat.Status.MISSED).exists()
        assert chats.filter(status=Chat.Status.ENDED, accepted_at__isnull=False).exists()
    page = Client(HTTP_HOST=demo.host).get("/help/")
    assert page.status_code == 200
    assert "Restore a deleted file" in page.content.decode()
