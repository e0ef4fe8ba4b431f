"""The ASGI application: Django's pages over HTTP, live chat over websockets.

Websockets pass the tenant host and same-origin check first (``chat.ws``), then the session
cookie, then the route; a path no route matches is refused at the handshake.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django_application = get_asgi_application()  # sets Django up before the imports below

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402

from chat.routing import websocket_urlpatterns  # noqa: E402
from chat.ws import TenantHostMiddleware  # noqa: E402
from helpdesk.warmup import settle  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": TenantHostMiddleware(SessionMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
settle()
