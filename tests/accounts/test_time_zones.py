"""Times in the reader's zone: each person's zone, the browser's report, the middleware's
fallback order, the pickers, and what stays in the tenant's zone (business hours, emails)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import COOKIE, reader_time_zone
from core.time_zones import TimeZoneField, known_zones, picker_choices
from outbox.models import OutboxEmail
from outbox.services import email_enqueue, render_email
from tenants.context import tenant_context
from tests.conftest import PASSWORD, login_client

# A Monday: 09:00 in Chicago (the test tenants' zone), 16:00 in Paris, Tuesday 00:00 in Tokyo.
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ENDPOINT = "/accounts/time-zone/"


def text(response) -> str:
    return response.content.decode()


def stored_zone(user) -> str:
    return get_user_model().objects.get(pk=user.pk).time_zone


def set_zone(user, zone: str) -> None:
    get_user_model().objects.filter(pk=user.pk).update(time_zone=zone)


@pytest.fixture
def ticket_at_t0(world_a):
    with time_machine.travel(T0, tick=False):
        return world_a.submit(subject="Restore stops at 80%")


# --- The model and the field --------------------------------------------------------------


def test_a_persons_time_zone_must_be_a_known_zone_or_blank(world_a):
    user = world_a.users["customer"]
    for good in ("", "Europe/Paris", "America/Argentina/ComodRivadavia", "UTC"):
        user.time_zone = good
        user.full_clean()
    for bad in ("Mars/Olympus", "europe/paris", "localtime", "Factory", "Europe/Paris\x00"):
        user.time_zone = bad
        with pytest.raises(ValidationError) as refused:
            user.full_clean()
        assert "time_zone" in refused.value.message_dict, bad


def test_the_picker_field_forgives_case_and_spaces_and_refuses_the_rest():
    field = TimeZoneField()
    assert field.clean("america/new york") == "America/New_York"
    assert field.clean("  Europe/Paris ") == "Europe/Paris"
    assert field.clean("Chicago") == "America/Chicago"  # one zone is named after it
    assert field.clean("Asia/Calcutta") == "Asia/Calcutta"  # a browser's legacy alias
    for bad in ("Mars/Olympus", "x" * 100_000, "Europe/Pαris", "\u202eEurope/Paris", "1e400"):
        with pytest.raises(ValidationError):
            field.clean(bad)
    assert TimeZoneField(required=False).clean("") == ""


def test_the_picker_offers_regional_names_labelled_with_city_and_offset():
    choices = dict(picker_choices(T0))
    assert choices["America/New_York"] == "New York · UTC−05:00"
    assert choices["Asia/Kolkata"] == "Kolkata · UTC+05:30"
    assert "US/Central" not in choices and "localtime" not in choices
    assert set(choices) <= known_zones() and len(choices) < 500


# --- The browser's report -------------------------------------------------------------------


def test_an_anonymous_visitors_report_sets_the_cookie_only(world_a):
    people_before = list(get_user_model().objects.values_list("pk", "time_zone"))
    response = Client(HTTP_HOST=world_a.host).post(ENDPOINT, {"time_zone": "Asia/Tokyo"})
    assert response.status_code == 200
    assert response.json() == {"time_zone": "Asia/Tokyo", "stored": False}
    cookie = response.cookies[COOKIE]
    assert cookie.value == "Asia/Tokyo" and cookie["samesite"] == "Lax"
    assert not cookie["httponly"]  # the script compares it with the browser's zone
    assert list(get_user_model().objects.values_list("pk", "time_zone")) == people_before


def test_a_signed_in_persons_first_report_is_stored_and_never_overwrites_a_choice(world_a):
    customer = world_a.users["customer"]
    client = login_client(customer, world_a.tenant)
    first = client.post(ENDPOINT, {"time_zone": "Europe/Paris"})
    assert first.json() == {"time_zone": "Europe/Paris", "stored": True}
    assert stored_zone(customer) == "Europe/Paris"
    travelling = client.post(ENDPOINT, {"time_zone": "Asia/Tokyo"})
    assert travelling.status_code == 200 and travelling.json()["stored"] is False
    assert travelling.cookies[COOKIE].value == "Asia/Tokyo"
    assert stored_zone(customer) == "Europe/Paris"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({}, "exactly one time_zone"),
        ({"time_zone": ["Europe/Paris", "Asia/Tokyo"]}, "exactly one time_zone"),
        ({"time_zone": ""}, "is not a time zone we know"),
        ({"time_zone": "Mars/Olympus"}, "is not a time zone we know"),
        ({"time_zone": "europe/paris"}, "is not a time zone we know"),  # browsers send it exact
        ({"time_zone": "localtime"}, "is not a time zone we know"),
        ({"time_zone": "Europe/Pαris"}, "plain ASCII"),
        ({"time_zone": "\u202eEurope/Paris"}, "plain ASCII"),
        ({"time_zone": "Ｅurope/Paris"}, "plain ASCII"),
        ({"time_zone": "Europe/Paris\r\nSet-Cookie: x=1"}, "plain ASCII"),
        ({"time_zone": "Europe/" + "x" * 100_000}, "at most 64 characters"),
    ],
)
def test_a_bad_report_is_a_json_400_that_changes_nothing(world_a, body, detail):
    customer = world_a.users["customer"]
    response = login_client(customer, world_a.tenant).post(ENDPOINT, body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input" and detail in response.json()["detail"]
    assert COOKIE not in response.cookies
    assert stored_zone(customer) == ""


def test_a_report_with_a_nul_is_refused_before_the_view(world_a):
    customer = world_a.users["customer"]
    response = login_client(customer, world_a.tenant).post(ENDPOINT, {"time_zone": "UTC\x00"})
    assert response.status_code == 400 and stored_zone(customer) == ""


def test_the_report_needs_post_and_the_csrf_token(world_a):
    client = Client(HTTP_HOST=world_a.host, enforce_csrf_checks=True)
    assert client.get(ENDPOINT).status_code == 405
    assert client.post(ENDPOINT, {"time_zone": "Asia/Tokyo"}).status_code == 403
    client.get("/")  # any page sets the CSRF cookie (base.html also puts it in hx-headers)
    token = client.cookies["csrftoken"].value
    ok = client.post(ENDPOINT, {"time_zone": "Asia/Tokyo"}, HTTP_X_CSRFTOKEN=token)
    assert ok.status_code == 200


def test_the_script_posts_to_the_reports_url():
    from django.conf import settings

    script = (settings.BASE_DIR / "static" / "js" / "time-zone.js").read_text()
    assert f'var ENDPOINT = "{reverse("time_zone_report")}";' in script
    assert "resolvedOptions().timeZone" in script and "X-CSRFToken" in script


def test_signing_in_keeps_the_zone_the_browser_reported_before(world_a):
    customer = world_a.users["customer"]
    client = Client(HTTP_HOST=world_a.host)
    client.cookies[COOKIE] = "America/Sao_Paulo"
    response = client.post("/accounts/login/", {"login": customer.email, "password": PASSWORD})
    assert response.status_code == 302
    assert stored_zone(customer) == "America/Sao_Paulo"


def test_signing_in_never_replaces_a_chosen_zone_or_takes_a_forged_cookie(world_a):
    agent, customer = world_a.users["agent"], world_a.users["customer"]
    set_zone(agent, "Europe/Berlin")
    for user, cookie in ((agent, "Asia/Tokyo"), (customer, "Mars/Olympus")):
        client = Client(HTTP_HOST=world_a.host)
        client.cookies[COOKIE] = cookie
        client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert stored_zone(agent) == "Europe/Berlin" and stored_zone(customer) == ""


# --- The middleware: which zone a page is in -------------------------------------------------


def _request(world, *, user=None, cookie=None, tenant=True):
    request = RequestFactory().get("/")
    if cookie is not None:
        request.COOKIES[COOKIE] = cookie
    from django.contrib.auth.models import AnonymousUser

    request.user = user or AnonymousUser()
    request.tenant = world.tenant if tenant else None
    return request


def test_the_readers_zone_is_theirs_then_the_browsers_then_the_tenants_then_utc(world_a):
    customer = world_a.users["customer"]
    customer.time_zone = "Asia/Tokyo"
    order = [
        (_request(world_a, user=customer, cookie="Europe/Paris"), ("Asia/Tokyo", "profile")),
        (_request(world_a, cookie="Europe/Paris"), ("Europe/Paris", "browser")),
        (_request(world_a, cookie="Mars/Olympus"), ("America/Chicago", "tenant")),
        (_request(world_a, cookie="x" * 5000), ("America/Chicago", "tenant")),
        (_request(world_a), ("America/Chicago", "tenant")),
        (_request(world_a, tenant=False), ("UTC", "default")),  # the platform host
    ]
    for request, expected in order:
        assert reader_time_zone(request) == expected
    customer.time_zone = ""
    assert reader_time_zone(_request(world_a, user=customer, cookie="Europe/Paris")) == (
        "Europe/Paris",
        "browser",
    )


def test_the_ticket_page_shows_times_in_the_readers_zone(world_a, ticket_at_t0):
    customer = world_a.users["customer"]
    url = f"/tickets/{ticket_at_t0.number}/"
    client = login_client(customer, world_a.tenant)
    assert "Mar 2, 2026 09:00 CST" in text(client.get(url))  # the tenant's zone
    client.cookies[COOKIE] = "Europe/Paris"
    assert "Mar 2, 2026 16:00 CET" in text(client.get(url))  # the browser's
    set_zone(customer, "Asia/Tokyo")
    page = text(client.get(url))  # the person's own zone wins over the browser's
    assert "Mar 3, 2026 00:00 JST" in page
    assert 'datetime="2026-03-03T00:00:00+09:00"' in page
    set_zone(customer, "UTC")
    assert "Mar 2, 2026 15:00 UTC" in text(client.get(url))
    # The zone is the request's only: nothing is left active for the next one on this thread.
    assert timezone.get_current_timezone_name() == "UTC"


def test_the_agents_ticket_page_is_in_the_agents_zone(world_a, ticket_at_t0):
    agent = world_a.users["agent"]
    set_zone(agent, "Europe/Paris")
    page = text(login_client(agent, world_a.tenant).get(f"/agent/tickets/{ticket_at_t0.number}/"))
    assert "Mar 2, 2026 16:00 CET" in page and "09:00 CST" not in page


def test_business_hours_on_the_policy_page_stay_in_the_tenants_zone(world_a):
    customer = world_a.users["customer"]
    set_zone(customer, "Asia/Tokyo")
    client = login_client(customer, world_a.tenant)
    with time_machine.travel(T0, tick=False):  # Monday 09:00 in Chicago: open until 17:00
        page = text(client.get("/support-policy/"))
    assert "Monday 17:00 CST" in page and "JST" not in page


def test_the_api_answers_in_utc_whatever_the_readers_zone(world_a, ticket_at_t0):
    customer = world_a.users["customer"]
    set_zone(customer, "Asia/Tokyo")
    client = login_client(customer, world_a.tenant)
    data = client.get(f"/api/v1/tickets/{ticket_at_t0.number}/").json()
    assert data["created_at"] in ("2026-03-02T15:00:00Z", "2026-03-02T15:00:00+00:00")


def test_the_escalation_report_counts_months_of_the_tenants_calendar(world_a, ticket_at_t0):
    from escalations.services import escalation_request

    # 22:00 on March 31 in Chicago is April 1 in UTC and in Tokyo.
    april_in_utc = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)
    with time_machine.travel(april_in_utc, tick=False), tenant_context(world_a.tenant):
        escalation_request(
            ticket=ticket_at_t0,
            actor=world_a.users["customer"],
            membership=world_a.memberships["customer"],
            reason="Still failing",
            requested_priority="urgent",
        )
    manager = world_a.users["manager"]
    set_zone(manager, "Asia/Tokyo")
    page = text(login_client(manager, world_a.tenant).get("/agent/escalations/report/"))
    assert "March 2026" in page and "April 2026" not in page


# --- Emails -----------------------------------------------------------------------------------


def test_emails_are_in_the_tenants_zone_whatever_zone_the_request_had(world_a, ticket_at_t0):
    # The survey link expires at 03:00 UTC on March 5: still March 4 in Chicago.
    context = {
        "tenant": world_a.tenant,
        "ticket": ticket_at_t0,
        "expires_at": datetime(2026, 3, 5, 3, 0, tzinfo=UTC),
        "good_url": "https://example.com/g",
        "bad_url": "https://example.com/b",
        "opt_out_url": "https://example.com/o",
    }
    with tenant_context(world_a.tenant):
        plain = render_email("survey_invitation", context)  # as a Celery worker renders it
        with timezone.override(ZoneInfo("Asia/Tokyo")):  # a customer's request in Tokyo
            in_tokyo = render_email("survey_invitation", context)
            email_enqueue(
                template="survey_invitation",
                recipient="someone@example.net",
                key="tz-test",
                context=context,
            )
        queued = OutboxEmail.objects.get(idempotency_key="tz-test")
    assert in_tokyo == plain
    _subject, body_text, body_html = plain
    assert "until March 4, 2026" in body_text and "until March 4, 2026" in body_html
    assert "until March 4, 2026" in queued.body_text and "March 4, 2026" in queued.body_html


# --- The profile page -------------------------------------------------------------------------


def test_the_profile_shows_who_you_are_and_prefills_the_browsers_zone(world_a):
    customer = world_a.users["customer"]
    client = login_client(customer, world_a.tenant)
    client.cookies[COOKIE] = "Europe/Paris"
    page = text(client.get("/accounts/profile/"))
    assert customer.email in page and f'value="{customer.name}"' in page
    assert 'name="time_zone" value="Europe/Paris"' in page
    assert 'list="id_time_zone_zones"' in page and '<datalist id="id_time_zone_zones">' in page
    assert "your browser reported" in page


def test_the_profile_saves_the_name_and_zone(world_a):
    customer = world_a.users["customer"]
    client = login_client(customer, world_a.tenant)
    response = client.post("/accounts/profile/", {"name": "Ada  Lovelace", "time_zone": "tokyo"})
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    customer.refresh_from_db()
    assert (customer.name, customer.time_zone) == ("Ada Lovelace", "Asia/Tokyo")
    page = text(client.get("/accounts/profile/"))
    assert "Times are now shown in Asia/Tokyo" in page and "JST" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Ada", "time_zone": "Mars/Olympus"}, "is not a time zone we know"),
        ({"name": "Ada", "time_zone": ""}, "This field is required"),
        ({"name": "Ada\u202e", "time_zone": "Asia/Tokyo"}, "Use letters, digits"),
        ({"name": "A" * 151, "time_zone": "Asia/Tokyo"}, "at most 150 characters"),
    ],
)
def test_a_bad_profile_is_a_form_error_that_keeps_the_input_and_saves_nothing(
    world_a, data, message
):
    customer = world_a.users["customer"]
    before = (customer.name, customer.time_zone)
    response = login_client(customer, world_a.tenant).post("/accounts/profile/", data)
    assert response.status_code == 400 and message in text(response)
    for typed in data.values():  # what was typed is kept
        assert f'value="{typed}"' in text(response) or not typed
    customer.refresh_from_db()
    assert (customer.name, customer.time_zone) == before


def test_the_profile_is_for_signed_in_people_only(world_a):
    response = Client(HTTP_HOST=world_a.host).get("/accounts/profile/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- Pickers elsewhere ------------------------------------------------------------------------


def test_the_escalation_form_prefills_the_readers_zone_in_a_searchable_picker(
    world_a, ticket_at_t0
):
    customer = world_a.users["customer"]
    set_zone(customer, "Europe/Paris")
    url = f"/tickets/{ticket_at_t0.number}/escalate/"
    page = text(login_client(customer, world_a.tenant).get(url))
    assert 'name="contact_time_zone" value="Europe/Paris"' in page
    assert '<datalist id="id_contact_time_zone_zones">' in page
    assert page.count("<option") < 520  # the regional names, not 600 raw ones in a select
    assert '<select name="contact_time_zone"' not in page


def test_an_agent_raising_an_escalation_starts_from_the_customers_zone(world_a, ticket_at_t0):
    set_zone(world_a.users["customer"], "America/Sao_Paulo")
    set_zone(world_a.users["agent"], "Europe/Berlin")
    page = text(
        login_client(world_a.users["agent"], world_a.tenant).get(
            f"/tickets/{ticket_at_t0.number}/escalate/"
        )
    )
    assert 'name="contact_time_zone" value="America/Sao_Paulo"' in page


def test_the_escalation_form_takes_a_typed_zone_and_refuses_an_unknown_one(world_a, ticket_at_t0):
    from escalations.models import EscalationRequest

    client = login_client(world_a.users["customer"], world_a.tenant)
    url = f"/tickets/{ticket_at_t0.number}/escalate/"
    data = {"reason": "Urgent restore", "requested_priority": "urgent"}
    refused = client.post(url, {**data, "contact_time_zone": "Mars/Olympus"})
    assert refused.status_code == 400 and "is not a time zone we know" in text(refused)
    assert client.post(url, {**data, "contact_time_zone": "europe/paris"}).status_code == 302
    with tenant_context(world_a.tenant):
        assert EscalationRequest.objects.get().contact_time_zone == "Europe/Paris"


def test_the_tenant_settings_picker_is_prefilled_with_the_tenants_zone(world_a):
    admin = login_client(world_a.users["admin"], world_a.tenant)
    set_zone(world_a.users["admin"], "Asia/Tokyo")
    page = text(admin.get("/agent/settings/"))
    assert 'name="time_zone" value="America/Chicago"' in page
    assert '<datalist id="id_time_zone_zones">' in page
