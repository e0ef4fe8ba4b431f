"""Websocket routes (served by the ASGI application in helpdesk/asgi.py)."""

from channels.security.websocket import WebsocketDenier
from django.urls import path, re_path

from chat import consumers

websocket_urlpatterns = [
    re_path(r"^ws/chat/(?P<token>[A-Za-z0-9_-]{1,32})/$", consumers.ChatConsumer.as_asgi()),
    path("ws/agent/", consumers.AgentConsumer.as_asgi()),
    # Any other path: refused at the handshake (rather than an error in the router).
    re_path(r"", WebsocketDenier.as_asgi()),
]
