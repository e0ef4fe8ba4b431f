"""Playwright with Debian's Chromium (never a downloaded browser), against pytest-django's
live server. Tenants live on <slug>.localhost, which Chromium resolves to the loopback."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS", "/tmp/helpdesk-browser"))  # noqa: S108


def watch_csp(page) -> list[str]:
    """Every Content-Security-Policy violation Chromium reports on ``page`` (any frame, any
    navigation), as the console lines it writes; the list fills as the page is used."""
    violations: list[str] = []

    def on_console(message):
        if "Content Security Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return violations


@pytest.fixture
def browser_page(monkeypatch):
    """A Chromium page. Every browser test is also a CSP pass: a violation Chromium reports on
    any page the test visits fails it."""
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        message = f"Chromium not found at {CHROMIUM}: apt-get install chromium (bin/test does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test still reads the
    # database between steps, which Django would otherwise refuse.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15000)
        csp_violations = watch_csp(page)
        try:
            yield page
            assert not csp_violations, "Content-Security-Policy violations:\n" + "\n".join(
                csp_violations
            )
        finally:
            # ORM calls made while Playwright's loop runs get their own context-local
            # connection; close it here, in that same context, or it outlives the test DB.
            from django.db import connections

            connections.close_all()
            context.close()
            browser.close()


class AsgiServer:
    """Where ``asgi_server`` listens: ``url`` (http://127.0.0.1:<port>) and ``base(slug)``, a
    tenant's address on <slug>.localhost. ``db(func, *args)`` runs the test's own database work
    where the server runs its own (see ``_one_database_thread``)."""

    def __init__(self, port: int, executor=None):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._executor = executor

    def base(self, slug: str) -> str:
        return f"http://{slug}.localhost:{self.port}"

    def db(self, func, *args, **kwargs):
        if self._executor is None:
            return func(*args, **kwargs)
        return self._executor.submit(func, *args, **kwargs).result()


def _one_database_thread(app, executor):
    """The ASGI application with every thread-sensitive call (views, consumers' database work)
    on ``executor``'s single thread, one at a time.

    For SQLite only: the test database lives in memory, shared between connections by SQLite's
    shared cache, which refuses a second writer at once ("database table is locked") instead of
    waiting as the database file of the embedded default does. Django otherwise gives every
    request a thread of its own. PostgreSQL is served as in production, concurrently.
    """
    from asgiref.sync import ThreadSensitiveContext

    async def serialized(scope, receive, send):
        async with ThreadSensitiveContext(executor=executor):
            await app(scope, receive, send)

    return serialized


@pytest.fixture
def asgi_server(transactional_db, settings):
    """The real ASGI application (helpdesk.asgi: pages over HTTP, live chat over websockets)
    served by uvicorn in a thread of the test process, the way production serves it.

    pytest-django's ``live_server`` is WSGI and cannot carry a websocket. Serving from this
    process keeps the test database (``transactional_db``: committed rows, visible to the
    server's threads) and the channel layer (in memory, or Redis with REDIS_URL) shared with
    the test. Static files come through WhiteNoise, as in production; here it looks each file
    up when asked (the source files, no collectstatic), since tests run with DEBUG off.
    """
    import socket
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    import uvicorn
    from channels.routing import ProtocolTypeRouter
    from django.core.asgi import get_asgi_application
    from django.db import connection

    from helpdesk import asgi

    # WhiteNoise reads these when its middleware is made: a fresh HTTP handler for this server
    # (helpdesk.asgi's was made at import, perhaps before pytest-django turned DEBUG off, and
    # would serve the sizes the files had then).
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    application = ProtocolTypeRouter(
        {
            "http": get_asgi_application(),
            "websocket": asgi.application.application_mapping["websocket"],
        }
    )
    executor = None
    if connection.vendor == "sqlite":
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="asgi-db")
        application = _one_database_thread(application, executor)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # a free port, held from here on: no race with another test
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        application, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="asgi-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield AsgiServer(port, executor)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=5)
        sock.close()
        if executor is not None:
            executor.shutdown(wait=True)
        from django.db import connections

        connections.close_all()
