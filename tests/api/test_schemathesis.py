"""schemathesis against a live server: every operation of the committed schema is called with
generated valid and invalid input, with a real token, and every answer must be a non-5xx that
conforms to the schema (status, content type, headers, body).

The server is pytest-django's live server (a real HTTP server on loopback over the test
database); schemathesis runs as its own process, as a client would. The run prints how many
cases it generated; the test asserts at least 1,000 and no failure."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.helpers import api

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.schemathesis]

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]
MIN_CASES = 1000


def test_generated_requests_find_no_server_error_and_no_schema_violation(
    live_server, world_a, settings, tmp_path, record_property
):
    settings.API_RATE_LIMIT = "100000/min"  # the run is one client sending thousands of requests
    caller = api(world_a, "agent")  # staff: every operation is reachable
    port = live_server.url.rsplit(":", 1)[-1]
    report = tmp_path / "report"
    st = shutil.which("st") or str(Path(sys.executable).with_name("st"))
    command = [
        st,
        "run",
        str(SCHEMA),
        "--url",
        f"http://127.0.0.1:{port}",
        "--header",
        f"Host: {world_a.host}",
        "--header",
        f"Authorization: Bearer {caller.raw}",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "50"),
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "1",
        "--seed",
        "1",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "ndjson",
        "--report-dir",
        str(report),
        "--request-timeout",
        "30",
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    print(run.stdout[-60000:])
    print(run.stderr[-3000:])
    cases = _cases(report)
    summary = re.search(r"Test cases:\s*\n\s*(.+)", run.stdout)
    record_property(
        "figure",
        f"schemathesis: {cases} generated cases over {_operations(run.stdout)} operations"
        f" ({summary.group(1).strip() if summary else 'no summary'})",
    )
    assert run.returncode == 0, "schemathesis found failures (output above)"
    assert cases >= MIN_CASES, f"only {cases} cases were generated"


def _operations(output: str) -> str:
    tested = re.search(r"Tested: (\d+)", output)
    return tested.group(1) if tested else "?"


def _cases(report: Path) -> int:
    """Generated test cases counted from the run's ndjson events (the summary line as a
    fallback)."""
    total = 0
    for path in report.glob("*.ndjson"):
        for line in path.read_text().splitlines():
            event = json.loads(line)
            for name, body in event.items():
                if name == "ScenarioFinished" and isinstance(body, dict):
                    recorder = body.get("recorder") or {}
                    total += len(recorder.get("cases") or {})
    return total
