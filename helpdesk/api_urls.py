from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

import core.converters  # noqa: F401  (registers the "id" path converter)
from tickets import api

app_name = "api"

urlpatterns = [
    path("tickets/", api.TicketList.as_view(), name="tickets"),
    path("tickets/<id:number>/", api.TicketDetail.as_view(), name="ticket"),
    path("tickets/<id:number>/replies/", api.TicketReply.as_view(), name="ticket_replies"),
    # The OpenAPI 3 schema (?format=json or yaml) and its browsable docs (Swagger UI, split so
    # that its start-up script is a file: the Content-Security-Policy allows no inline script).
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
