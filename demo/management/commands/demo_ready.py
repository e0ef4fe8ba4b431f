"""Wait until the demo answers, then print its logins once, below the start-up output.

``bin/demo`` starts this in the background just before handing over to honcho, so it is a
child of honcho's process: when honcho stops (Ctrl-C, or a process failed to start) its parent
changes and this command leaves without printing anything.
"""

import os
import time
import urllib.error
import urllib.request

from celery import current_app
from django.core.management.base import BaseCommand
from django.utils import timezone

from demo import banner
from outbox.models import OutboxEmail
from tenants.context import cross_tenant

POLL_SECONDS = 0.5
# After the worker answers, give it this long to send the emails seed_demo queued, so their
# log lines come before the logins instead of pushing them off the screen.
DRAIN_SECONDS = 20


class Command(BaseCommand):
    help = "Demo: wait for the web server and the Celery worker, then print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, required=True, help="The port the web serves on.")
        parser.add_argument(
            "--timeout", type=float, default=300, help="Print anyway after this many seconds."
        )

    def handle(self, *args, port: int, timeout: float, **options):
        self._parent = os.getppid()
        deadline = time.monotonic() + timeout
        tenants = banner.demo_tenants()
        host = os.environ.get("HOST", "").strip() or "127.0.0.1"
        if host in {"0.0.0.0", "::", "[::]"}:  # noqa: S104 (where to connect, not to bind)
            host = "127.0.0.1"
        checks = [
            lambda: self._web_answers(host, port, tenants[0].host if tenants else "localhost"),
            self._worker_answers,
        ]
        for check in checks:
            if not self._wait(check, deadline):
                return
        self._wait(self._outbox_drained, min(deadline, time.monotonic() + DRAIN_SECONDS))
        if self._parent_gone():
            return
        self.stdout.write("\n" + banner.ready(tenants) + "\n")
        self.stdout.flush()

    def _parent_gone(self) -> bool:
        return os.getppid() != self._parent

    def _wait(self, check, deadline: float) -> bool:
        """Poll ``check`` until it passes or the deadline; False when the demo has stopped."""
        while time.monotonic() < deadline:
            if self._parent_gone():
                return False
            if check():
                return True
            time.sleep(POLL_SECONDS)
        return not self._parent_gone()

    @staticmethod
    def _web_answers(host: str, port: int, tenant_host: str) -> bool:
        request = urllib.request.Request(
            f"http://{host}:{port}/healthz", headers={"Host": f"{tenant_host}:{port}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 (local)
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    @staticmethod
    def _worker_answers() -> bool:
        try:
            return bool(current_app.control.ping(timeout=1.0))
        except Exception:  # the broker is not ready yet: ask again
            return False

    @staticmethod
    def _outbox_drained() -> bool:
        with cross_tenant():
            return not OutboxEmail.all_tenants.filter(
                status__in=[OutboxEmail.Status.PENDING, OutboxEmail.Status.SENDING],
                next_attempt_at__lte=timezone.now(),
            ).exists()
