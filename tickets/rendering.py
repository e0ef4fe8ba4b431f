"""Markdown in, inert HTML out. Every comment body shown anywhere goes through ``render``."""

import markdown
import nh3

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render(body: str) -> str:
    """Render Markdown and sanitize it: no scripts, no event attributes, no javascript: links.

    Raw HTML in the source is escaped by the sanitizer's allow-list rather than trusted, and
    every remaining link opens without referrer or opener.
    """
    html = markdown.markdown(body, extensions=["fenced_code", "tables", "sane_lists"])
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
