import re
from io import StringIO

import pytest
from django.core.management import call_command

from demo.management.commands.bench_rendering import CASES
from tickets.rendering import MAX_NESTING, render


def tags_of(html: str) -> str:
    """Every tag in the output, attributes included: where markup could do something."""
    return " ".join(re.findall(r"<[^>]*>", html)).lower()


def depth_of(html: str) -> int:
    depth = deepest = 0
    for closing, name in re.findall(r"<(/?)([a-z0-9]+)", html):
        if name in ("br", "hr"):
            continue
        depth += -1 if closing else 1
        deepest = max(deepest, depth)
    return deepest


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](  javascript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<img src=x onerror=alert(1)>",
        '<a href="https://example.com" onclick="alert(1)">x</a>',
        '<p onmouseover="alert(1)">hover</p>',
        "<svg onload=alert(1)>",
        "<iframe src=https://evil.example></iframe>",
        '<a href="vbscript:msgbox(1)">x</a>',
        "<style>body{display:none}</style>",
        "<javascript:alert(1)>",
        "[x]: javascript:alert(1)\n\n[click][x]",
    ],
)
def test_markdown_renders_inert(source):
    # Raw HTML is shown as text now, so "onerror" may be read on the page: what must never
    # happen is that it is markup. Only the tags are searched.
    tags = tags_of(render(source))
    for dangerous in (
        "<script",
        "javascript:",
        "vbscript:",
        "data:",
        "onerror",
        "onclick",
        "onload",
        "onmouseover",
        "<iframe",
        "<svg",
        "<img",
        "<style",
    ):
        assert dangerous not in tags, (source, tags)


def test_raw_html_is_shown_as_text():
    html = render("Got <dependency> back, then <b>bold</b> & <!-- a comment -->")
    assert "&lt;dependency&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>" not in html
    assert "&lt;!-- a comment --&gt;" in html


def test_html_blocks_are_shown_as_text_with_their_lines():
    html = render("<div>\nhello\n</div>")
    assert html == "<p>&lt;div&gt;<br>\nhello<br>\n&lt;/div&gt;</p>\n"


def test_ordinary_markdown_survives():
    html = render("**bold**, `code`, [docs](https://example.com/help)\n\n- one\n- two")
    assert "<strong>bold</strong>" in html
    assert "<code>code</code>" in html
    assert '<a href="https://example.com/help" rel="noopener noreferrer nofollow">docs</a>' in html
    assert "<li>one</li>" in html


def test_code_blocks_show_html_as_text():
    html = render("```\n<script>alert(1)</script>\n```")
    assert "&lt;script&gt;" in html and "<script" not in html


def test_a_single_newline_is_a_line_break():
    assert render("line one\nline two") == "<p>line one<br>\nline two</p>\n"


def test_windows_and_old_mac_line_endings_break_lines_too():
    assert render("one\r\ntwo\rthree") == "<p>one<br>\ntwo<br>\nthree</p>\n"


def test_a_blank_line_still_starts_a_new_paragraph():
    assert render("first\n\nsecond") == "<p>first</p>\n<p>second</p>\n"


def test_pasted_steps_show_as_a_numbered_list():
    html = render("Steps:\n1. Start\n2. Wait")
    assert html == "<p>Steps:</p>\n<ol>\n<li>Start</li>\n<li>Wait</li>\n</ol>\n"


def test_pasted_log_lines_stay_on_their_own_lines():
    html = render("ERROR disk full\nWARN retrying\nINFO done")
    assert html.count("<br>") == 2 and "disk full<br>\nWARN retrying<br>\nINFO" in html


def test_code_blocks_keep_their_lines_exactly():
    source = "```\nkeep two trailing spaces  \nand a backslash\\\n```\n\n    indented  \n    code"
    html = render(source)
    assert "<pre><code>keep two trailing spaces  \nand a backslash\\\n</code></pre>" in html
    assert "<pre><code>indented  \ncode" in html
    assert "<br>" not in html


def test_backslash_line_endings_follow_commonmark():
    # One backslash is CommonMark's own hard break; an escaped one is a visible backslash.
    assert render("a\\\nb") == "<p>a<br>\nb</p>\n"
    assert render("C:\\\\\nnext") == "<p>C:\\<br>\nnext</p>\n"


def test_autolinks_still_work_and_less_than_elsewhere_is_text():
    html = render("<https://example.com/x> and <help@example.com> if a<b")
    assert '<a href="https://example.com/x" rel="noopener noreferrer nofollow">' in html
    assert '<a href="mailto:help@example.com" rel="noopener noreferrer nofollow">' in html
    assert "if a&lt;b" in html


def test_less_than_in_code_and_links_comes_back_as_itself():
    html = render('`a<b` and [q](https://example.com/?a=<b>) and [t](https://x.example "<t>")')
    assert "<code>a&lt;b</code>" in html
    assert 'href="https://example.com/?a=%3Cb%3E"' in html
    assert 'title="&lt;t&gt;"' in html


