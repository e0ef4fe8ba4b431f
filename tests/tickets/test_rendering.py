import pytest

from tickets.rendering import render


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
    ],
)
def test_markdown_renders_inert(source):
    html = render(source).lower()
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
        assert dangerous not in html, (source, html)


def test_ordinary_markdown_survives():
    html = render("**bold**, `code`, [docs](https://example.com/help)\n\n- one\n- two")
    assert "<strong>bold</strong>" in html
    assert "<code>code</code>" in html
    assert '<a href="https://example.com/help" rel="noopener noreferrer nofollow">docs</a>' in html
    assert "<li>one</li>" in html


def test_code_blocks_show_html_as_text():
    html = render("```\n<script>alert(1)</script>\n```")
    assert "&lt;script&gt;" in html and "<script" not in html
