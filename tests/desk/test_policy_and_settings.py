"""The public policy page follows the live settings; admins change them through validated forms."""

import html
import re
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from desk.models import BusinessHours, PriorityLevel, TenantHoliday
from tenants.context import tenant_context
from tenants.models import Tenant
from tickets.models import Ticket


def text(response) -> str:
    """The visible text of a page (tags removed, whitespace collapsed), and its raw HTML."""
    raw = response.content.decode()
    visible = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", raw))
    return html.unescape(visible + "\n" + raw)


@pytest.fixture
def demo(db):
    call_command("seed_demo", quiet_logins=True)
    return Tenant.objects.get(slug="demo")


def policy(demo) -> str:
    return text(Client(HTTP_HOST=demo.host).get("/support-policy/"))


def test_policy_page_shows_the_demo_tenants_figures(demo):
    with time_machine.travel(datetime(2026, 3, 4, 16, 0, tzinfo=UTC), tick=False):  # Wed 10:00 CST
        page = policy(demo)
    for expected in [
        "Around the clock, every day",
        "Monday 08:00–17:00",
        "Friday 08:00–17:00",
        "Time zone: America/Chicago; closed on public holidays (US)",
        "Agents are available now",
        "until Wednesday 17:00 CST",
        "A restore from backup fails",
        "The account cannot be renewed",
        "The account has expired",
        "2 business hours",
        "4 business hours",
        "1 business day",
        "it is Closed automatically after 2 days",
        "without an answer it is marked Solved after 4 days",
        "We remind you 1 day before",
        "A reply to a closed ticket starts a new follow-up ticket",
        "Computer ID (GUID) of each affected device",
        "Please run the current version of the app (11.4.1)",
    ]:
        assert expected in page, expected
    assert "Saturday" not in page.split("Ways to contact us")[1].split("What to include")[0]


def test_policy_page_says_when_chat_opens_next(demo):
    with time_machine.travel(datetime(2026, 9, 6, 18, 0, tzinfo=UTC), tick=False):  # Sunday
        page = policy(demo)
    # Monday is Labor Day, so chat opens on Tuesday.
    assert "Closed now." in page and "Opens Tuesday, September 8, 08:00 CDT" in page
    assert "Labor Day" in page


def test_changing_a_setting_changes_the_page(demo):
    with tenant_context(demo):
        demo.solved_close_delay = timedelta(days=3)
        demo.save()
        BusinessHours.objects.create(weekday=5, opens=time(10), closes=time(14))
        urgent = PriorityLevel.objects.get(priority="urgent")
        urgent.first_reply_amount = 30
        urgent.first_reply_unit = "business_hours"
        urgent.save()
    page = policy(demo)
    assert "Closed automatically after 3 days" in page
    assert "Saturday 10:00–14:00" in page
    assert "30 business hours" in page


@pytest.fixture
def admin_client(demo):
    from tenants.models import Membership
    from tests.conftest import login_client

    with tenant_context(demo):
        admin = Membership.objects.get(role="admin").user
    return login_client(admin, demo)


def test_only_admins_reach_settings(demo):
    from tenants.models import Membership
    from tests.conftest import login_client

    with tenant_context(demo):
        agent = Membership.objects.filter(role="agent").first().user
    client = login_client(agent, demo)
    for url in ("/agent/settings/", "/agent/settings/hours/", "/agent/settings/priorities/"):
        assert client.get(url).status_code == 403


def general(**overrides):
    data = {
        "time_zone": "America/Chicago",
        "holiday_country": "US",
        "current_app_version": "11.5.0",
        "support_email": "support@demo.example.com",
        "solved_close_days": "2",
        "pending_solve_days": "4",
        "reminder_hours": "24",
        "surveys_enabled": "on",
        "survey_delay_hours": "0",
        "survey_link_days": "14",
        "survey_reasons": "Too slow",
    }
    data.update(overrides)
    return data


