"""URLs served on every tenant host (``<slug>.<BASE_DOMAIN>``).

Every pattern here is walked by the tenant isolation probe (tests/test_isolation_probe.py).
"""

from django.urls import include, path

import core.converters  # noqa: F401  (registers the "id" path converter)
from accounts import join as join_views
from accounts import views as account_views
from bugs import urls as bug_urls
from bugs import views as bug_views
from chat import urls as chat_urls
from desk import views as desk_views
from escalations import views as escalation_views
from helpcenter import urls as help_urls
from helpdesk.views import favicon, healthz
from inbox import views as inbox_views
from surveys import views as survey_views
from tenants import views as tenant_views
from tickets.agent import collaboration as agent_people
from tickets.agent import tag_views, time_views
from tickets.agent import teams as team_views
from tickets.agent import views as agent_views
from tickets.portal import collaboration as portal_people
from tickets.portal import views as portal_views
from webhooks import views as webhook_views

portal_patterns = (
    [
        path("", desk_views.portal_home, name="home"),
        path("support-policy/", desk_views.support_policy, name="support_policy"),
        path("join/", join_views.join, name="join"),
        path("tickets/new/", portal_views.ticket_new, name="ticket_new"),
        path("tickets/new/done/", portal_views.ticket_submitted, name="ticket_submitted"),
        path("tickets/", portal_views.my_tickets, name="my_tickets"),
        path("tickets/<id:number>/", portal_views.ticket_detail, name="ticket"),
        path(
            "tickets/<id:number>/escalate/",
            escalation_views.request_escalation,
            name="ticket_escalate",
        ),
        path(
            "tickets/<id:number>/attachments/<id:pk>/",
            portal_views.attachment_download,
            name="attachment",
        ),
        path("tickets/<id:number>/cc/", portal_people.ticket_cc_add, name="ticket_cc"),
        path(
            "tickets/<id:number>/cc/<id:pk>/remove/",
            portal_people.ticket_cc_remove,
            name="ticket_cc_remove",
        ),
    ],
    "portal",
)

