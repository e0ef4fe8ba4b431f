"""The demo's pages, included under the agent workspace by ``helpdesk/urls.py`` (by name, so
nothing imports the demo app)."""

from django.urls import path

import core.converters  # noqa: F401  (registers the "id" path converter)
from demo import views

urlpatterns = [
    path("emails/", views.sent_emails, name="demo_emails"),
    path("emails/<id:pk>/", views.sent_email, name="demo_email"),
]
