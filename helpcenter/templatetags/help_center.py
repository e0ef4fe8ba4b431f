"""Template helpers of the public help center (also used by the desk's support-policy page
through ``helpcenter/_votes.html``)."""

import re

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from helpcenter import readers, selectors
from helpcenter.models import Article

register = template.Library()


@register.simple_tag(takes_context=True)
def reader_tally(context, article: Article) -> selectors.Tally:
    """The article's votes and the current reader's own answer (``help_voter`` in the context when
    the view knows better than the request, as right after a browser's first vote)."""
    voter = context.get("help_voter")
    if not voter:
        request = context.get("request")
        voter = readers.voter(request) if request is not None else ""
    return selectors.tally(article, voter=voter)


@register.filter
def article_url(article: Article) -> str:
    """Where a reader opens the article: the support policy is its own live page."""
    if article.is_policy:
        return reverse("portal:support_policy")
    return reverse("help:article", kwargs={"slug": article.slug})


# Markdown's emphasis, code and heading marks, which snippets (cut from an article's Markdown
# source) would otherwise show as typed: "choose **Restore files**".
_MARKDOWN_MARKS = re.compile(r"\*+|__+|`+|(?<!\S)#{1,6}(?=\s)")


@register.filter
def snippet_text(snippet: SafeString) -> SafeString:
    """A search snippet (escaped HTML with ``<mark>``) without Markdown's punctuation. Only
    those characters are taken out, so the result is as safe as what came in."""
    return mark_safe(_MARKDOWN_MARKS.sub("", str(snippet)))  # noqa: S308 (characters removed only)
