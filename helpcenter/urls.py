"""Help-center URLs: the public ones under ``/help/`` (namespace ``help``), the managers' and
agents' under ``/agent/help/`` (in the workspace's ``agent`` namespace). Wired in
helpdesk/urls.py."""

from django.urls import path

import core.converters  # noqa: F401  (registers the id, token and slug converters)
from helpcenter import views_manage, views_public

portal_patterns = (
    [
        # Fixed words first: services.RESERVED_SLUGS keeps categories from taking them.
        path("", views_public.home, name="home"),
        path("search/", views_public.search_results, name="search"),
        path("suggest/", views_public.suggest, name="suggest"),
        path("sitemap.xml", views_public.sitemap, name="sitemap"),
        path("articles/<bounded_slug:slug>/", views_public.article, name="article"),
        path("articles/<bounded_slug:slug>/vote/", views_public.vote, name="vote"),
        path("<bounded_slug:category_slug>/", views_public.category, name="category"),
        path(
            "<bounded_slug:category_slug>/<bounded_slug:section_slug>/",
            views_public.section,
            name="section",
        ),
    ],
    "help",
)

agent_patterns = [
    # Managers and admins: articles, structure, settings, report. Agents: the search panel.
    path("", views_manage.articles, name="help"),
    path("settings/", views_manage.help_settings, name="help_settings"),
    path("articles/new/", views_manage.article_edit, name="help_article_new"),
    path("articles/<id:pk>/", views_manage.article_edit, name="help_article"),
    path("articles/<id:pk>/delete/", views_manage.article_delete, name="help_article_delete"),
    path("structure/", views_manage.structure, name="help_structure"),
    path("structure/categories/<id:pk>/", views_manage.category_edit, name="help_category"),
    path("structure/sections/<id:pk>/", views_manage.section_edit, name="help_section"),
    path("search/", views_manage.article_search, name="help_search"),
    path("report/", views_manage.help_report, name="help_report"),
]
