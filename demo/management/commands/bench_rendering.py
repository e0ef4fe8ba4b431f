"""Benchmark: render pathological comment bodies (Markdown + sanitizing); prints milliseconds.

    manage.py bench_rendering [--length 50000] [--repeat 5] [--linearity] [--case NAME ...]

Each case is a body of exactly --length characters (50,000 is the longest the forms accept)
built from a pattern known to be slow for Markdown parsers or for the HTML sanitizer: cmark's
and markdown-it's pathological tests, deep nesting, entity and tag floods, tables that grow when
cells are filled in. --linearity also renders each case at a quarter and half of --length:
linear time shows as times doubling with the length. Figures are printed, nothing is asserted.
"""

import statistics
import time

from django.core.management.base import BaseCommand, CommandError

from tickets.rendering import render

BUDGET_MS = 50


def _fit(text: str, length: int) -> str:
    """Exactly ``length`` characters: cut, or padded with spaces at the end."""
    return text[:length].ljust(length)


def _repeat(unit: str, length: int) -> str:
    return _fit(unit * (length // len(unit) + 1), length)


def _around(opening: str, middle: str, closing: str, length: int) -> str:
    """``opening`` repeated, ``middle``, ``closing`` as many times: a nested pair."""
    count = max(0, (length - len(middle)) // (len(opening) + len(closing)))
    return _fit(opening * count + middle + closing * count, length)


def _lines(make_line, length: int) -> str:
    parts, size, index = [], 0, 0
    while size < length:
        parts.append(make_line(index))
        size += len(parts[-1])
        index += 1
    return _fit("".join(parts), length)


def _table(columns: int, row: str, length: int) -> str:
    head = "|" + "a|" * columns + "\n|" + "-|" * columns + "\n"
    return _fit(head + row * (length // len(row) + 1), length)


# name -> body of the given length. The first group is from the report that started this
# (Python-Markdown took 6 s on "[a](" * 4000 and recursed on "- " * 2000), then cmark's
# test/pathological_tests.py, markdown-it's test/pathological.mjs, and what else was found.
CASES = {
    "link openers [a](": lambda n: _repeat("[a](", n),
    "list markers - - x": lambda n: _fit("- " * ((n - 1) // 2) + "x", n),
    "nested block quotes": lambda n: _fit("> " * ((n - 1) // 2) + "a", n),
    "nested lists, indented": lambda n: _lines(lambda i: "  " * (i % 200) + "* a\n", n),
    "emphasis openers *a": lambda n: _repeat("*a ", n),
    "open brackets [": lambda n: _repeat("[", n),
    "backticks `": lambda n: _repeat("`", n),
    "less-than <": lambda n: _repeat("<", n),
    "short lines a\\n": lambda n: _repeat("a\n", n),
    "one long word": lambda n: _repeat("x", n),
    "entities &amp;": lambda n: _repeat("&amp;", n),
    "ampersands &": lambda n: _repeat("&", n),
    "wide table (1,000 columns)": lambda n: _table(1000, "|b" * 1000 + "|\n", n),
    "tall table": lambda n: _table(2, "|c|d|\n", n),
    "table rows filled in": lambda n: _table(15, "a\n", n),
    "nested strong emphasis": lambda n: _around("*a **a ", "b", " a** a*", n),
    "emphasis closers a_": lambda n: _repeat("a_ ", n),
    "emphasis openers _a": lambda n: _repeat("_a ", n),
    "link closers a]": lambda n: _repeat("a]", n),
    "link openers [a": lambda n: _repeat("[a", n),
    "mismatched *a_": lambda n: _repeat("*a_ ", n),
    "closers multiple of 3": lambda n: _fit("a**b" + "c* " * (n // 3), n),
    "link openers, emphasis closers": lambda n: _repeat("[ a_", n),
    "pattern [ (](": lambda n: _repeat("[ (](", n),
    "pattern ![[]()": lambda n: _repeat("![[]()", n),
    "nested brackets": lambda n: _around("[", "a", "]", n),
    "U+0000": lambda n: _repeat("abc\u0000de\u0000", n),
    "backtick runs": lambda n: _lines(lambda i: "e" + "`" * (i + 1), n),
    "unclosed links [a](<b": lambda n: _repeat("[a](<b", n),
    "unclosed links [a](b": lambda n: _repeat("[a](b", n),
    "unclosed comments <!--": lambda n: _fit("</" + "<!--" * (n // 4), n),
    "gfm tables aaa\\rbbb": lambda n: _repeat("aaa\rbbb\n-\v\n", n),
    "many references": lambda n: _fit(
        _lines(lambda i: f"[{i}]: u\n", n // 2) + "[0] " * (n // 8), n
    ),
    "reference expansion": lambda n: _fit("[a]: " + "u" * 2000 + "\n\n" + "[a]" * (n // 3), n),
    "cmark#389 *a _a*_": lambda n: _fit("*a " * (n // 6) + "_a*_ " * (n // 10), n),
    "nested inlines ***": lambda n: _around("*", "a", "*", n),
    "pattern **_*": lambda n: _repeat("**_* ", n),
    "pattern ``\\": lambda n: _repeat("``\\", n),
    "autolinks <<<>": lambda n: _fit("<" * (n - 1) + ">", n),
    "hard break spaces": lambda n: _fit("x" + " " * (n - 7) + "x  \nx", n),
    "a**a": lambda n: _repeat("a**a", n),
    "*a **a": lambda n: _repeat("*a **a", n),
    "ordered markers 1. 1.": lambda n: _repeat("1. ", n),
    "quotes in lists > -": lambda n: _repeat("> - ", n),
    "list items - a": lambda n: _repeat("- a\n", n),
    "headings # a": lambda n: _repeat("# a\n", n),
    "setext headings": lambda n: _repeat("a\n=\n", n),
    "fences ```": lambda n: _repeat("```\n", n),
    "links [a](b)": lambda n: _repeat("[a](b) ", n),
    "email autolinks": lambda n: _repeat("<a@b.co> ", n),
    "code spans `a`": lambda n: _repeat("`a` ", n),
    "almost autolinks <a@a.a.": lambda n: _fit("<a@" + "a." * n, n),
    "almost autolinks <ab:": lambda n: _repeat("<ab:" + "x" * 60, n),
    "backslash breaks": lambda n: _repeat("a\\\n", n),
    "escaped backslashes at line ends": lambda n: _repeat("a\\\\\n", n),
    "raw html tags": lambda n: _repeat("<b>x</b> ", n),
    "no-break spaces": lambda n: _repeat("\u00a0", n),
    "ampersands in a link": lambda n: _fit("[a](http://x/?" + "&" * n, n - 1) + ")",
    "no-break spaces in a title": lambda n: _fit('[a](http://x/ "' + "\u00a0" * n, n - 2) + '")',
    "placeholders all present": lambda n: _repeat("\u2e2e\u2e35\u2e3f\u2e4e <b> & ", n),
    # Just under the tag limit (rendering.MAX_TAGS): the most the sanitizer gets to parse.
    "lines under the tag limit": lambda n: _repeat("ab\n", n),
    "list items under the tag limit": lambda n: _repeat("- abc\n", n),
    "emphasis under the tag limit": lambda n: _repeat("*&&&* ", n),
    "table under the tag limit": lambda n: _table(2, "|&&&&&&|&&&&&&|\n", n),
    "log paste": lambda n: _repeat(
        "2026-03-02 10:14:07 ERROR [sync] <Job 42> failed: C:\\Backup\\set_1 & retry=3\n", n
    ),
}


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--length", type=int, default=50_000)
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--linearity", action="store_true")
        parser.add_argument("--case", action="append", help="Only cases whose name contains it.")

    def handle(self, *args, length: int, repeat: int, linearity: bool, case, **options):
        if length < 1 or repeat < 1:
            raise CommandError("--length and --repeat must be at least 1.")
        chosen = {
            name: make
            for name, make in CASES.items()
            if not case or any(part in name for part in case)
        }
        if not chosen:
            raise CommandError("No case matches --case.")
        lengths = [length // 4, length // 2, length] if linearity else [length]
        width = max(len(name) for name in chosen)
        row = "{:<" + str(width) + "}  {:>7}  {:>8}  {:>9}  {:>10}"
        self.stdout.write(row.format("case", "chars", "best ms", "median ms", "html chars"))
        slowest = ("", 0, 0.0)
        for name, make in chosen.items():
            for size in lengths:
                body = make(size)
                timings, html = [], ""
                for _ in range(repeat):
                    started = time.perf_counter()
                    html = render(body)
                    timings.append((time.perf_counter() - started) * 1000)
                best, median = min(timings), statistics.median(timings)
                self.stdout.write(
                    row.format(name, len(body), f"{best:.1f}", f"{median:.1f}", len(html))
                )
                if size == length and median > slowest[2]:
                    slowest = (name, size, median)
        name, size, median = slowest
        self.stdout.write(f"slowest at {size} chars: {name}, median {median:.1f} ms")
        verdict = "yes" if median < BUDGET_MS else "NO"
        self.stdout.write(f"all under {BUDGET_MS} ms (median): {verdict}")
