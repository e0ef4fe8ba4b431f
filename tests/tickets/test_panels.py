"""Ticket-page panels: one context function shared by two panels runs once per page."""

from tickets import panels


def test_a_context_shared_by_two_panels_runs_once(monkeypatch):
    monkeypatch.setattr(panels, "_PANELS", [])
    calls = []

    def state(ticket, membership):
        calls.append(ticket)
        return {"n": len(calls)}

    panels.register(panels.Panel("a", panels.AGENT, panels.MAIN, "a.html", state))
    panels.register(panels.Panel("b", panels.AGENT, panels.SIDE, "b.html", state))
    panels.register(panels.Panel("c", panels.PORTAL, panels.MAIN, "c.html", state))
    slots = panels.for_page(panels.AGENT, "ticket", None)
    assert calls == ["ticket"]
    assert [p["data"] for p in slots[panels.MAIN] + slots[panels.SIDE]] == [{"n": 1}, {"n": 1}]
