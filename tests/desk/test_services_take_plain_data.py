"""Services take plain values, so an API, a command or a task can call them as a page does."""

from datetime import timedelta

import pytest

from core.errors import InvalidInput
from desk import services
from desk.models import PriorityLevel
from tenants.context import tenant_context
from tickets import services as ticket_services


def test_settings_from_plain_values(world_a, django_capture_on_commit_callbacks, monkeypatch):
    from tickets import receivers

    queued = []
    monkeypatch.setattr(receivers.recompute_sla, "delay", queued.append)
    with tenant_context(world_a.tenant), django_capture_on_commit_callbacks(execute=True):
        tenant = services.tenant_settings_update(
            tenant=world_a.tenant,
            settings={"solved_close_delay": timedelta(days=3), "time_zone": "Europe/Berlin"},
        )
    assert tenant.solved_close_delay == timedelta(days=3) and tenant.time_zone == "Europe/Berlin"
    assert queued == [world_a.tenant.pk]  # the clock changed: due times follow
    with tenant_context(world_a.tenant), pytest.raises(InvalidInput, match="slug"):
        services.tenant_settings_update(tenant=world_a.tenant, settings={"slug": "other"})


def test_priority_targets_from_plain_values(world_a):
    with tenant_context(world_a.tenant):
        services.priority_levels_update(
            levels={"urgent": {"first_reply_amount": 1, "examples": ["Restore fails"]}}
        )
        level = PriorityLevel.objects.get(priority="urgent")
        assert (level.first_reply_amount, level.examples) == (1, ["Restore fails"])
        with pytest.raises(InvalidInput, match="tenant"):
            services.priority_levels_update(levels={"urgent": {"tenant": None}})


def test_macros_from_plain_values(world_a):
    with tenant_context(world_a.tenant):
        macro = ticket_services.macro_save(
            values={"name": "Logs", "body": "Send logs", "submit_as": "pending", "position": 1}
        )
        ticket_services.macro_save(macro=macro, values={"body": "Send the logs, please"})
        macro.refresh_from_db()
        assert (macro.name, macro.body, macro.tenant_id) == (
            "Logs",
            "Send the logs, please",
            world_a.tenant.pk,
        )
        with pytest.raises(InvalidInput):
            ticket_services.macro_save(values={"id": 99})
