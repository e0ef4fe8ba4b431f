"""Markdown in, inert HTML out. Every comment body shown anywhere goes through ``render``.

Why it is built this way (``manage.py bench_rendering`` prints the figures):

- **Linear time.** A body is parsed by pulldown-cmark (Rust, through ``pyromark``), a
  CommonMark parser kept linear on the known pathological inputs (cmark's and markdown-it's
  lists: nested brackets and block quotes, runs of emphasis openers or closers, unclosed links,
  backtick runs) and capped on reference-link expansion. Python-Markdown, used before, was
  quadratic (``"[a](" * 4000`` took 6 s) and recursed on deep nesting (a 500). markdown-it-py
  is linear but pure Python: 0.1-0.5 s on 50,000 characters of dense markup, up to ten times
  the budget of 50 ms for the longest accepted body; pulldown-cmark takes 1-20 ms.
- **Nesting limit.** Nothing here recurses, but the sanitizer's HTML parser does quadratic work
  on deep trees (25,000 nested block quotes took it 1.7 s) and a table whose rows leave cells
  out gets them filled in, so a few kilobytes can become megabytes of ``<td></td>``. Output
  nested deeper than ``MAX_NESTING`` elements, or with more than ``MAX_TAGS`` tags, is not
  Markdown anyone wrote on purpose: the body is shown as plain preformatted text instead.
  The sanitizer is also quadratic in the ``&`` and no-break spaces of one text node or
  attribute, so long text is cut into nodes and absurdly long link attributes are dropped.
- **Line breaks kept.** Customers paste steps and log excerpts, so every line ending inside a
  paragraph is a ``<br>`` (what markdown-it calls ``breaks``, GitHub comments do the same).
  CommonMark spells a hard break as two spaces before the line ending; they are appended to
  every line before parsing and taken out of code blocks again afterwards.
- **Raw HTML is text.** ``<`` is swapped for a placeholder punctuation mark before parsing, so
  the parser never sees an HTML tag (it only keeps ``<https://...>`` and ``<a@b.example>``
  autolinks), and the placeholder comes back as ``&lt;`` wherever it landed: text, code, link.
  (So ``[text](<url with spaces>)`` is text too; write the spaces as ``%20``.)
- **Sanitized.** The result still goes through nh3 with the allow-list below: no scripts, no
  event attributes, no ``javascript:`` links, every link ``rel="noopener noreferrer nofollow"``.
"""

import re
from itertools import accumulate

import nh3
import pyromark

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

# Deepest element nesting rendered as Markdown (a link in emphasis in a list in a list in a
# quote in a quote is 10 deep); the sanitizer's work grows with the square of the depth.
MAX_NESTING = 20
# Most tags one body may produce (the sanitizer spends up to ~1 µs on each): a 50,000-character
# body of real text has a few thousand; a 500-row, 6-column table has 4,000.
MAX_TAGS = 20_000

_PARSER = pyromark.Markdown(options=pyromark.Options.ENABLE_TABLES)

