"""Charts people read at a glance: figures in, geometry out, drawn as inline SVG by
``templates/charts/chart.html`` (server-rendered, no JavaScript, nothing from a CDN).

Three builders, one ``Chart`` they all return:

- ``bars``: horizontal bars for categories (backlog per priority, satisfaction per agent), each
  under a line with its label on the left and its value on the right, over a value axis;
- ``columns``: one series over time (satisfaction per week, escalations per month), a value
  label on each column while there is room;
- ``lines``: several series over time (tickets created and solved per day), markers of
  different shapes as well as colours, and a legend.

Sizing: horizontal positions are percentages of the chart's width and vertical ones pixels, so
a chart fills its container at any width, a 390 px phone or a wide card, and never overflows it,
while its text keeps a readable size (a viewBox would scale 12 px labels down to 6 px on a
phone). The y axis's labels sit in a gutter made by CSS padding on the ``<svg>``. Axis labels
are thinned on the server so that they fit a phone's width; every column and marker also has a
tooltip, and the pages keep a table with the exact figures.

Accessibility: ``role="img"`` with a ``<title>`` (the chart's name) and a ``<desc>`` that says
what the chart shows in words (range, totals, highest, latest); a chart with nothing to show
is a sentence instead (``Chart.empty``), never an empty frame.

Colours are CSS custom properties with fallbacks that pass contrast on white, so the design
system can theme them: ``--chart-1``, ``--chart-2`` (series), ``--chart-good``, ``--chart-bad``,
``--chart-urgent|high|normal|low`` (priorities), ``--chart-text``, ``--chart-muted``,
``--chart-grid``. Labels are plain strings: the template escapes them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

# Colours: a token name -> a CSS value. Tones are looked up here, never pasted into the page,
# so a caller's string cannot reach a style attribute.
TONES = {
    "1": "var(--chart-1, #1a5fb4)",
    "2": "var(--chart-2, #0f7b6c)",
    "good": "var(--chart-good, #1a7f37)",
    "bad": "var(--chart-bad, #a4161a)",
    "urgent": "var(--chart-urgent, var(--urgent, #a4161a))",
    "high": "var(--chart-high, var(--high, #b54708))",
    "normal": "var(--chart-normal, var(--normal, #1a5fb4))",
    "low": "var(--chart-low, var(--low, #3d4a57))",
}
TEXT = "var(--chart-text, var(--fg, #1b1f24))"
MUTED = "var(--chart-muted, var(--muted, #57606a))"
GRID = "var(--chart-grid, var(--line, #d0d7de))"
SHAPES = ("circle", "square", "ring")  # told apart without colour

# The width a chart must stay readable at: a 390 px phone less the page's and card's padding.
NARROW_PX = 300
CHAR_PX = 6.6  # a generous average advance of an 11-12 px system-ui character
MAX_LABEL = 40  # characters of a bar's label before it is cut (the tooltip has all of it)

# Vertical layout of ``columns`` and ``lines`` (pixels).
PLOT_TOP = 36
PLOT_HEIGHT = 150
PLOT_BOTTOM = PLOT_TOP + PLOT_HEIGHT
# Vertical layout of ``bars`` (pixels): a line of label and value, then the bar, per row.
BAR_ROW = 40
BAR_HEIGHT = 14
# Value labels on every column up to this many columns (phone width); beyond, the highest and
# the latest only.
MAX_VALUE_LABELS = 16

_ID = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class Datum:
    """One figure. ``value`` None means "no data" (drawn as a gap and said so), unlike 0."""

    label: str  # the axis label, short: "Mar 3", "agent alpha"
    value: float | None
    text: str | None = None  # the value as printed; default: the number, "1,234"
    detail: str = ""  # longer words for the tooltip and description: "Week of Mar 2, 2026"
    tone: str = ""  # a TONES key for this one bar (priorities); default: the chart's

    @property
    def shown(self) -> str:
        if self.text is not None:
            return self.text
        return "no data" if self.value is None else _number(self.value)

    @property
    def name(self) -> str:
        return self.detail or self.label


@dataclass(frozen=True)
class Series:
    name: str
    data: Sequence[Datum]
    tone: str = "1"


# --- Geometry the template draws ------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    x: str  # "12.5%" of the plot's width, or pixels ("-6": in the left gutter)
    y: float
    text: str
    anchor: str = "middle"
    size: int = 12
    colour: str = TEXT
    weight: str = "normal"
    dx: int = 0


@dataclass(frozen=True)
class Rect:
    x: str
    y: float
    width: str
    height: float
    colour: str
    tip: str = ""


@dataclass(frozen=True)
class Segment:
    x1: str
    y1: float
    x2: str
    y2: float
    colour: str
    dashed: bool = False
    width: float = 1


@dataclass(frozen=True)
class Marker:
    shape: str
    x: str
    y: float
    colour: str
    tip: str


@dataclass(frozen=True)
class LegendItem:
    name: str
    colour: str
    shape: str
    dashed: bool


@dataclass
class Chart:
    id: str  # unique on the page: the <title>/<desc> ids derive from it
    title: str
    desc: str
    empty: bool = False
    empty_text: str = ""
    height: float = 0
    gutter: int = 0  # pixels of left padding for the y axis's labels
    texts: list[Text] = field(default_factory=list)
    rects: list[Rect] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    legend: list[LegendItem] = field(default_factory=list)
    # The exact figures, for a table beside or behind the chart.
    table_head: list[str] = field(default_factory=list)
    table_rows: list[tuple[str, list[str]]] = field(default_factory=list)


# --- Scales and labels ----------------------------------------------------------------------


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def _pct(percent: float) -> str:
    """12.5 -> "12.5%": plain decimals (never 1e-05), three places at most."""
    return f"{percent:.3f}".rstrip("0").rstrip(".") + "%"


def nice_ticks(largest: float, *, percent: bool = False, count: int = 4) -> list[float]:
    """Axis ticks from 0 to a round top at or above ``largest``: 0, 5, 10, 15, 20 for 17.

    Counts get whole-number steps (1, 2, 5 times a power of ten); percentages (fractions of
    one) always read 0-100%.
    """
    if percent:
        return [0, 0.25, 0.5, 0.75, 1]
    largest = max(float(largest), 1.0)
    raw = largest / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(1.0, step)
    if not float(step).is_integer():  # 2.5 x 10^0 on a count axis: no quarter tickets
        step = math.ceil(step)
    top = step * math.ceil(largest / step)
    return [step * i for i in range(round(top / step) + 1)]


def _tick_text(value: float, percent: bool) -> str:
    return f"{value * 100:.0f}%" if percent else _number(value)


def label_step(labels: Sequence[str], width_px: float = NARROW_PX) -> int:
    """Label every n-th slot so that the labels fit side by side at ``width_px``."""
    if not labels:
        return 1
    widest = max(len(label) for label in labels) * CHAR_PX + 10
    fit = max(1, int(width_px // widest))
    return max(1, math.ceil(len(labels) / fit))


def _cut(label: str, room: int = MAX_LABEL) -> str:
    room = max(8, min(room, MAX_LABEL))
    return label if len(label) <= room else label[: room - 1].rstrip() + "…"


def _tone(tone: str, default: str = "1") -> str:
    return TONES.get(tone) or TONES[default]


def _check_id(chart_id: str) -> str:
    if not _ID.match(chart_id):
        raise ValueError(f"A chart id is lowercase letters, digits and dashes: {chart_id!r}")
    return chart_id


def _has_data(values: Sequence[float | None], percent: bool) -> bool:
    # A count chart of nothing but zeros says so in words; 0% satisfaction is a reading.
    return any(v is not None and (percent or v > 0) for v in values)


def _one_series(id, title, empty_text, head, data, percent) -> tuple[Chart, list[float]]:
    """A one-series chart's start: its figures table, and its ticks (none when it is empty)."""
    chart = Chart(id=_check_id(id), title=title, desc="", empty_text=empty_text)
    chart.table_head = head
    chart.table_rows = [(d.name, [d.shown]) for d in data]
    if not _has_data([d.value for d in data], percent):
        chart.empty = True
        chart.desc = empty_text
        return chart, []
    return chart, nice_ticks(max(d.value or 0 for d in data), percent=percent)


