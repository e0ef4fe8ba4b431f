"""A real Celery worker, started here against the real Redis broker, sends an outbox email."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from outbox.models import OutboxEmail
from tenants.context import tenant_context
from tenants.services import tenant_create
from tickets.services import ticket_submit

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.real_broker,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def redis_broker():
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs CELERY_BROKER_URL=redis://... (CI sets it)")
    return settings.CELERY_BROKER_URL


def test_worker_sends_the_outbox_email_end_to_end(redis_broker, tmp_path, settings):
    from helpdesk.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    mail_dir = tmp_path / "mail"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": redis_broker,
        "CELERY_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "helpdesk",
            "worker",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            queue,
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        tenant = tenant_create(slug="worker", name="Worker Test")
        # Queue exactly as production does: after commit, to our own queue on the Redis broker.
        app.conf.task_default_queue = queue
        with tenant_context(tenant):
            ticket = ticket_submit(
                requester_email="worker@example.com", subject="Via a real worker", description="x"
            )
        with tenant_context(tenant):
            row = OutboxEmail.objects.get(ticket=ticket)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with tenant_context(tenant):
                row.refresh_from_db()
            if row.status != OutboxEmail.Status.PENDING or worker.poll() is not None:
                break
            time.sleep(0.5)
        assert row.status == OutboxEmail.Status.SENT, row.last_error
        assert row.attempts == 1
        files = list(mail_dir.glob("*.log"))
        assert len(files) == 1
        assert (
            f"[#{ticket.number}] We received your request: Via a real worker"
            in files[0].read_text()
        )
    finally:
        app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            output, _ = worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            output, _ = worker.communicate()
        print(output[-3000:])
    assert "succeeded" in output and "outbox.tasks.send_email" in output