# Stand-ins for "<" while parsing: Unicode punctuation, like "<", so emphasis next to them
# parses the same; the first one the body does not contain is used. Each maps to its spelling
# in link destinations, where pulldown-cmark percent-encodes it like any non-ASCII character.
_PLACEHOLDERS = {
    mark: "".join(f"%{byte:02X}" for byte in mark.encode())
    for mark in ("\u2e2e", "\u2e35", "\u2e3f", "\u2e4e")
}
# Every "<" except one opening a CommonMark autolink (URI or email, spec section 6.5).
_RAW_LT = re.compile(
    r"<(?!"
    r"[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\x00-\x20<>]*>"
    r"|[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*>"
    r")"
)
# A line ending in a backslash is already a hard break ("\" + newline): the two spaces
# appended to it would make that backslash visible text, so they come off. Unless the run of
# backslashes is even: then the last one is escaped, text, and the spaces go back.
_EVEN_BACKSLASHES = re.compile(r"((?<!\\)(?:\\\\)+)\n")
_CODE_BLOCK = re.compile(r"<pre><code[^>]*>.*?</code></pre>", re.DOTALL)
# Opening ("") and closing ("/") tags, not the void ones, for the nesting depth.
_TAG = re.compile(r"<(/?)(?!br |hr |img )")
_DEPTH_STEP = {"": 1, "/": -1}
# pulldown-cmark writes cell alignment as a style; the allow-list keeps the align attribute.
_ALIGN = [
    (f' style="text-align: {side}">', f' align="{side}">') for side in ("left", "center", "right")
]
# Same characters, spelled the way the sanitizer reads fastest (numeric references parse ~2x
# faster than named ones, and a body of 50,000 "&" is 50,000 of them). Its output is canonical.
_NUMERIC = [("&amp;", "&#38;"), ("&lt;", "&#60;"), ("&gt;", "&#62;"), ("&quot;", "&#34;")]
# The sanitizer writes a text node or attribute value in time quadratic in how many "&" and
# U+00A0 it holds (50,000 took 40 ms, 200,000 took 0.9 s). Long text between tags is cut into
# nodes of at most _ESCAPES_PER_NODE of them by empty comments, which it then drops; link
# attributes longer than any real URL or tooltip are dropped (the link text stays).
_LONG_TEXT = re.compile(r"(?<=>)[^<]{2048,}")
_ESCAPES_PER_NODE = 256
_LONG_LINK = re.compile(
    r'<a (?:href="[^"]{8192,}"(?: title="[^"]*")?|href="[^"]*" title="[^"]{8192,}")>'
)


def render(body: str) -> str:
    """Render Markdown and sanitize it: no scripts, no event attributes, no javascript: links.

    Raw HTML in the source is shown as text, every line break is kept, and every remaining link
    opens without referrer or opener. Linear in the length of ``body``.
    """
    # CommonMark's own input normalisation: line endings, and U+0000 as U+FFFD.
    text = body.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")
    placeholder = next((mark for mark in _PLACEHOLDERS if mark not in text), None)
    if placeholder is None:
        return _sanitize(_as_text(text))
    source = _RAW_LT.sub(placeholder, text).replace("\n", "  \n")
    if "\\  \n" in source:
        source = source.replace("\\  \n", "\\\n")
        if "\\\\\n" in source:
            source = _EVEN_BACKSLASHES.sub(r"\1  \n", source)
    markup = _PARSER.html(source)
    if markup.count("<") > MAX_TAGS or _depth(markup) > MAX_NESTING:
        return _sanitize(_as_text(text))
    if "<pre>" in markup:
        markup = _CODE_BLOCK.sub(_without_added_spaces, markup)
    markup = (
        markup.replace(placeholder, "&#60;")
        .replace(_PLACEHOLDERS[placeholder], "%3C")
        .replace("<br />", "<br>")
        .replace("<hr />", "<hr>")
    )
    if "text-align" in markup:
        for style, attribute in _ALIGN:
            markup = markup.replace(style, attribute)
    if "&" in markup:
        for named, numeric in _NUMERIC:
            markup = markup.replace(named, numeric)
    return _sanitize(markup)


def _sanitize(markup: str) -> str:
    markup = _LONG_TEXT.sub(_split_text, markup)
    markup = _LONG_LINK.sub("<a>", markup)
    return nh3.clean(
        markup,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def _as_text(text: str) -> str:
    """The body as it was typed, in a ``<pre>``: for input too deep or too large to render."""
    escaped = text.replace("&", "&#38;").replace("<", "&#60;").replace(">", "&#62;")
    return f"<pre>{escaped}</pre>"


def _depth(markup: str) -> int:
    """How deeply the parser's elements nest (every "<" it writes starts a tag: text has none)."""
    return max(accumulate(map(_DEPTH_STEP.__getitem__, _TAG.findall(markup))), default=0)


def _without_added_spaces(match: re.Match[str]) -> str:
    # The two spaces appended to every line before parsing are code here, not line breaks.
    return match.group().replace("  \n", "\n")


def _split_text(match: re.Match[str]) -> str:
    text = match.group()
    for escaped in ("&", "\xa0"):
        pieces = text.split(escaped)
        if len(pieces) > _ESCAPES_PER_NODE:
            step = _ESCAPES_PER_NODE
            text = f"<!---->{escaped}".join(
                escaped.join(pieces[start : start + step]) for start in range(0, len(pieces), step)
            )
    return text