# --- Builders -------------------------------------------------------------------------------


def bars(
    *,
    id: str,
    title: str,
    data: Sequence[Datum],
    category: str,
    axis_label: str,
    empty_text: str,
    percent: bool = False,
    tone: str = "1",
) -> Chart:
    """Horizontal bars, one per ``category`` ("Priority"), in the order given."""
    chart, ticks = _one_series(id, title, empty_text, [category, axis_label], data, percent)
    if chart.empty:
        return chart
    top = ticks[-1]
    rows_end = len(data) * BAR_ROW
    for tick in ticks:
        x = _pct(100 * tick / top)
        chart.segments.append(Segment(x, 0, x, rows_end, GRID))
        anchor = "start" if tick == 0 else "end" if tick == top else "middle"
        chart.texts.append(Text(x, rows_end + 15, _tick_text(tick, percent), anchor, 11, MUTED))
    chart.texts.append(Text("0%", rows_end + 34, axis_label, "start", 12, MUTED))
    for i, d in enumerate(data):
        y = i * BAR_ROW
        # The label on the left and the value on the right of one line, the bar below them:
        # the label is cut to leave the value room on a phone (the tooltip has all of it).
        room = int((NARROW_PX - len(d.shown) * CHAR_PX - 12) / (CHAR_PX * 1.1))
        chart.texts.append(Text("0%", y + 13, _cut(d.label, room), "start", 13, TEXT))
        chart.texts.append(Text("100%", y + 13, d.shown, "end", 12, TEXT, "600"))
        if d.value:
            chart.rects.append(
                Rect(
                    "0%",
                    y + 19,
                    _pct(100 * d.value / top),
                    BAR_HEIGHT,
                    _tone(d.tone, tone),
                    f"{d.name}: {d.shown}",
                )
            )
    chart.height = rows_end + 42
    chart.desc = "; ".join(f"{d.name}: {d.shown}" for d in data) + "."
    return chart


