"""The managers' chat report: chats offered, answered and missed, how long customers waited and
how long agents spent on them, in total, per agent and per hour of the tenant's day.

Definitions (chats counted by when they were started, in the tenant's time zone):

- offered: every chat started in the period; answered: an agent took it (``accepted_at``);
  missed: it ended before any agent took it (``status`` missed); the missed rate is missed
  of offered.
- wait: ``accepted_at - created_at`` of answered chats; handle time: ``ended_at -
  accepted_at`` of answered chats that have ended.
- percentiles are ``percentile_cont``'s: linear interpolation between the two nearest ranks.
- a chat handed over counts for the agent who had it last.

Every figure is computed by the database in a fixed handful of queries, whatever the number
of chats: counts grouped by hour and by agent, and percentiles from window functions that
rank the values and send back only the (at most two) rows around each percentile.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Window
from django.db.models.functions import Abs, ExtractHour, RowNumber

from chat.models import Chat
from core import charts
from tenants.context import current_tenant

PERIODS = {7: "Last 7 days", 30: "Last 30 days", 90: "Last 90 days"}
DEFAULT_DAYS = 30
HOURS = range(24)
MEDIAN, P90 = 50, 90  # percentiles, in percent

WAIT = ExpressionWrapper(F("accepted_at") - F("created_at"), output_field=DurationField())
HANDLE = ExpressionWrapper(F("ended_at") - F("accepted_at"), output_field=DurationField())

COUNTS = {
    "offered": Count("id"),
    "answered": Count("id", filter=Q(accepted_at__isnull=False)),
    "missed": Count("id", filter=Q(status=Chat.Status.MISSED)),
}


def duration_text(delta: timedelta | None) -> str:
    """A wait or handle time, short enough for a table cell or a figure card, as precise as
    it matters: "45 s", "2 min 5 s", from 10 minutes on to the minute ("14 min", "1 h 4 min");
    "—" when there is none."""
    if delta is None:
        return "—"
    seconds = max(0, round(delta.total_seconds()))
    if seconds < 600:
        big, small = divmod(seconds, 60)
        units = ("min", "s")
    else:
        big, small = divmod(round(seconds / 60), 60)
        units = ("h", "min")
    shown = [(n, unit) for n, unit in zip((big, small), units, strict=True) if n]
    # A number and its unit never part at the end of a line (a narrow table cell).
    return " ".join(f"{n}\N{NO-BREAK SPACE}{unit}" for n, unit in shown or [(0, units[1])])


def percent_text(part: int, whole: int) -> str:
    if not whole:
        return "—"
    return f"{100 * part / whole:.1f}".rstrip("0").rstrip(".") + "%"


@dataclass
class Counts:
    offered: int = 0
    answered: int = 0
    missed: int = 0

    @property
    def missed_rate(self) -> str:
        return percent_text(self.missed, self.offered)


@dataclass
class Totals(Counts):
    waiting: int = 0
    active: int = 0
    wait_median: timedelta | None = None
    wait_p90: timedelta | None = None
    handle_median: timedelta | None = None
    handled: int = 0  # answered chats that have ended: the handle time's sample

    @property
    def wait_median_text(self) -> str:
        return duration_text(self.wait_median)

    @property
    def wait_p90_text(self) -> str:
        return duration_text(self.wait_p90)

    @property
    def handle_median_text(self) -> str:
        return duration_text(self.handle_median)


@dataclass
class HourRow(Counts):
    hour: int = 0
    wait_median: timedelta | None = None
    handle_median: timedelta | None = None

    @property
    def start(self) -> str:
        return f"{self.hour:02d}:00"

    @property
    def label(self) -> str:
        return f"{self.hour:02d}:00–{self.hour:02d}:59"

    @property
    def wait_median_text(self) -> str:
        return duration_text(self.wait_median)

    @property
    def handle_median_text(self) -> str:
        return duration_text(self.handle_median)


@dataclass
class AgentRow:
    name: str
    answered: int
    handled: int
    handle_median: timedelta | None = None

    @property
    def handle_median_text(self) -> str:
        return duration_text(self.handle_median)


@dataclass
class Report:
    days: int
    since: datetime
    until: datetime
    time_zone: str
    totals: Totals
    hours: list[HourRow] = field(default_factory=list)
    agents: list[AgentRow] = field(default_factory=list)
    hours_chart: charts.Chart | None = None

    @property
    def empty(self) -> bool:
        return not self.totals.offered

    @property
    def period_text(self) -> str:
        first, last = self.since.date(), (self.until - timedelta(days=1)).date()
        return f"{first:%b} {first.day}, {first.year} – {last:%b} {last.day}, {last.year}"


def period(days: int, now: datetime) -> tuple[datetime, datetime]:
    """The last ``days`` days of the tenant's calendar, today included: local midnights."""
    if days not in PERIODS:
        raise ValueError(f"A chat report covers {', '.join(map(str, PERIODS))} days.")
    zone = ZoneInfo(current_tenant().time_zone)
    today = now.astimezone(zone).date()
    since = datetime.combine(today - timedelta(days=days - 1), time(0), tzinfo=zone)
    until = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)
    return since, until