agent_patterns = (
    [
        path("", agent_views.queue_view, name="home"),
        path("bulk/", agent_views.bulk_update, name="bulk"),
        path("views/", agent_views.saved_view_create, name="view_create"),
        path("views/<id:pk>/delete/", agent_views.saved_view_delete, name="view_delete"),
        path("people/", tenant_views.people, name="people"),
        path("people/<id:pk>/unlock/", account_views.member_unlock, name="member_unlock"),
        path("audit/", tenant_views.audit_log, name="audit"),
        path("overview/", agent_views.overview, name="overview"),
        path("reports/csat/", survey_views.csat_report, name="csat"),
        path("reports/tags/", tag_views.tag_report, name="tag_report"),
        path("reports/time/", time_views.time_report, name="time_report"),
        path("escalations/", escalation_views.review_queue, name="escalations"),
        path("escalations/report/", escalation_views.report, name="escalation_report"),
        path("escalations/<id:pk>/", escalation_views.review, name="escalation"),
        path("organizations/<id:pk>/", tenant_views.organization_detail, name="organization"),
        path("settings/", desk_views.general, name="settings"),
        path("settings/hours/", desk_views.hours, name="settings_hours"),
        path("settings/holidays/", desk_views.holidays, name="settings_holidays"),
        path(
            "settings/holidays/<id:pk>/delete/",
            desk_views.holiday_delete,
            name="settings_holiday_delete",
        ),
        path("settings/priorities/", desk_views.priorities, name="settings_priorities"),
        path("settings/teams/", team_views.teams_settings, name="settings_teams"),
        path("settings/teams/<id:pk>/", team_views.team_update, name="settings_team"),
        path("settings/people/<id:pk>/away/", team_views.member_away, name="settings_member_away"),
        path("away/", team_views.my_away, name="away"),
        path("settings/email/", inbox_views.email_settings, name="settings_email"),
        path(
            "settings/email/<id:pk>/",
            inbox_views.address_update,
            name="settings_email_address",
        ),
        path(
            "settings/email/<id:pk>/mailbox/",
            inbox_views.mailbox_settings,
            name="settings_email_mailbox",
        ),
        path("settings/tags/", tag_views.settings_tags, name="settings_tags"),
        path("settings/tags/<id:pk>/", tag_views.settings_tag, name="settings_tag"),
        path("settings/webhooks/", webhook_views.webhooks, name="settings_webhooks"),
        path("settings/webhooks/<id:pk>/", webhook_views.webhook, name="settings_webhook"),
        path(
            "settings/webhooks/<id:pk>/deliveries/<id:delivery>/resend/",
            webhook_views.delivery_resend,
            name="settings_webhook_resend",
        ),
        path("tickets/<id:number>/", agent_views.agent_ticket, name="ticket"),
        path("tickets/<id:number>/update/", agent_views.agent_ticket_update, name="ticket_update"),
        path(
            "tickets/<id:number>/macros/<id:macro_id>/",
            agent_views.agent_ticket_macro,
            name="ticket_macro",
        ),
        path("tickets/<id:number>/merge/", agent_views.agent_ticket_merge, name="ticket_merge"),
        path("tickets/<id:number>/links/", agent_views.agent_ticket_links, name="ticket_links"),
        path("tickets/<id:number>/split/", agent_views.agent_ticket_split, name="ticket_split"),
        path("tickets/<id:number>/bug/", bug_views.ticket_bug, name="ticket_bug"),
        path("tickets/<id:number>/tags/", tag_views.ticket_tags, name="ticket_tags"),
        path("tickets/<id:number>/time/", time_views.ticket_time_log, name="ticket_time"),
        path("tickets/<id:number>/timer/", time_views.ticket_timer, name="ticket_timer"),
        path(
            "tickets/<id:number>/time/<id:pk>/delete/",
            time_views.ticket_time_delete,
            name="ticket_time_delete",
        ),
        path(
            "tickets/<id:number>/activity/",
            agent_views.agent_ticket_activity,
            name="ticket_activity",
        ),
        path("tickets/<id:number>/cc/", agent_people.ticket_cc_add, name="ticket_cc"),
        path(
            "tickets/<id:number>/cc/<id:pk>/remove/",
            agent_people.ticket_cc_remove,
            name="ticket_cc_remove",
        ),
        path("tickets/<id:number>/follow/", agent_people.ticket_follow, name="ticket_follow"),
        path("notifications/", agent_people.notifications, name="notifications"),
        path(
            "notifications/read-all/",
            agent_people.notifications_read_all,
            name="notifications_read_all",
        ),
        path(
            "notifications/settings/",
            agent_people.notification_settings,
            name="notification_settings",
        ),
        path("notifications/<id:pk>/", agent_people.notification_open, name="notification"),
        path("chats/", include(chat_urls.agent_patterns)),
        path("help/", include(help_urls.agent_patterns)),
        path("bugs/", include(bug_urls.agent_patterns)),
        path("macros/", agent_views.macros, name="macros"),
        path("macros/<id:pk>/", agent_views.macros, name="macro"),
        # The demo's sent emails (DEBUG only); by name, so nothing imports the demo app.
        path("demo/", include("demo.urls")),
    ],
    "agent",
)

urlpatterns = [
    path("", include(portal_patterns)),
    path("agent/", include(agent_patterns)),
    path("chat/", include(chat_urls.portal_patterns)),
    path("help/", include(help_urls.portal_patterns)),
    path("accounts/profile/", account_views.profile, name="profile"),
    path("accounts/time-zone/", account_views.time_zone_report, name="time_zone_report"),
    path("accounts/api-tokens/", account_views.api_tokens, name="api_tokens"),
    path(
        "accounts/api-tokens/<id:pk>/revoke/",
        account_views.api_token_revoke,
        name="api_token_revoke",
    ),
    path("accounts/", include("allauth.urls")),
    path("survey/<str:token>/", survey_views.answer, name="survey"),
    path("survey/<str:token>/unsubscribe/", survey_views.unsubscribe, name="survey_unsubscribe"),
    path("api/v1/", include("helpdesk.api_urls")),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
]

handler400 = "helpdesk.views.bad_request"
handler403 = "helpdesk.views.permission_denied"
handler404 = "helpdesk.views.page_not_found"
handler500 = "helpdesk.views.server_error"
