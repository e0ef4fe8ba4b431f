"""Every email, as a phone's mail app shows it: the card shrinks to the screen (no sideways
scrolling) and the survey's two buttons stay apart when they wrap."""

from tests.browser.conftest import ARTIFACTS
from tests.outbox.test_headers import _all_emails, _send_every_template

PHONE = 390


def test_every_email_fits_a_phone_screen(world_a, request):
    _send_every_template(world_a)
    emails = {}
    for email in _all_emails(world_a):
        emails.setdefault(email.template, email.body_html)
    assert len(emails) >= 15  # every template (test_headers checks that none is missing)
    # Only now: the flows above push to live pages through async_to_sync (chat/broadcast.py),
    # which hangs in a thread where Playwright's event loop is running.
    browser_page = request.getfixturevalue("browser_page")
    browser_page.set_viewport_size({"width": PHONE, "height": 800})
    for template, html in sorted(emails.items()):
        browser_page.set_content(html)
        width = browser_page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE, f"{template} is {width}px wide on a {PHONE}px screen"
        browser_page.screenshot(path=ARTIFACTS / f"email-{template}-phone.png", full_page=True)
    browser_page.set_content(emails["survey_invitation"])
    good, bad = (
        browser_page.get_by_role("link", name=name).bounding_box()
        for name in ("Good, I'm satisfied", "Bad, I'm unsatisfied")
    )
    assert bad["y"] >= good["y"] + good["height"] + 4  # wrapped below, with a gap
