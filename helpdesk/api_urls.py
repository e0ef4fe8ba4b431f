from django.urls import path
from drf_spectacular.views import SpectacularAPIView

import core.converters  # noqa: F401  (registers the "id" and "bounded_slug" path converters)
from bugs import api as bugs
from desk import api as desk
from escalations import api as escalations
from helpcenter import api as helpcenter
from helpdesk.api_docs import api_docs
from surveys import api as surveys
from tickets import api, api_merging, tag_api, time_api
from tickets import api_collaboration as collaboration
from tickets import api_teams as teams

app_name = "api"

urlpatterns = [
    path("tickets/", api.TicketList.as_view(), name="tickets"),
    path("tickets/<id:number>/", api.TicketDetail.as_view(), name="ticket"),
    path("tickets/<id:number>/comments/", api.TicketComments.as_view(), name="ticket_comments"),
    path("tickets/<id:number>/events/", api.TicketEvents.as_view(), name="ticket_events"),
    path(
        "tickets/<id:number>/attachments/<id:pk>/",
        api.TicketAttachment.as_view(),
        name="ticket_attachment",
    ),
    path("tickets/<id:number>/merge/", api_merging.TicketMerge.as_view(), name="ticket_merge"),
    path("tickets/<id:number>/split/", api_merging.TicketSplit.as_view(), name="ticket_split"),
    path("tickets/<id:number>/links/", api_merging.TicketLinks.as_view(), name="ticket_links"),
    path(
        "tickets/<id:number>/links/<id:other>/",
        api_merging.TicketLinkDetail.as_view(),
        name="ticket_link",
    ),
    path("tickets/<id:number>/tags/", tag_api.TicketTags.as_view(), name="ticket_tags"),
    path("tags/", tag_api.TagList.as_view(), name="tags"),
    path("tickets/<id:number>/ccs/", collaboration.TicketCCs.as_view(), name="ticket_ccs"),
    path(
        "tickets/<id:number>/ccs/<id:pk>/",
        collaboration.TicketCCDetail.as_view(),
        name="ticket_cc",
    ),
    path(
        "tickets/<id:number>/followers/",
        collaboration.TicketFollowers.as_view(),
        name="ticket_followers",
    ),
    path("notifications/", collaboration.NotificationList.as_view(), name="notifications"),
    path(
        "tickets/<id:number>/escalation/",
        escalations.TicketEscalation.as_view(),
        name="ticket_escalation",
    ),
    path(
        "tickets/<id:number>/time-entries/",
        time_api.TicketTimeEntries.as_view(),
        name="ticket_time_entries",
    ),
    path(
        "tickets/<id:number>/time-entries/<id:pk>/",
        time_api.TicketTimeEntry.as_view(),
        name="ticket_time_entry",
    ),
    path("reports/time/", time_api.TimeReport.as_view(), name="time_report"),
    path("escalations/", escalations.EscalationList.as_view(), name="escalations"),
    path("escalations/<id:pk>/", escalations.EscalationDetail.as_view(), name="escalation"),
    path(
        "escalations/<id:pk>/decisions/",
        escalations.EscalationDecisions.as_view(),
        name="escalation_decisions",
    ),
    path("tickets/<id:number>/survey/", surveys.TicketSurvey.as_view(), name="ticket_survey"),
    path("survey-responses/", surveys.SurveyResponseList.as_view(), name="survey_responses"),
    path(
        "tickets/<id:number>/product-bug/",
        bugs.TicketProductBug.as_view(),
        name="ticket_product_bug",
    ),
    path("bugs/", bugs.BugList.as_view(), name="bugs"),
    path("bugs/<id:pk>/", bugs.BugDetail.as_view(), name="bug"),
    path("articles/", helpcenter.ArticleList.as_view(), name="articles"),
    path("articles/<bounded_slug:slug>/", helpcenter.ArticleDetail.as_view(), name="article"),
    path("members/", desk.MemberList.as_view(), name="members"),
    path("organizations/", desk.OrganizationList.as_view(), name="organizations"),
    path("settings/", desk.TenantSettings.as_view(), name="settings"),
    path("teams/", teams.TeamList.as_view(), name="teams"),
    # The OpenAPI 3 schema (?format=json or yaml) and a page that documents it.
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", api_docs, name="docs"),
]
