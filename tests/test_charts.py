"""core.charts: scales, labels, empty states, zero/one/many points, and what the template makes of
hostile labels (escaped text in a well-formed SVG)."""

import re
import xml.etree.ElementTree as ET

import pytest
from django.template.loader import render_to_string

from core import charts
from core.charts import Datum, Series

SVG = "{http://www.w3.org/2000/svg}"


def render(chart, **extra) -> str:
    return render_to_string("charts/chart.html", {"chart": chart, **extra})


def svg_of(html: str) -> ET.Element:
    """The chart's <svg>, parsed as XML: it must be well-formed whatever the labels were."""
    match = re.search(r'<svg class="chart-svg".*?</svg>', html, re.S)
    assert match, html
    return ET.fromstring(  # noqa: S314 (our own template's output, parsed to check it)
        match.group(0).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    )


def texts(root: ET.Element) -> list[str]:
    return [t.text for t in root.iter(f"{SVG}text")]


@pytest.mark.parametrize(
    ("largest", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (4, [0, 1, 2, 3, 4]),
        (7, [0, 2, 4, 6, 8]),
        (10, [0, 3, 6, 9, 12]),  # 2.5 rounds up to whole tickets
        (17, [0, 5, 10, 15, 20]),
        (1234, [0, 500, 1000, 1500]),
        (100_000, [0, 25_000, 50_000, 75_000, 100_000]),
    ],
)
def test_count_axes_end_on_a_round_number_at_or_above_the_largest(largest, ticks):
    assert charts.nice_ticks(largest) == ticks
    assert all(float(t).is_integer() for t in ticks)


def test_percent_axes_always_read_0_to_100():
    assert charts.nice_ticks(0.3, percent=True) == [0, 0.25, 0.5, 0.75, 1]


def test_axis_labels_are_thinned_to_fit_a_phone():
    assert charts.label_step(["Mar 3"] * 6) == 1
    assert charts.label_step(["Mar 3"] * 14) == 3
    assert charts.label_step(["Mar 2026"] * 24) >= 4
    assert charts.label_step([]) == 1


def test_bars_scale_to_the_axis_top_and_print_every_value():
    chart = charts.bars(
        id="b",
        title="Backlog",
        category="Priority",
        axis_label="Unsolved tickets",
        data=[Datum("Urgent", 4, tone="urgent"), Datum("Low", 0), Datum("Normal", 7)],
        empty_text="Nothing.",
    )
    assert not chart.empty
    root = svg_of(render(chart))
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Backlog"
    assert root.find(f"{SVG}desc").text == "Urgent: 4; Low: 0; Normal: 7."
    bars = [r for r in root.iter(f"{SVG}rect")]
    assert [b.get("width") for b in bars] == ["50%", "87.5%"]  # 4 and 7 of an axis to 8
    assert "var(--chart-urgent" in bars[0].get("fill")
    assert [b.find(f"{SVG}title").text for b in bars] == ["Urgent: 4", "Normal: 7"]
    shown = texts(root)
    assert {"Urgent", "Low", "Normal", "4", "0", "7", "Unsolved tickets"} <= set(shown)
    assert [t for t in shown if t in {"2", "6", "8"}] == ["2", "6", "8"]  # the axis's ticks
    assert chart.table_head == ["Priority", "Unsolved tickets"]
    assert chart.table_rows == [("Urgent", ["4"]), ("Low", ["0"]), ("Normal", ["7"])]


@pytest.mark.parametrize("data", [[], [Datum("Urgent", 0), Datum("Low", 0)]])
def test_bars_with_nothing_to_show_say_so_instead_of_an_empty_frame(data):
    chart = charts.bars(
        id="b",
        title="Backlog",
        category="Priority",
        axis_label="Unsolved",
        data=data,
        empty_text="Nothing unsolved: the backlog is empty.",
    )
    html = render(chart)
    assert chart.empty and "<svg" not in html
    assert '<p class="empty chart-empty">Nothing unsolved: the backlog is empty.</p>' in html


def test_percent_bars_draw_zero_percent_but_not_missing_ratings():
    chart = charts.bars(
        id="p",
        title="By agent",
        category="Agent",
        axis_label="Rated good",
        data=[Datum("Ann", 0.0, "0% (0 of 3)"), Datum("Bo", None, "no ratings")],
        empty_text="No ratings.",
        percent=True,
    )
    assert not chart.empty  # 0% is a reading
    root = svg_of(render(chart))
    assert "0% (0 of 3)" in texts(root) and "no ratings" in texts(root)
    assert "100%" in texts(root)
    only_missing = charts.bars(
        id="p",
        title="By agent",
        category="Agent",
        axis_label="Rated good",
        data=[Datum("Bo", None, "no ratings")],
        empty_text="No ratings.",
        percent=True,
    )
    assert only_missing.empty


def test_a_long_label_is_cut_to_leave_its_value_room_and_kept_whole_in_the_tooltip():
    name = "Maximiliana Okonkwo-Vanderbilt of the Night Shift Escalations Team"
    chart = charts.bars(
        id="b",
        title="Per assignee",
        category="Assignee",
        axis_label="Unsolved",
        data=[Datum(name, 3)],
        empty_text="-",
    )
    root = svg_of(render(chart))
    cut = next(t for t in texts(root) if t.startswith("Maximiliana"))
    assert cut.endswith("…") and len(cut) <= charts.MAX_LABEL
    assert root.find(f".//{SVG}rect/{SVG}title").text == f"{name}: 3"