def test_a_change_on_the_settings_page_is_audited_with_what_changed(admin_client, demo):
    """The service compares the tenant before and after: the page must hand it the tenant as
    it was, not one the form already changed (which once made page edits invisible)."""
    from tenants.models import AuditEntry

    assert admin_client.post("/agent/settings/", general()).status_code == 302
    changed = general(current_app_version="11.6.0", assign_on_reply="on")
    assert admin_client.post("/agent/settings/", changed).status_code == 302
    with tenant_context(demo):
        entry = AuditEntry.objects.filter(action="settings_changed").latest("pk")
    assert entry.detail == {
        "current_app_version": {"from": "11.5.0", "to": "11.6.0"},
        "assign_on_reply": {"from": "False", "to": "True"},
    }


def test_general_settings_save_and_reject_bad_values(admin_client, demo):
    assert admin_client.post("/agent/settings/", general()).status_code == 302
    demo.refresh_from_db()
    assert demo.current_app_version == "11.5.0"
    for bad, message in [
        ({"solved_close_days": "0"}, "greater than or equal to 1"),
        ({"reminder_hours": "96"}, "The reminder must come before the automatic solve."),
        ({"holiday_country": "XX"}, "XX is not a supported country code"),
        ({"time_zone": "Mars/Olympus"}, "Mars/Olympus” is not a time zone we know"),
        ({"current_app_version": "latest"}, "Use a version number such as 11.4.1."),
    ]:
        response = admin_client.post("/agent/settings/", general(**bad))
        assert response.status_code == 400 and message in text(response), bad
        assert 'value="support@demo.example.com"' in text(response)  # input kept
    demo.refresh_from_db()
    assert demo.solved_close_delay == timedelta(days=2)


def hours_post(rows):
    data = {"hours-TOTAL_FORMS": str(len(rows)), "hours-INITIAL_FORMS": "0"}
    for i, (day, opens, closes) in enumerate(rows):
        data |= {f"hours-{i}-weekday": day, f"hours-{i}-opens": opens, f"hours-{i}-closes": closes}
    return data


def test_hours_reject_overlaps_and_backwards_intervals(admin_client, demo):
    overlap = admin_client.post(
        "/agent/settings/hours/", hours_post([(0, "08:00", "12:00"), (0, "11:00", "17:00")])
    )
    assert overlap.status_code == 400 and "Intervals on Monday overlap." in text(overlap)
    backwards = admin_client.post("/agent/settings/hours/", hours_post([(1, "17:00", "08:00")]))
    assert backwards.status_code == 400 and "must close after it opens" in text(backwards)
    with tenant_context(demo):
        assert BusinessHours.objects.count() == 5  # nothing changed


def test_saving_hours_recomputes_open_tickets_due_times(admin_client, demo):
    from tickets.sla import recompute_all

    rows = [(d, "10:00", "12:00") for d in range(5)] + [(d, "13:00", "14:00") for d in range(5)]
    with time_machine.travel(datetime(2026, 3, 4, 15, 0, tzinfo=UTC), tick=False):  # Wed 09:00
        with tenant_context(demo):
            ticket = Ticket.objects.filter(status="new").first()
            before = ticket.next_update_due_at
        assert admin_client.post("/agent/settings/hours/", hours_post(rows)).status_code == 302
        with tenant_context(demo):
            assert BusinessHours.objects.count() == 10
            assert recompute_all() > 0  # what the queued task runs
            ticket.refresh_from_db()
            schedule_hours = {(h.opens, h.closes) for h in BusinessHours.objects.all()}
    assert schedule_hours == {(time(10), time(12)), (time(13), time(14))}
    assert ticket.next_update_due_at != before