def percentiles(
    chats: QuerySet[Chat], value, percents: tuple[int, ...], groups: dict
) -> dict[str, dict]:
    """``percentile_cont`` of ``value`` over ``chats`` (rows where it is NULL left out), for the
    whole set and per group, ranked by the database: ``groups`` maps a name to the expression
    to partition by (None: every chat together).

    Returns {name: {group key: {percent: timedelta}}}; the whole set's key is None.
    """
    chats = chats.annotate(_v=value).filter(_v__isnull=False)
    names = {}
    keep = Q()
    for name, expression in groups.items():
        partition = [expression] if expression is not None else None
        chats = chats.annotate(
            **{
                f"_rank_{name}": Window(
                    RowNumber(), partition_by=partition, order_by=F("_v").asc()
                ),
                f"_n_{name}": Window(Count("id"), partition_by=partition),
            }
        )
        if expression is not None:
            chats = chats.annotate(**{f"_key_{name}": expression})
        names[name] = expression is not None
        for percent in percents:
            # The p-th percentile lies at 0-based rank p (n - 1) / 100: keep the row at rank
            # r - 1 when |100 (r - 1) - p (n - 1)| < 100, i.e. the rank below it and the one
            # above (one row when it falls on a rank). Integers only: no rounding in SQL.
            distance = f"_d_{name}_{percent}"
            chats = chats.alias(
                **{distance: Abs(100 * (F(f"_rank_{name}") - 1) - percent * (F(f"_n_{name}") - 1))}
            )
            keep |= Q(**{f"{distance}__lt": 100})
    columns = ["_v"]
    for name, grouped in names.items():
        columns += [f"_rank_{name}", f"_n_{name}", *([f"_key_{name}"] if grouped else [])]
    ranked: dict[tuple, dict[int, timedelta]] = defaultdict(dict)
    sizes: dict[tuple, int] = {}
    for row in chats.filter(keep).values(*columns):
        for name, grouped in names.items():
            key = (name, row[f"_key_{name}"] if grouped else None)
            ranked[key][row[f"_rank_{name}"]] = row["_v"]
            sizes[key] = row[f"_n_{name}"]
    result: dict[str, dict] = {name: {} for name in groups}
    for (name, key), n in sizes.items():
        values = ranked[(name, key)]
        found = {}
        for percent in percents:
            below, remainder = divmod(percent * (n - 1), 100)
            low = values[below + 1]
            high = values[below + 2] if remainder else low
            found[percent] = low + (high - low) * remainder / 100
        result[name][key] = found
    return result


def chat_report(days: int, now: datetime) -> Report:
    """The figures of the chats started in the last ``days`` days (see the module's doc)."""
    tenant = current_tenant()
    zone = ZoneInfo(tenant.time_zone)
    since, until = period(days, now)
    chats = Chat.objects.filter(created_at__gte=since, created_at__lt=until)
    hour = ExtractHour("created_at", tzinfo=zone)

    totals = Totals(
        **chats.aggregate(
            **COUNTS,
            waiting=Count("id", filter=Q(status=Chat.Status.WAITING)),
            active=Count("id", filter=Q(status=Chat.Status.ACTIVE)),
            handled=Count("id", filter=Q(accepted_at__isnull=False, ended_at__isnull=False)),
        )
    )
    report = Report(days, since, until, tenant.time_zone, totals)
    if report.empty:
        return report  # nothing else to ask the database

    per_hour = {
        row.pop("hour"): row
        for row in chats.annotate(hour=hour).values("hour").annotate(**COUNTS).order_by()
    }
    answered = chats.filter(accepted_at__isnull=False)
    waits = percentiles(answered, WAIT, (MEDIAN, P90), {"all": None, "hour": hour})
    handles = percentiles(
        answered, HANDLE, (MEDIAN,), {"all": None, "hour": hour, "agent": F("agent_id")}
    )
    totals.wait_median = waits["all"].get(None, {}).get(MEDIAN)
    totals.wait_p90 = waits["all"].get(None, {}).get(P90)
    totals.handle_median = handles["all"].get(None, {}).get(MEDIAN)
    report.hours = [
        HourRow(
            **per_hour.get(h, {}),
            hour=h,
            wait_median=waits["hour"].get(h, {}).get(MEDIAN),
            handle_median=handles["hour"].get(h, {}).get(MEDIAN),
        )
        for h in HOURS
    ]
    agents = (
        answered.values("agent_id", "agent__name", "agent__email")
        .annotate(answered=Count("id"), handled=Count("ended_at"))
        .order_by("-answered", "agent__name", "agent__email")
    )
    report.agents = [
        AgentRow(
            name=row["agent__name"] or row["agent__email"] or "Former agent",
            answered=row["answered"],
            handled=row["handled"],
            handle_median=handles["agent"].get(row["agent_id"], {}).get(MEDIAN),
        )
        for row in agents
    ]
    report.hours_chart = _hours_chart(report)
    return report


def _hours_chart(report: Report) -> charts.Chart:
    labels = [f"{row.hour:02d}" for row in report.hours]
    return charts.lines(
        id="chat-hours",
        title=f"Chats by hour of day, {PERIODS[report.days].lower()}",
        labels=labels,
        details=[row.label for row in report.hours],
        series=[
            charts.Series(
                "Offered",
                [
                    charts.Datum(lb, row.offered)
                    for lb, row in zip(labels, report.hours, strict=True)
                ],
            ),
            charts.Series(
                "Missed",
                [
                    charts.Datum(lb, row.missed)
                    for lb, row in zip(labels, report.hours, strict=True)
                ],
                tone="bad",
            ),
        ],
        y_label="Chats started in that hour",
        x_label=f"Hour of day ({report.time_zone})",
        empty_text="No chats in this period.",
    )
