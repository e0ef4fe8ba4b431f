from django.urls import path
from rest_framework.renderers import JSONOpenAPIRenderer
from rest_framework.schemas import get_schema_view

import core.converters  # noqa: F401  (registers the "id" path converter)
from tickets import api

app_name = "api"

urlpatterns = [
    path("tickets/", api.TicketList.as_view(), name="tickets"),
    path("tickets/<id:number>/", api.TicketDetail.as_view(), name="ticket"),
    path("tickets/<id:number>/replies/", api.TicketReply.as_view(), name="ticket_replies"),
    path(
        "schema/",
        get_schema_view(
            title="Helpdesk API",
            version="1",
            renderer_classes=[JSONOpenAPIRenderer],
            permission_classes=[],
        ),
        name="schema",
    ),
]