def _frame(chart: Chart, labels: Sequence[str], ticks, percent, y_label, x_label) -> None:
    """The parts ``columns`` and ``lines`` share: gridlines with their labels, x labels, titles."""
    top = ticks[-1]
    tick_texts = [_tick_text(t, percent) for t in ticks]
    chart.gutter = int(max(len(t) for t in tick_texts) * CHAR_PX) + 10
    for tick, text in zip(ticks, tick_texts, strict=True):
        y = PLOT_BOTTOM - PLOT_HEIGHT * tick / top
        chart.segments.append(Segment("0%", y, "100%", y, GRID, width=1))
        chart.texts.append(Text("0", y + 4, text, "end", 11, MUTED, dx=-6))
    chart.texts.append(Text("0", 12, y_label, "start", 12, MUTED, dx=-chart.gutter))
    n = len(labels)
    step = label_step(labels)
    slot = 100 / n
    for i, label in enumerate(labels):
        if (n - 1 - i) % step:
            continue  # the latest slot always has its label
        centre = slot * (i + 0.5)
        half = len(label) * CHAR_PX / 2
        # At the edges a centred label would stick out of the chart on a narrow screen.
        if i == n - 1 and n > 1 and slot * NARROW_PX / 100 / 2 < half:
            chart.texts.append(Text("100%", PLOT_BOTTOM + 16, label, "end", 11, MUTED))
        elif i == 0 and n > 1 and slot * NARROW_PX / 100 / 2 < half:
            chart.texts.append(Text("0%", PLOT_BOTTOM + 16, label, "start", 11, MUTED))
        else:
            chart.texts.append(Text(_pct(centre), PLOT_BOTTOM + 16, label, "middle", 11, MUTED))
    chart.texts.append(Text("50%", PLOT_BOTTOM + 36, x_label, "middle", 12, MUTED))
    chart.height = PLOT_BOTTOM + 42


