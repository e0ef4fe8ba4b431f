"""Customer escalates with a reason and phone; a manager reassigns and schedules a call; the
customer sees the outcome on the ticket page."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from escalations.models import EscalationRequest
from tenants.context import tenant_context
from tenants.models import Membership
from tenants.services import tenant_create
from tests.browser.conftest import ARTIFACTS
from tickets.services import ticket_submit

PASSWORD = "a-long-browser-password-42"


def sign_in(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def test_escalation_from_request_to_outcome(live_server, transactional_db, browser_page, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tenant = tenant_create(slug="esc", name="Escalation Support")
    User = get_user_model()
    people = {}
    with tenant_context(tenant):
        for role, name in [("customer", "Cara"), ("manager", "Mia"), ("agent", "Ravi")]:
            user = User.objects.create_user(
                email=f"{role}@esc.example", password=PASSWORD, name=name
            )
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
            Membership.objects.create(user=user, role=role)
            people[role] = user
        ticket = ticket_submit(
            requester_email=people["customer"].email,
            requester=people["customer"],
            subject="Restore keeps failing",
            description="Third day now",
        )
    base = f"http://esc.localhost:{live_server.url.rsplit(':', 1)[1]}"
    customer = browser_page
    sign_in(customer, base, people["customer"].email)
    customer.goto(f"{base}/tickets/{ticket.number}/")
    customer.get_by_role("link", name="Request an escalation").click()
    customer.get_by_label("Why does this ticket need a manager's attention?").fill(
        "Payroll files are missing and the restore fails every time."
    )
    customer.get_by_label("Urgent").check()
    customer.get_by_label("Phone number (optional)").fill("+1 612 555 0199")
    customer.get_by_label("Best times to reach you").fill("weekdays after 10:00")
    # Pre-filled with the browser's zone; this customer is in Chicago.
    customer.locator("#id_contact_time_zone").fill("America/Chicago")
    customer.get_by_role("button", name="Send escalation request").click()
    customer.get_by_text("Escalation: Waiting for a manager").wait_for()

    manager = customer.context.browser.new_context().new_page()
    manager.set_default_timeout(15000)
    sign_in(manager, base, people["manager"].email)
    nav = manager.locator("#workspace-nav")
    nav.get_by_role("link", name="Escalations 1 waiting").click()
    manager.get_by_text("Payroll files are missing").wait_for()
    manager.get_by_role("link", name="ago").first.click()
    manager.get_by_label("Agent", exact=True).select_option(label="Ravi")
    manager.get_by_label("Note to that agent (internal)").fill(
        "Senior restore specialist, call her."
    )
    manager.get_by_role("button", name="Reassign the ticket").click()
    manager.get_by_text("Decision recorded and sent to the customer.").wait_for()
    # A manager's first decision ends the wait: out of "waiting", and the badge drops.
    assert nav.get_by_role("link", name="Escalations").inner_text().strip() == "Escalations"
    manager.get_by_text("In progress with a manager").first.wait_for()
    manager.get_by_label("When (America/Chicago)").fill("2030-03-05T10:30")
    manager.get_by_role("button", name="Schedule the conversation").click()
    manager.get_by_text("Decision recorded and sent to the customer.").wait_for()
    manager.screenshot(path=str(ARTIFACTS / "escalation-manager.png"), full_page=True)
    nav.get_by_role("link", name="Escalations").click()
    manager.get_by_text("Nothing is waiting").wait_for()
    assert "#1 Restore keeps failing" in manager.locator("#progress-heading + table").inner_text()

    customer.reload()
    customer.get_by_text("Reassigned to another agent: Ravi").wait_for()
    customer.get_by_text(
        "Direct conversation scheduled by Phone call on Tuesday, March 05, 10:30 CST"
    ).wait_for()
    customer.screenshot(path=str(ARTIFACTS / "escalation-customer.png"), full_page=True)
    with tenant_context(tenant):
        request = EscalationRequest.objects.get()
        assert request.contact_phone == "+1 612 555 0199"
        assert list(request.actions.values_list("kind", flat=True)) == ["reassign", "conversation"]
        ticket.refresh_from_db()
        assert ticket.assignee == people["agent"]
    manager.context.close()