def test_holidays_add_reject_duplicates_and_remove(admin_client, demo):
    response = admin_client.post("/agent/settings/holidays/", {"date": "2026-12-24", "name": "Eve"})
    assert response.status_code == 302
    again = admin_client.post("/agent/settings/holidays/", {"date": "2026-12-24", "name": "Eve"})
    assert again.status_code == 400 and "already a holiday" in text(again)
    with tenant_context(demo):
        holiday = TenantHoliday.objects.get()
    admin_client.post(f"/agent/settings/holidays/{holiday.pk}/delete/")
    with tenant_context(demo):
        assert not TenantHoliday.objects.exists()


def test_priority_targets_are_validated(admin_client, demo):
    page = admin_client.get("/agent/settings/priorities/")
    assert page.status_code == 200
    data = {}
    with tenant_context(demo):
        for level in PriorityLevel.objects.all():
            p = level.priority
            data |= {
                f"{p}-summary": level.summary,
                f"{p}-examples_text": "\n".join(level.examples),
                f"{p}-first_reply_amount": "3",
                f"{p}-first_reply_unit": "business_hours",
                f"{p}-next_update_amount": "1",
                f"{p}-next_update_unit": "business_days",
            }
    bad = {**data, "low-first_reply_amount": "0"}
    response = admin_client.post("/agent/settings/priorities/", bad)
    assert response.status_code == 400 and "Targets must be at least 1." in text(response)
    assert admin_client.post("/agent/settings/priorities/", data).status_code == 302
    with tenant_context(demo):
        urgent = PriorityLevel.objects.get(priority="urgent")
    assert (urgent.first_reply_amount, urgent.examples[0]) == (3, "A restore from backup fails")


def test_a_settings_change_is_announced_after_commit_and_tickets_queue_the_recompute(
    admin_client, demo, monkeypatch, django_capture_on_commit_callbacks
):
    """desk/ never imports tickets: it sends support_clock_changed; tickets answers."""
    from tickets import receivers

    queued = []
    monkeypatch.setattr(receivers.recompute_sla, "delay", queued.append)
    rows = [(d, "09:00", "17:00") for d in range(5)]
    with django_capture_on_commit_callbacks() as callbacks:
        assert admin_client.post("/agent/settings/hours/", hours_post(rows)).status_code == 302
    assert queued == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert queued == [demo.pk]


def test_with_the_broker_down_the_recompute_runs_inline(demo, monkeypatch):
    from desk.signals import support_clock_changed
    from tenants.models import Tenant
    from tickets import receivers

    def broker_down(tenant_id):
        raise ConnectionError("no broker")

    ran = []
    monkeypatch.setattr(receivers.recompute_sla, "delay", broker_down)
    monkeypatch.setattr(receivers, "recompute_all", lambda: ran.append(True) or 1)
    support_clock_changed.send(sender=Tenant, tenant_id=demo.pk)
    assert ran == [True]


def test_a_posted_form_count_past_any_week_is_refused_without_building_the_forms(
    admin_client, demo
):
    from desk.forms import MAX_INTERVALS

    data = hours_post([(0, "08:00", "17:00")])
    data["hours-TOTAL_FORMS"] = "9" * 25
    response = admin_client.post("/agent/settings/hours/", data)
    assert response.status_code == 400
    formset = response.context["formset"]
    assert len(formset.forms) == MAX_INTERVALS  # capped, not 2,000
    assert f"Please submit at most {MAX_INTERVALS} forms." in text(response)
    with tenant_context(demo):
        assert BusinessHours.objects.count() == 5  # nothing changed


def test_the_assign_on_reply_setting_is_on_by_default_and_can_be_turned_off(admin_client, demo):
    assert demo.assign_on_reply is True
    page = admin_client.get("/agent/settings/").content.decode()
    assert "An agent who answers an unassigned ticket takes it" in page
    assert admin_client.post("/agent/settings/", general()).status_code == 302
    demo.refresh_from_db()
    assert demo.assign_on_reply is False  # an unticked box
    assert admin_client.post("/agent/settings/", general(assign_on_reply="on")).status_code == 302
    demo.refresh_from_db()
    assert demo.assign_on_reply is True
