"""The live chat benchmark runs end to end at a tiny size: figures printed, no errors, nothing
left behind. It serves from a thread of the test process (the test database may live in
memory, out of a subprocess's reach); the figures are printed, never asserted."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management import call_command

from tenants.context import cross_tenant
from tenants.models import Tenant

# Real commits: the server's threads use their own connections and must see the chats.
pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_chat_prints_figures_with_no_errors_and_cleans_up():
    with cross_tenant():
        tenants = set(Tenant.objects.values_list("pk", flat=True))
    users = get_user_model().objects.count()
    out = StringIO()
    call_command(
        "bench_chat",
        chats=3,
        chats_per_agent=2,
        seconds=1,
        rate=2,
        in_process=True,
        stdout=out,
    )
    text = out.getvalue()
    print(text)
    assert "set up 3 chats with 2 agents" in text
    # 3 chats x 2 sides x 2 messages (2 a second for one second): each reaches the other side.
    assert "messages:      12 sent, 12 delivered, 12 acknowledged" in text
    assert "6 of 6 sockets open" in text
    for figure in ("delivery (ms): p50 ", "ack (ms):      p50 ", "throughput:    ", "server:  "):
        assert figure in text
    assert "errors:        none" in text
    with cross_tenant():
        assert set(Tenant.objects.values_list("pk", flat=True)) == tenants
    assert get_user_model().objects.count() == users
    assert not Session.objects.exists()


def test_bench_chat_refuses_workers_without_a_shared_channel_layer(settings):
    from django.core.management.base import CommandError

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    with pytest.raises(CommandError, match="in-memory channel layer"):
        call_command("bench_chat", chats=1, workers=2, stdout=StringIO())
