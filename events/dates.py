"""Dates and times as each language writes them, in the coalition's time zone.

Django's ``date`` filter takes one format string for every language, so "l j F Y" gives
"Saturday 12 December 2026" but the Spanish "sábado 12 diciembre 2026" (no "de"). A style
here names what is shown; each language has its own format for it.

Times: English writes the 12-hour clock with AM/PM ("10:00 AM"), Spanish the 24-hour clock
("10:00"). A range of times is written by ``time_range`` only, so that it is unambiguous
everywhere (the board, the event page, My shifts, rosters, e-mails): in English the period
goes on both ends when the range crosses noon or midnight ("10:00 AM - 1:00 PM") and once at
the end otherwise ("7:00-10:00 AM"); in Spanish "10:00-13:00" (with en dashes)."""

import datetime

from django.utils import formats, timezone
from django.utils.translation import get_language, override

STYLES: dict[str, dict[str, str]] = {
    "date_long": {"en": "l j F Y", "es": r"l j \d\e F \d\e Y"},
    "datetime_long": {"en": "l j F Y, g:i A", "es": r"l j \d\e F \d\e Y, G:i"},
    "day_month": {"en": "l j F", "es": r"l j \d\e F"},
    "day_month_year": {"en": "l, F j, Y", "es": r"l j \d\e F \d\e Y"},
    "weekday_day": {"en": "l, F j", "es": r"l j \d\e F"},
    "weekday_date": {"en": "D, N j", "es": "D j b"},
    "timestamp": {"en": "M j, Y g:i A", "es": "j M Y, G:i"},
    "time": {"en": "g:i A", "es": "G:i"},
}
# The clock without its period, for the first end of an English range within one period.
CLOCK = {"en": "g:i", "es": "G:i"}
EN_DASH = "\u2013"


def _language(language: str | None) -> str:
    code = (language or get_language() or "en")[:2]
    return code if code in STYLES["time"] else "en"


def _local(value):
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def local_format(value: datetime.date | datetime.datetime, style: str,
                 language: str | None = None) -> str:
    """``value`` (an aware datetime is shown in local time) in ``style`` for ``language``
    (the active language by default), English where the language has no format of its own."""
    value = _local(value)
    formats_by_language = STYLES[style]
    active = (get_language() or "en")[:2]
    language = (language or active)[:2]
    form = formats_by_language.get(language, formats_by_language["en"])
    if language == active:
        return formats.date_format(value, form)
    with override(language):  # day and month names in that language too
        return formats.date_format(value, form)


def time_range(start: datetime.datetime, end: datetime.datetime,
               language: str | None = None) -> str:
    """The times from ``start`` to ``end`` (local time), as ``language`` (the active one by
    default) writes a range: "7:00-10:00 AM", "10:00 AM - 1:00 PM", "10:00-13:00"."""
    language = _language(language)
    if language != _language(None):
        with override(language):  # "AM"/"PM" in that language too
            return time_range(start, end)
    start, end = _local(start), _local(end)
    if language == "en":
        same_half = start.date() == end.date() and (start.hour < 12) == (end.hour < 12)
        if not same_half:
            return (f"{formats.date_format(start, STYLES['time']['en'])} {EN_DASH} "
                    f"{formats.date_format(end, STYLES['time']['en'])}")
        return (f"{formats.date_format(start, CLOCK['en'])}{EN_DASH}"
                f"{formats.date_format(end, STYLES['time']['en'])}")
    clock = STYLES["time"][language]
    return f"{formats.date_format(start, clock)}{EN_DASH}{formats.date_format(end, clock)}"


def date_time_range(start: datetime.datetime, end: datetime.datetime, style: str = "date_long",
                    language: str | None = None) -> str:
    """A day in ``style`` and the times, e.g. "Saturday 6 March 2027, 7:00 AM - 5:00 PM";
    when ``end`` falls on another day, both days are written in full."""
    local_start, local_end = _local(start), _local(end)
    if local_start.date() == local_end.date():
        return (f"{local_format(local_start, style, language)}, "
                f"{time_range(local_start, local_end, language)}")
    return (f"{local_format(local_start, 'datetime_long', language)} {EN_DASH} "
            f"{local_format(local_end, 'datetime_long', language)}")
