"""The README's first command, from a clean clone, with no database or broker configured."""

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STARTUP_BUDGET = 420  # seconds: creating the virtualenv and installing dominate


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, host: str, path: str = "/") -> tuple[int, str]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Host": f"{host}:{port}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback only)
        return response.status, response.read().decode()


@pytest.mark.smoke
def test_demo_command_from_a_clean_clone_serves_the_demo_tenant(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to clone from")
    clone = tmp_path / "helpdesk"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "VIRTUAL_ENV"}
        and not k.startswith(("DJANGO_", "PYTEST"))
    }
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p
    )
    env["PORT"] = str(port)
    process = subprocess.Popen(
        ["bin/demo"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()

    def seen(text: str) -> bool:
        return any(text in line for line in list(lines))

    try:
        deadline = time.monotonic() + STARTUP_BUDGET
        ready = ("Listening at:", "celery@", "beat: Starting")
        while time.monotonic() < deadline and not all(seen(s) for s in ready):
            assert process.poll() is None, "bin/demo exited early:\n" + "".join(lines[-40:])
            time.sleep(1)
        assert all(seen(s) for s in ready), "not all of web/worker/beat came up:\n" + "".join(
            lines[-60:]
        )
        assert seen(" ready."), "the Celery worker did not report ready"
        assert seen(f"http://demo.localhost:{port}/"), "the demo URL was not printed"
        assert seen("customer@demo.example.com") and seen("agent@demo.example.com")

        status, body = _get(port, "demo.localhost")
        assert status == 200
        assert "CrashPlan for Small Business Support" in body
        status, body = _get(port, "demo.localhost", "/healthz")
        assert (status, body) == (200, '{"status": "ok"}')
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    assert process.returncode is not None
    with pytest.raises(OSError):
        _get(port, "demo.localhost")
