from functools import cached_property

from chat import selectors


class _AgentChatStatus:
    """The workspace's chat switch, read only by pages that show it (lazily, one query)."""

    def __init__(self, request):
        self.request = request

    @cached_property
    def available(self) -> bool:
        return selectors.is_available(self.request.user)


def chat_agent(request) -> dict:
    membership = getattr(request, "membership", None)
    if membership is None or not membership.is_staff_role:
        return {}
    return {"chat_agent": _AgentChatStatus(request)}
