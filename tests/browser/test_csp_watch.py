"""The CSP watch every browser test runs (tests/browser/conftest.watch_csp) does see violations:
a page served with the product's own policy and a planted inline script and style attribute."""

from csp.utils import build_policy

from tests.browser.conftest import watch_csp

PLANTED = """<!doctype html><html><head><title>planted</title></head><body>
<p style="color: red">styled by an attribute</p>
<script>document.title = "ran";</script>
</body></html>"""


def test_the_watch_reports_a_planted_inline_script_and_style(browser_page):
    policy = build_policy(nonce="a-nonce-the-page-does-not-use")  # the product's policy
    page = browser_page.context.new_page()  # the fixture's own page stays clean
    violations = watch_csp(page)
    page.route(
        "http://planted.test/",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            headers={"Content-Security-Policy": policy},
            body=PLANTED,
        ),
    )
    page.goto("http://planted.test/")
    page.wait_for_timeout(200)  # console messages arrive asynchronously
    assert page.title() == "planted", "the inline script must not have run"
    assert any("script-src" in line for line in violations), violations
    assert any("style-src" in line for line in violations), violations
    page.close()
