"""VAR_DIR (beat's schedule, the file email backend's folder) exists whatever the broker."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REDIS_BROKER = "redis://127.0.0.1:6379/1"


def _env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "EMAIL_URL"}}
    env.update(overrides)
    return env


def _redis_is_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_BROKER, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def test_settings_create_var_dir_and_the_mail_folder_with_a_redis_broker(tmp_path):
    var_dir = tmp_path / "nonexistent" / "var"
    mail_dir = tmp_path / "elsewhere" / "mail"
    code = (
        "from django.conf import settings; "
        "print(settings.CELERY_BEAT_SCHEDULE_FILENAME); print(settings.EMAIL_FILE_PATH)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(
            DJANGO_SETTINGS_MODULE="helpdesk.settings",
            VAR_DIR=str(var_dir),
            CELERY_BROKER_URL=REDIS_BROKER,
            EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            EMAIL_FILE_PATH=str(mail_dir),
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert var_dir.is_dir()
    assert Path(result.stdout.splitlines()[0]).parent.is_dir()
    assert mail_dir.is_dir()


def test_celery_beat_starts_with_a_missing_var_dir_and_a_redis_broker(tmp_path):
    if not _redis_is_up():
        pytest.skip(f"needs Redis at {REDIS_BROKER}")
    var_dir = tmp_path / "nonexistent" / "var"
    # A queue of our own: should beat send anything, no one else's worker takes it.
    queue = f"test-beat-{uuid.uuid4().hex[:8]}"
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "beat", "--loglevel", "INFO"],
        cwd=ROOT,
        env=_env(VAR_DIR=str(var_dir), CELERY_BROKER_URL=REDIS_BROKER, CELERY_QUEUE=queue),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    # Beat that cannot open its schedule exits at once; a healthy one creates the schedule file
    # and runs until stopped. Wait for either (bounded), never for a fixed time.
    deadline = time.monotonic() + 60
    while (
        time.monotonic() < deadline
        and beat.poll() is None
        and not list(var_dir.glob("celerybeat-schedule*"))
    ):
        time.sleep(0.1)
    died = beat.poll() is not None
    os.killpg(beat.pid, signal.SIGTERM)
    try:
        output, _ = beat.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(beat.pid, signal.SIGKILL)
        output, _ = beat.communicate()
    assert not died, output[-3000:]
    assert "No such file or directory" not in output, output[-3000:]
    assert list(var_dir.glob("celerybeat-schedule*")), output[-3000:]


def test_an_uncreatable_var_dir_is_a_clear_message_not_a_traceback(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_env(VAR_DIR=str(blocker / "var"), CELERY_BROKER_URL=REDIS_BROKER),
        capture_output=True,
        text=True,
        timeout=120,
    )
    # The web process does not need VAR_DIR with a Redis broker: it starts, and says why the
    # processes that do need it will not.
    assert result.returncode == 0, result.stderr
    assert f"VAR_DIR={blocker / 'var'}" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_uncreatable_var_dir_stops_the_filesystem_broker_with_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_env(VAR_DIR=str(blocker / "var"), CELERY_BROKER_URL="filesystem://"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"VAR_DIR={blocker / 'var'}" in result.stderr


def test_the_filesystem_broker_keeps_its_exchange_tables_under_var_dir(tmp_path):
    """kombu's filesystem transport defaults to ./control, which left a file in the checkout."""
    var_dir = tmp_path / "var"
    workdir = tmp_path / "work"
    workdir.mkdir()
    code = (
        "import django; django.setup()\n"
        "from helpdesk.celery import app\n"
        "with app.connection_for_write() as connection:\n"
        "    producer = connection.Producer(serializer='json')\n"
        "    producer.publish({'probe': 1}, routing_key='celery', exchange='celery',\n"
        "                     declare=[app.amqp.queues['celery']])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=workdir,
        env=_env(
            DJANGO_SETTINGS_MODULE="helpdesk.settings",
            PYTHONPATH=str(ROOT),
            VAR_DIR=str(var_dir),
            CELERY_BROKER_URL="filesystem://",
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert (var_dir / "celery-control" / "celery.exchange").is_file()
    assert not (workdir / "control").exists()
    assert list((var_dir / "celery-queue").iterdir()), "the message was not written"