def _summary(name: str, data: Sequence[Datum], percent: bool) -> str:
    known = [d for d in data if d.value is not None]
    if not known:
        return f"{name}: no data."
    if not percent and not any(d.value for d in known):
        return f"{name}: none."
    high = max(known, key=lambda d: d.value)
    low = min(known, key=lambda d: d.value)
    latest = known[-1]
    parts = []
    if not percent:
        parts.append(f"{_number(sum(d.value for d in known))} in all")
    parts.append(f"highest {high.shown} ({high.name})")
    if percent and len(known) > 1:
        parts.append(f"lowest {low.shown} ({low.name})")
    parts.append(f"latest {latest.shown} ({latest.name})")
    missing = len(data) - len(known)
    if missing:
        parts.append(f"{missing} with no data")
    return f"{name}: " + ", ".join(parts) + "."


def columns(
    *,
    id: str,
    title: str,
    data: Sequence[Datum],
    y_label: str,
    x_label: str,
    empty_text: str,
    percent: bool = False,
    tone: str = "1",
) -> Chart:
    """One series over time as columns, oldest first; percentages are fractions of one."""
    chart, ticks = _one_series(id, title, empty_text, [x_label, y_label], data, percent)
    if chart.empty:
        return chart
    top = ticks[-1]
    _frame(chart, [d.label for d in data], ticks, percent, y_label, x_label)
    n = len(data)
    slot = 100 / n
    known = [i for i, d in enumerate(data) if d.value is not None]
    if n <= MAX_VALUE_LABELS:
        labelled = set(known)
    else:
        labelled = {known[-1], max(known, key=lambda i: data[i].value)}
    for i, d in enumerate(data):
        centre = slot * (i + 0.5)
        if d.value is None:
            if i in labelled or n <= MAX_VALUE_LABELS:
                chart.texts.append(Text(_pct(centre), PLOT_BOTTOM - 4, "–", "middle", 11, MUTED))
            continue
        height = PLOT_HEIGHT * d.value / top
        if height:
            chart.rects.append(
                Rect(
                    _pct(slot * (i + 0.15)),
                    PLOT_BOTTOM - height,
                    _pct(slot * 0.7),
                    height,
                    _tone(d.tone, tone),
                    f"{d.name}: {d.shown}",
                )
            )
        if i in labelled:
            size = 11 if n <= MAX_VALUE_LABELS // 2 else 10
            chart.texts.append(
                Text(_pct(centre), PLOT_BOTTOM - height - 5, d.shown, "middle", size, TEXT, "600")
            )
    first, last = data[0].name, data[-1].name
    span = f"{first} to {last}" if n > 1 else first
    chart.desc = f"{title}, {span}. " + _summary(y_label, data, percent)
    return chart


def lines(
    *,
    id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    y_label: str,
    x_label: str,
    empty_text: str,
    details: Sequence[str] = (),
) -> Chart:
    """Several series over the same slots (oldest first), a line and markers each."""
    chart = Chart(id=_check_id(id), title=title, desc="", empty_text=empty_text)
    names = list(details) or list(labels)
    chart.table_head = [x_label, *(s.name for s in series)]
    chart.table_rows = [(names[i], [s.data[i].shown for s in series]) for i in range(len(labels))]
    values = [d.value for s in series for d in s.data]
    if not labels or not _has_data(values, False):
        chart.empty = True
        chart.desc = empty_text
        return chart
    ticks = nice_ticks(max(v or 0 for v in values))
    top = ticks[-1]
    _frame(chart, labels, ticks, False, y_label, x_label)
    slot = 100 / len(labels)
    for number, s in enumerate(series):
        colour = _tone(s.tone)
        shape = SHAPES[number % len(SHAPES)]
        dashed = number % 2 == 1
        chart.legend.append(LegendItem(s.name, colour, shape, dashed))
        previous = None
        for i, d in enumerate(s.data):
            if d.value is None:
                previous = None
                continue
            point = (_pct(slot * (i + 0.5)), PLOT_BOTTOM - PLOT_HEIGHT * d.value / top)
            if previous:
                chart.segments.append(Segment(*previous, *point, colour, dashed, 2.5))
            chart.markers.append(Marker(shape, *point, colour, f"{s.name}, {names[i]}: {d.shown}"))
            previous = point
    span = f"{names[0]} to {names[-1]}" if len(names) > 1 else names[0]
    chart.desc = f"{title}, {span}. " + " ".join(
        _summary(
            s.name, [replace(d, detail=d.detail or names[i]) for i, d in enumerate(s.data)], False
        )
        for s in series
    )
    return chart
