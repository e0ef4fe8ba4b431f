"""Bug report pages, under /agent/ (namespace "agent")."""

from django.urls import path

from bugs import views

agent_patterns = [
    path("", views.bug_list, name="bugs"),
    path("<id:pk>/", views.bug_detail, name="bug"),
    path("<id:pk>/unlink/", views.bug_unlink, name="bug_unlink"),
]
