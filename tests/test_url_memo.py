"""core.templatetags.url_memo: {% url %} keeps the links without arguments, and nothing else."""

import pytest
from django.template import engines
from django.urls import NoReverseMatch, clear_url_caches, reverse, set_script_prefix, set_urlconf

from core.templatetags import url_memo


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.fixture
def counted(monkeypatch):
    """The reverse() calls the tag makes."""
    calls = []

    def counting(*args, **kwargs):
        calls.append(args[0])
        return reverse(*args, **kwargs)

    monkeypatch.setattr(url_memo, "reverse", counting)
    clear_url_caches()  # a fresh resolver: nothing remembered from other tests
    yield calls
    clear_url_caches()


def test_every_template_gets_the_remembering_tag():
    template = engines["django"].from_string("{% url 'agent:overview' %}")
    assert type(template.template.nodelist[0]) is url_memo.MemoURLNode


def test_a_link_without_arguments_is_reversed_once_and_renders_as_djangos(counted):
    source = "{% url 'agent:overview' %} {% url 'portal:my_tickets' %}"
    first = render(source)
    assert first == f"{reverse('agent:overview')} {reverse('portal:my_tickets')}"
    assert render(source) == first
    assert counted == ["agent:overview", "portal:my_tickets"]


def test_links_with_arguments_and_as_var_take_djangos_path(counted):
    assert render("{% url 'agent:ticket' n %}", n=7) == reverse("agent:ticket", args=[7])
    assert render("{% url 'agent:ticket' number=n %}", n=8) == "/agent/tickets/8/"
    assert counted == []  # Django's URLNode reversed them itself, every time
    assert render("{% url 'agent:overview' as link %}[{{ link }}]") == "[/agent/overview/]"
    assert render("{% url name as link %}[{{ link }}]", name="agent:overview") == (
        "[/agent/overview/]"
    )
    assert counted == ["agent:overview"]  # the second came from the memo


def test_an_unknown_name_still_fails_and_is_not_remembered(counted):
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-page' %}")
    assert render("{% url 'no-such-page' as link %}[{{ link }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-page' %}")


def test_the_memo_follows_the_script_prefix_and_the_url_configuration(counted):
    assert render("{% url 'healthz' %}") == "/healthz"
    set_script_prefix("/support/")
    try:
        assert render("{% url 'healthz' %}") == "/support/healthz"
    finally:
        set_script_prefix("/")
    assert render("{% url 'healthz' %}") == "/healthz"
    # The platform host's URLconf has no tenant pages: its own resolver, its own memo.
    render("{% url 'portal:my_tickets' %}")
    set_urlconf("helpdesk.urls_platform")
    try:
        assert render("{% url 'platform-home' %}") == "/"
        with pytest.raises(NoReverseMatch):
            render("{% url 'portal:my_tickets' %}")
    finally:
        set_urlconf(None)
    assert render("{% url 'portal:my_tickets' %}") == "/tickets/"


def test_autoescape_applies_as_in_django(counted):
    # A script prefix with "&" (kept as it is by reverse) shows whether the path is escaped.
    set_script_prefix("/a&b/")
    try:
        escaped = render("{% url 'agent:overview' %}")
        raw = render("{% autoescape off %}{% url 'agent:overview' %}{% endautoescape %}")
    finally:
        set_script_prefix("/")
    assert escaped == "/a&amp;b/agent/overview/"
    assert raw == "/a&b/agent/overview/"
    assert counted == ["agent:overview"]  # the second came from the memo, unescaped