def test_emphasis_next_to_less_than_parses_as_commonmark_says():
    assert render("Press **<Enter>**") == "<p>Press <strong>&lt;Enter&gt;</strong></p>\n"
    assert render("x**<y>**") == "<p>x**&lt;y&gt;**</p>\n"


def test_text_that_contains_the_placeholders_is_left_alone():
    html = render("\u2e2e \u2e35 <b>")
    assert html == "<p>\u2e2e \u2e35 &lt;b&gt;</p>\n"
    every_placeholder = render("\u2e2e\u2e35\u2e3f\u2e4e <b> *x*")
    assert every_placeholder == "<pre>\u2e2e\u2e35\u2e3f\u2e4e &lt;b&gt; *x*</pre>"


def test_tables_keep_their_alignment():
    html = render("| a | b |\n|:-|-:|\n| c | d |")
    assert '<th align="left">a</th><th align="right">b</th>' in html
    assert '<td align="left">c</td><td align="right">d</td>' in html


def test_nul_becomes_the_replacement_character():
    assert render("a\u0000b") == "<p>a\ufffdb</p>\n"


def test_nesting_within_the_limit_renders_as_markdown():
    html = render("> quoted\n> - item\n>   - nested *em*")
    assert html.count("<blockquote>") == 1 and html.count("<ul>") == 2 and "<em>em</em>" in html


@pytest.mark.parametrize(
    "source",
    [
        "- " * 2000 + "x",
        "> " * 5000 + "a",
        "1. " * 3000 + "x",
        "> - " * 2000 + "x",
        "".join("  " * level + "* a\n" for level in range(500)),
        "*" * 10000 + "a" + "*" * 10000,
    ],
)
def test_deep_nesting_degrades_into_the_text_as_typed(source):
    html = render(source)
    assert html.startswith("<pre>") and html.endswith("</pre>")
    assert depth_of(html) == 1
    assert len(html) <= 5 * len(source) + 20


def test_nesting_is_cut_just_past_the_limit():
    within = render("> " * (MAX_NESTING - 2) + "a")
    beyond = render("> " * (MAX_NESTING + 1) + "a")
    assert within.count("<blockquote>") == MAX_NESTING - 2
    assert beyond.startswith("<pre>&gt; &gt;")


def test_formerly_quadratic_bodies_render_as_text():
    assert render("[a](" * 4000) == "<p>" + "[a](" * 4000 + "</p>\n"
    assert render("[" * 50000) == "<p>" + "[" * 50000 + "</p>\n"
    assert render("`" * 50000) == "<pre><code></code></pre>\n"  # an unclosed fence
    assert render("a" + "`" * 49999) == "<p>a" + "`" * 49999 + "</p>\n"
    assert render("<" * 50000) == "<p>" + "&lt;" * 50000 + "</p>\n"
    assert render("&amp;" * 10000) == "<p>" + "&amp;" * 10000 + "</p>\n"
    assert render("*a " * 20000).count("<em>") == 0


def test_many_lines_render_each_on_its_own_line():
    html = render("a\n" * 5000)
    assert html.count("<br>") == 4999


def test_tables_that_would_fill_in_megabytes_of_cells_are_shown_as_text():
    source = "|a" * 100 + "|\n" + "|-" * 100 + "|\n" + "a\n" * 5000
    html = render(source)
    assert html.startswith("<pre>|a|a|") and len(html) < len(source) + 20


def test_long_runs_of_escaped_characters_come_out_whole():
    # The text is cut into nodes for the sanitizer's sake; the output must not show it.
    body = ("&\u00a0x " * 3000) + "\n\n" + "[a](https://x.example/?" + "&" * 1000 + ")"
    html = render(body)
    assert html.count("&amp;") == 4000 and html.count("&nbsp;") == 3000
    assert "<!--" not in html


def test_links_longer_than_any_real_url_keep_only_their_text():
    html = render("[a](https://x.example/?" + "&" * 3000 + ")")
    assert html == '<p><a rel="noopener noreferrer nofollow">a</a></p>\n'
    text = 'x href="' + "a" * 9000 + '" y'
    assert render(text) == f"<p>{text}</p>\n"


@pytest.mark.parametrize("name", list(CASES))
def test_pathological_bodies_render_bounded_and_inert(name):
    body = CASES[name](3000)
    html = render(body)
    # Linear, plus what pulldown-cmark allows reference links to expand to (100 KB at most).
    assert len(html) <= 10 * len(body) + 100_000 + 5_000
    assert depth_of(html) <= MAX_NESTING
    assert "<script" not in tags_of(html) and "<img" not in tags_of(html)


def test_bench_rendering_lists_every_case():
    out = StringIO()
    call_command("bench_rendering", repeat=1, length=2000, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["case", "chars", "best", "ms", "median", "ms", "html", "chars"]
    for name in CASES:
        assert any(line.startswith(name + "  ") and " 2000 " in line for line in lines), name
    assert lines[-2].startswith("slowest at 2000 chars: ")
    assert lines[-1].startswith("all under 50 ms (median): ")
