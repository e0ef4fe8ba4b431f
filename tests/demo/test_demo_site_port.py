"""Links in emails use the port the demo serves on, also from manage.py in another shell.

bin/demo exports SITE_PORT to the processes it starts and records the port in
VAR_DIR/demo-site-port, which manage.py reads when SITE_PORT is not set.
"""

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _shell_env(tmp_path: Path) -> dict[str, str]:
    """A fresh shell's environment: no SITE_PORT, the demo's database and VAR_DIR."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SITE_PORT", "DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL", "PORT"}
        and not k.startswith(("DJANGO_", "PYTEST"))
    }
    env.update(
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        VAR_DIR=str(tmp_path / "var"),
    )
    return env


def _manage(env, *args) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_an_email_rendered_by_a_management_command_links_to_the_demo_port(tmp_path):
    env = _shell_env(tmp_path)
    (tmp_path / "var").mkdir()
    # What bin/demo writes (see the script) before it starts the processes.
    assert 'echo "$SITE_PORT" > "$var_dir/demo-site-port"' in (ROOT / "bin" / "demo").read_text()
    (tmp_path / "var" / "demo-site-port").write_text("9137\n")

    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "seed_demo", "--quiet-logins")
    with sqlite3.connect(tmp_path / "demo.sqlite3") as db:
        (solved,) = db.execute(
            "SELECT number FROM tickets_ticket WHERE status = 'solved' ORDER BY number LIMIT 1"
        ).fetchone()
    out = _manage(env, "demo_advance_clock", str(solved))
    assert "http://demo.localhost:9137/agent/demo/emails/" in out

    with sqlite3.connect(tmp_path / "demo.sqlite3") as db:
        rows = db.execute(
            "SELECT template, body_text, body_html FROM outbox_outboxemail e "
            "JOIN tickets_ticket t ON t.id = e.ticket_id WHERE t.number = ?",
            [solved],
        ).fetchall()
    bodies = {template: text + html for template, text, html in rows}
    assert "survey_invitation" in bodies  # the closing's email: it carries the survey
    links = re.findall(r"https?://[^\s\"'<>]+", "".join(bodies.values()))
    assert links and all(link.startswith("http://demo.localhost:9137/") for link in links), links
    assert "http://demo.localhost:9137/survey/" in bodies["survey_invitation"]


def test_site_port_in_the_environment_wins_over_the_recorded_one(tmp_path):
    env = _shell_env(tmp_path)
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "demo-site-port").write_text("9137\n")
    code = "from django.conf import settings; print(settings.SITE_PORT)"
    assert _manage(env, "shell", "-c", code).split()[-1] == "9137"
    assert _manage({**env, "SITE_PORT": "8001"}, "shell", "-c", code).split()[-1] == "8001"
    # Outside the demo (DEBUG off) the file is never read.
    production = {**env, "DEBUG": "0", "SECRET_KEY": "x" * 60}
    assert _manage(production, "shell", "-c", code).split()[-1] == "0"
