"""Time zones: which names we accept, and the searchable picker every form uses.

A zone is an IANA name (``Europe/Paris``) from ``zoneinfo.available_timezones()``, minus the
two entries that name no place (``localtime``, the server's own zone, and ``Factory``). That
call walks the zone database on disk (~20 ms), so the set is read once per process.

The picker is a text input tied to a ``<datalist>``: browsers filter it as the person types
("paris", "new york"), it needs no script, and it reads as a combobox to assistive technology.
The list offers the regional names, each labelled with its city and its offset today; the field
accepts any known name (a browser may report a legacy alias such as ``Asia/Calcutta``), in any
case and with spaces for underscores, and refuses everything else with a form error.
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html, format_html_join

# The column width for a stored zone. The longest IANA name has 32 characters.
MAX_ZONE_CHARS = 64

_NOT_PLACES = frozenset({"localtime", "Factory"})
# Regional names: what the picker offers (legacy aliases such as US/Central, Etc/GMT+5 or
# Japan stay valid, but a list of 600 names half of which repeat the others helps nobody).
_REGIONS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Arctic/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


@functools.cache
def known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - _NOT_PLACES


@functools.cache
def _by_folded_name() -> dict[str, str]:
    names = {_fold(name): name for name in known_zones()}
    # A place on its own ("chicago") names its zone when no other zone ends with it.
    places: dict[str, list[str]] = {}
    for name in sorted(known_zones()):
        if "/" in name:
            places.setdefault(_fold(name.rsplit("/", 1)[-1]), []).append(name)
    for place, zones in places.items():
        if len(zones) == 1:
            names.setdefault(place, zones[0])
    return names


def _fold(text: str) -> str:
    return text.strip().replace(" ", "_").casefold()


def is_known_zone(value: object) -> bool:
    """Exactly a known zone name (no normalising): for cookies and the browser's report."""
    return isinstance(value, str) and len(value) <= MAX_ZONE_CHARS and value in known_zones()


def zone_named(text: str) -> str | None:
    """The zone a person typed, forgiving case and spaces (``america/new york``, or just
    ``new york`` when only one zone is named after that place), or None."""
    if not isinstance(text, str) or len(text) > MAX_ZONE_CHARS:
        return None
    return _by_folded_name().get(_fold(text))


def validate_time_zone(value: str) -> None:
    """Model validator: the stored value is exactly a known name."""
    if not is_known_zone(value):
        raise ValidationError(
            "%(value)s is not a time zone we know (for example Europe/Paris).",
            code="unknown_time_zone",
            params={"value": str(value)[:MAX_ZONE_CHARS]},
        )


def utc_offset_label(offset: timedelta | None) -> str:
    """``UTC+05:30``, ``UTC−03:00`` (a true minus sign), ``UTC+00:00``."""
    minutes = int((offset or timedelta(0)).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def picker_choices(now: datetime | None = None) -> tuple[tuple[str, str], ...]:
    """(name, label) for the picker: ``("America/New_York", "New York · UTC−05:00")``."""
    now = now or timezone.now()
    # Offsets change only at daylight-saving transitions, on the hour or half hour.
    return _choices_at(now.replace(minute=0 if now.minute < 30 else 30, second=0, microsecond=0))


@functools.lru_cache(maxsize=2)
def _choices_at(now: datetime) -> tuple[tuple[str, str], ...]:
    choices = [("UTC", "Coordinated Universal Time")]
    for name in sorted(z for z in known_zones() if z.startswith(_REGIONS)):
        place = name.rsplit("/", 1)[-1].replace("_", " ")
        offset = now.astimezone(zoneinfo.ZoneInfo(name)).utcoffset()
        choices.append((name, f"{place} · {utc_offset_label(offset)}"))
    return tuple(choices)


class TimeZoneInput(forms.TextInput):
    """A text input with a ``<datalist>`` of zones: searchable as you type, no script needed."""

    def __init__(self, attrs=None):
        defaults = {
            "autocomplete": "off",
            "autocapitalize": "off",
            "spellcheck": "false",
            "placeholder": "Type a city or region, e.g. Chicago",
            "maxlength": str(MAX_ZONE_CHARS),
        }
        super().__init__({**defaults, **(attrs or {})})

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        list_id = f"{attrs.get('id') or 'id_' + name}_zones"
        attrs["list"] = list_id
        field = super().render(name, value, attrs, renderer)
        options = format_html_join("", '<option value="{}">{}</option>', picker_choices())
        return format_html('{}<datalist id="{}">{}</datalist>', field, list_id, options)


class TimeZoneField(forms.CharField):
    """A zone typed or picked from the list, cleaned to its exact IANA name."""

    widget = TimeZoneInput
    default_error_messages = {
        "unknown": (
            "“%(value)s” is not a time zone we know. Type a city or region and pick a name "
            "from the list, for example America/Chicago or Europe/Paris."
        ),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_ZONE_CHARS)
        kwargs.setdefault(
            "help_text", "Start typing a city or region (Chicago, Paris, Tokyo) and pick it."
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return ""
        zone = zone_named(value)
        if zone is None:
            raise ValidationError(
                self.error_messages["unknown"], code="unknown", params={"value": value}
            )
        return zone
