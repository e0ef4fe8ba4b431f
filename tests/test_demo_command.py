"""The README's first command, from a clean clone, with no database or broker configured.

The clone is the repository's committed HEAD plus the working tree's uncommitted changes (none
in CI), so the test runs what is on disk. It starts ``bin/demo`` on a free port and checks what
a newcomer sees: web, worker and beat up, every demo login printed once after start-up and no
warnings; the favicon; a clock command run from another shell whose emails link to the demo's
port; then Ctrl-C stops every process it started and the run left no untracked file behind.
"""

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest
from websockets.sync.client import connect as ws_connect

from demo.tenants import DEMO_PASSWORD, DEMO_PEOPLE

ROOT = Path(__file__).resolve().parent.parent
STARTUP_BUDGET = 420  # seconds: creating the virtualenv and installing dominate
STOP_BUDGET = 20  # seconds for every process to be gone after Ctrl-C
# Start-up output a newcomer should not have to read past.
NOISE = (
    "No hostname was supplied",
    "SecurityWarning",
    "Traceback",
    "WARNING/",
    "ERROR/",
    "sending SIGKILL",
    "Content-Type: multipart",  # raw MIME from the console email backend
)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, host: str, path: str = "/") -> tuple[int, str, Message]:
    """Status, body and headers (looked up case-insensitively: uvicorn sends lower case)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Host": f"{host}:{port}"}
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as error:  # a 3xx the handler did not follow, or a 4xx
        return error.code, "", error.headers


def _clone_with_working_tree(clone: Path) -> None:
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)

    def listed(*options: str) -> list[str]:
        out = subprocess.run(
            ["git", "ls-files", "-z", *options], cwd=ROOT, capture_output=True, check=True
        ).stdout.decode()
        return [name for name in out.split("\0") if name]

    for name in listed("--modified", "--others", "--exclude-standard"):
        source, target = ROOT / name, clone / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        else:
            target.unlink(missing_ok=True)
    for name in listed("--deleted"):
        (clone / name).unlink(missing_ok=True)


def _untracked_and_changed(checkout: Path) -> set[str]:
    return set(
        subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=checkout,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    )


def _process_tree(root: int) -> set[int]:
    """``root`` and all its descendants, from /proc (honcho puts its children in new sessions,
    so a process group does not find them)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo.extend(children.get(pid, []))
    return tree


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _env(**overrides: str) -> dict[str, str]:
    """A newcomer's shell: nothing of this test run's configuration."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "REDIS_URL",
            "VIRTUAL_ENV",
            "SITE_PORT",
            "PORT",
        }
        and not k.startswith(("DJANGO_", "PYTEST"))
    }
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p
    )
    env.update(overrides)
    return env


@pytest.mark.smoke
def test_demo_command_from_a_clean_clone_serves_the_demo_tenant(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to clone from")
    if not Path("/proc/self/stat").exists():
        pytest.skip("finds the demo's processes through /proc")
    clone = tmp_path / "helpdesk"
    _clone_with_working_tree(clone)
    before = _untracked_and_changed(clone)
    port = _free_port()
    process = subprocess.Popen(
        ["bin/demo"],
        cwd=clone,
        env=_env(PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as in a terminal
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()

    def output() -> str:
        return "".join(list(lines))

    def wait_for(condition, budget: float, what: str) -> None:
        deadline = time.monotonic() + budget
        while time.monotonic() < deadline and not condition():
            assert process.poll() is None, "bin/demo exited early:\n" + "".join(lines[-40:])
            time.sleep(0.5)
        assert condition(), f"{what}:\n" + "".join(lines[-60:])

    tree: set[int] = set()
    try:
        wait_for(lambda: "Ctrl-C stops" in output(), STARTUP_BUDGET, "no logins were printed")
        out = output()
        for ready in ("Uvicorn running on", "celery@", " ready.", "beat: Starting"):
            assert ready in out, f"{ready!r} missing: not all of web/worker/beat came up"
        # The logins come once, after the processes' start-up output, for every tenant.
        assert out.index("The demo helpdesk is up.") > out.index(" ready.")
        assert out.count(DEMO_PASSWORD) == 1
        for slug, people in DEMO_PEOPLE.items():
            assert f"http://{slug}.localhost:{port}/" in out
            for email, _name, role, _org in people:
                assert out.count(f"{role:<9} {email}") == 1, email
        noisy = [line for line in out.splitlines() if any(n in line for n in NOISE)]
        assert not noisy, "start-up output has warnings:\n" + "\n".join(noisy)

        status, body, _ = _get(port, "demo.localhost")
        assert status == 200
        assert "CrashPlan for Small Business Support" in body
        assert _get(port, "demo.localhost", "/healthz")[:2] == (200, '{"status": "ok"}')
        status, _, headers = _get(port, "demo.localhost", "/favicon.ico")
        assert status == 302 and headers["Location"] == "/static/favicon.svg"
        status, svg, headers = _get(port, "demo.localhost", "/static/favicon.svg")
        assert status == 200 and headers["Content-Type"].startswith("image/svg+xml")
        assert svg.startswith("<svg ")
        # The same server speaks websockets (live chat): the agents' socket answers a visitor
        # with no session by an error frame and closes, rather than refusing the upgrade.
        loopback = socket.create_connection(("127.0.0.1", port), timeout=10)
        with ws_connect(
            f"ws://demo.localhost:{port}/ws/agent/", sock=loopback, open_timeout=10
        ) as agent_socket:
            frame = json.loads(agent_socket.recv(timeout=10))
        assert frame["type"] == "error" and frame["code"] == "not_allowed"

        # From another shell (no SITE_PORT): close a solved ticket; the worker sends its emails,
        # whose links carry the demo's port.
        with sqlite3.connect(clone / "db.sqlite3") as db:
            (solved,) = db.execute(
                "SELECT number FROM tickets_ticket WHERE status = 'solved' ORDER BY number"
            ).fetchone()
        advanced = subprocess.run(
            [".venv/bin/python", "manage.py", "demo_advance_clock", str(solved)],
            cwd=clone,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert advanced.returncode == 0, advanced.stdout + advanced.stderr
        assert f"#{solved} is now closed." in advanced.stdout

        def survey() -> tuple[int, str, str]:
            with sqlite3.connect(clone / "db.sqlite3") as db:
                return db.execute(
                    "SELECT id, body_text, status FROM outbox_outboxemail WHERE template = ?",
                    ["survey_invitation"],
                ).fetchone()

        wait_for(lambda: survey()[2] == "sent", 60, "the worker did not send the survey")
        survey_id, text, _ = survey()
        assert f"http://demo.localhost:{port}/survey/" in text
        # One line for it in the worker's output, with the page to read it on.
        assert f"http://demo.localhost:{port}/agent/demo/emails/{survey_id}/" in output()

        # Ctrl-C: the terminal sends SIGINT to the foreground process group.
        tree = _process_tree(process.pid)
        assert len(tree) >= 8, f"expected honcho, web, worker and beat processes: {tree}"
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=STOP_BUDGET)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(pid) for pid in tree):
            time.sleep(0.2)
        assert not [pid for pid in tree if _alive(pid)], "processes outlived Ctrl-C"
        reader.join(timeout=10)
        assert "sending SIGKILL" not in output(), "a process ignored SIGTERM"
    finally:
        for pid in tree | {process.pid}:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    with pytest.raises(OSError):
        _get(port, "demo.localhost")
    assert _untracked_and_changed(clone) == before, "the run left files outside .gitignore"
