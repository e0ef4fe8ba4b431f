import pytest
import time_machine
from asgiref.sync import async_to_sync

from tests.chat.helpers import (
    OPEN_HOURS,
    accept,
    communicator,
    make_available,
    session_cookie,
    start_chat,
)

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_customer_and_agent_exchange(world_a):
    with time_machine.travel(OPEN_HOURS, tick=True):
        make_available(world_a)
        chat = start_chat(world_a)
        accept(world_a, chat)
        customer_key = session_cookie(visitor_key="v" * 32)
        agent_key = session_cookie(tenant=world_a.tenant, user=world_a.users["agent"])

        async def scenario():
            path = f"/ws/chat/{chat.token}/"
            customer = communicator(path, host=world_a.host, session_key=customer_key)
            agent = communicator(path, host=world_a.host, session_key=agent_key)
            assert (await customer.connect())[0]
            assert (await agent.connect())[0]
            seen_c = [await customer.receive_json_from(timeout=5) for _ in range(4)]
            seen_a = [await agent.receive_json_from(timeout=5) for _ in range(4)]
            await customer.send_json_to({"type": "message", "body": "hello", "client_id": "c1"})
            got = await agent.receive_json_from(timeout=5)
            echo = await customer.receive_json_from(timeout=5)
            await customer.disconnect()
            await agent.disconnect()
            return seen_c, seen_a, got, echo

        seen_c, seen_a, got, echo = async_to_sync(scenario)()
    assert [f["type"] for f in seen_c] == ["message", "message", "message", "state"]
    assert seen_a[-1]["status"] == "active" and seen_a[-1]["yours"] is True
    assert got["body"] == "hello" and got["id"] == 4 and got["author"] == "customer"
    assert echo["client_id"] == "c1"
