"""What the demo prints: every demo tenant's addresses and every login, once."""

from io import StringIO

import pytest
from django.core.management import call_command

from demo.management.commands import demo_ready
from demo.tenants import DEMO_PASSWORD, DEMO_PEOPLE


@pytest.fixture
def seeded(db):
    call_command("seed_demo", quiet_logins=True)


def _every_login_once(out: str) -> None:
    for people in DEMO_PEOPLE.values():
        for email, _name, role, _org in people:
            assert out.count(f" {email}\n") == 1, email
            assert f"{role:<9} {email}" in out
    assert out.count(DEMO_PASSWORD) == 1


def test_seed_demo_prints_every_tenant_and_login(db, settings):
    settings.SITE_PORT = 8123
    out = StringIO()
    call_command("seed_demo", stdout=out)
    out = out.getvalue()
    _every_login_once(out)
    for slug in DEMO_PEOPLE:
        assert f"http://{slug}.localhost:8123/" in out
        assert f"http://{slug}.localhost:8123/agent/" in out
    assert {role for people in DEMO_PEOPLE.values() for *_, role, _org in people} == {
        "admin",
        "manager",
        "agent",
        "customer",
    }


def test_demo_ready_waits_for_the_web_and_the_worker_then_prints_once(seeded, monkeypatch):
    asked = []

    def web(host, port, tenant_host):
        asked.append(("web", host, port, tenant_host))
        return len(asked) > 2  # answers on the third try

    monkeypatch.setattr(demo_ready, "POLL_SECONDS", 0)
    monkeypatch.setattr(demo_ready, "DRAIN_SECONDS", 0)  # seed_demo's emails wait in the outbox
    monkeypatch.setattr(demo_ready.Command, "_web_answers", staticmethod(web))
    monkeypatch.setattr(demo_ready.Command, "_worker_answers", staticmethod(lambda: True))
    out = StringIO()
    call_command("demo_ready", port=8123, stdout=out)
    out = out.getvalue()
    assert asked[0] == ("web", "127.0.0.1", 8123, "demo.localhost")
    assert len(asked) == 3
    _every_login_once(out)
    assert "The demo helpdesk is up." in out
    assert "http://demo.localhost:8000/agent/demo/emails/" in out
    assert "demo_advance_clock" in out and "Ctrl-C" in out


def test_demo_ready_leaves_silently_when_the_demo_stopped(seeded, monkeypatch):
    parents = iter([100, 100, 1])  # honcho exits: the process is handed to init
    monkeypatch.setattr(demo_ready.os, "getppid", lambda: next(parents, 1))
    monkeypatch.setattr(demo_ready, "POLL_SECONDS", 0)
    monkeypatch.setattr(demo_ready.Command, "_web_answers", staticmethod(lambda *a: False))
    out = StringIO()
    call_command("demo_ready", port=8123, stdout=out)
    assert out.getvalue() == ""