def test_one_column():
    chart = charts.columns(
        id="c",
        title="Escalations per month",
        data=[Datum("Mar 2026", 3, detail="March 2026")],
        y_label="Requests",
        x_label="Month",
        empty_text="None yet.",
    )
    root = svg_of(render(chart))
    (bar,) = root.iter(f"{SVG}rect")
    assert bar.get("x") == "15%" and bar.get("width") == "70%"
    assert float(bar.get("height")) == charts.PLOT_HEIGHT  # 3 of an axis to 3
    assert {"Mar 2026", "3", "Requests", "Month"} <= set(texts(root))
    assert chart.desc == (
        "Escalations per month, March 2026. Requests: 3 in all, highest 3 (March 2026), "
        "latest 3 (March 2026)."
    )


def test_many_columns_label_the_latest_and_thin_the_rest():
    data = [Datum(f"W{i}", i % 5, detail=f"Week {i}") for i in range(30)]
    chart = charts.columns(
        id="c", title="T", data=data, y_label="n", x_label="Week", empty_text="-"
    )
    root = svg_of(render(chart))
    shown = texts(root)
    axis = [t for t in shown if t.startswith("W")]
    assert "W29" in axis and len(axis) < 30
    assert len(list(root.iter(f"{SVG}rect"))) == 24  # zeros draw no column
    # Past MAX_VALUE_LABELS columns, only the highest (first 4) and the latest carry a value.
    bold = [t.text for t in root.iter(f"{SVG}text") if t.get("font-weight") == "600"]
    assert bold == ["4", "4"]


def test_columns_tell_missing_data_from_zero():
    data = [
        Datum("Mar 2", 0.5, "50%", "Week of Mar 2"),
        Datum("Mar 9", None, "no ratings", "Week of Mar 9"),
        Datum("Mar 16", 0.0, "0%", "Week of Mar 16"),
    ]
    chart = charts.columns(
        id="c",
        title="Satisfaction per week",
        data=data,
        y_label="Rated good",
        x_label="Week starting",
        empty_text="-",
        percent=True,
    )
    root = svg_of(render(chart))
    assert len(list(root.iter(f"{SVG}rect"))) == 1
    shown = texts(root)
    assert "–" in shown and "0%" in shown and "50%" in shown and "100%" in shown
    assert "highest 50% (Week of Mar 2), lowest 0% (Week of Mar 16)" in chart.desc
    assert "1 with no data" in chart.desc


def test_lines_have_a_legend_markers_and_gaps():
    labels = ["Mar 1", "Mar 2", "Mar 3"]
    chart = charts.lines(
        id="l",
        title="Created and solved",
        labels=labels,
        details=["Sun, Mar 1", "Mon, Mar 2", "Tue, Mar 3"],
        series=[
            Series("Created", [Datum(lb, v) for lb, v in zip(labels, [2, 0, 5], strict=True)]),
            Series(
                "Solved",
                [Datum(lb, v) for lb, v in zip(labels, [1, None, 1], strict=True)],
                tone="2",
            ),
        ],
        y_label="Tickets per day",
        x_label="Day",
        empty_text="-",
    )
    assert [(item.name, item.shape, item.dashed) for item in chart.legend] == [
        ("Created", "circle", False),
        ("Solved", "square", True),
    ]
    html = render(chart, table=True)
    root = svg_of(html)
    assert len(chart.markers) == 5 and chart.markers[-1].tip == "Solved, Tue, Mar 3: 1"
    data_lines = [s for s in chart.segments if s.width == 2.5]
    assert len(data_lines) == 2  # Created: two segments; Solved: none across the gap
    assert "Created: 7 in all, highest 5 (Tue, Mar 3)" in root.find(f"{SVG}desc").text
    assert "<summary>Figures: created and solved</summary>" in html
    assert '<th scope="row">Mon, Mar 2</th><td>0</td><td>no data</td>' in html


@pytest.mark.parametrize("values", [[0, 0, 0], []])
def test_lines_with_nothing_to_show_say_so(values):
    labels = [f"d{i}" for i in range(len(values))]
    chart = charts.lines(
        id="l",
        title="Created",
        labels=labels,
        series=[Series("Created", [Datum(lb, v) for lb, v in zip(labels, values, strict=True)])],
        y_label="n",
        x_label="Day",
        empty_text="No tickets were created or solved in the last 14 days.",
    )
    assert chart.empty
    assert "No tickets were created or solved" in render(chart)


def test_hostile_labels_are_escaped_and_the_svg_stays_well_formed():
    evil = '<script>alert(1)</script>"&\' onload="x'
    chart = charts.bars(
        id="evil",
        title=f"Title {evil}",
        category=evil,
        axis_label=evil,
        data=[Datum(evil, 2, text=evil, detail=evil, tone='red" onclick="x')],
        empty_text=evil,
    )
    html = render(chart, table=True)
    assert "<script>" not in html and 'onload="x' not in html and "onclick" not in html
    root = svg_of(html)  # parses: nothing broke out of an attribute or element
    assert root.find(f"{SVG}title").text == f"Title {evil}"
    assert evil in texts(root)
    assert "var(--chart-1" in next(root.iter(f"{SVG}rect")).get("fill")  # unknown tone
    lines = charts.lines(
        id="evil-lines",
        title=evil,
        labels=[evil],
        series=[Series(evil, [Datum(evil, 1)])],
        y_label=evil,
        x_label=evil,
        empty_text=evil,
    )
    html = render(lines, table=True)
    assert "<script>" not in html
    svg_of(html)


@pytest.mark.parametrize("bad", ["", "Has Caps", 'x" onclick="y', "1st"])
def test_chart_ids_are_plain_slugs(bad):
    with pytest.raises(ValueError, match="chart id"):
        charts.columns(id=bad, title="t", data=[], y_label="y", x_label="x", empty_text="-")
