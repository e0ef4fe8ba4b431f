"""Chat URLs: the customer's under ``/chat/`` (namespace ``chat``), the agents' under
``/agent/chats/`` (in the workspace's ``agent`` namespace). Wired in helpdesk/urls.py."""

from django.urls import path

import core.converters  # noqa: F401  (registers the id and token converters)
from chat import report_views, views

portal_patterns = (
    [
        path("", views.start, name="start"),
        path("<token:token>/", views.room, name="room"),
        path("<token:token>/files/", views.file_upload, name="file_upload"),
        path("<token:token>/files/<id:seq>/", views.file_download, name="file"),
        path("<token:token>/leave/", views.leave, name="leave"),
        path("<token:token>/transcript/", views.transcript, name="transcript"),
    ],
    "chat",
)

agent_patterns = [
    path("", views.console, name="chats"),
    path("availability/", views.availability, name="chat_availability"),
    path("report/", report_views.report, name="chat_report"),
    path("<token:token>/", views.agent_chat, name="chat"),
    path("<token:token>/accept/", views.accept, name="chat_accept"),
    path("<token:token>/transfer/", views.transfer, name="chat_transfer"),
    path("<token:token>/end/", views.end, name="chat_end"),
    path("<token:token>/ticket/", views.make_ticket, name="chat_ticket"),
    path("<token:token>/attach/", views.attach, name="chat_attach"),
]
