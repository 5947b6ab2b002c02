"""Dates and times as each language writes them, in the coalition's time zone.

Django's ``date`` filter takes one format string for every language, so "l j F Y" gives
"Saturday 12 December 2026" but the Spanish "sábado 12 diciembre 2026" (no "de"). A style
here names what is shown; each language has its own format for it."""

import datetime

from django.utils import formats, timezone
from django.utils.translation import get_language

STYLES: dict[str, dict[str, str]] = {
    "date_long": {"en": "l j F Y", "es": r"l j \d\e F \d\e Y"},
    "datetime_long": {"en": "l j F Y, P", "es": r"l j \d\e F \d\e Y, P"},
    "day_month": {"en": "l j F", "es": r"l j \d\e F"},
    "day_month_year": {"en": "l, F j, Y", "es": r"l j \d\e F \d\e Y"},
    "weekday_day": {"en": "l, F j", "es": r"l j \d\e F"},
    "weekday_date": {"en": "D, N j", "es": "D j M"},
    "timestamp": {"en": "M j, Y g:i A", "es": "j M Y, H:i"},
}


def local_format(value: datetime.date | datetime.datetime, style: str) -> str:
    """``value`` (an aware datetime is shown in local time) in ``style`` for the active
    language, English where the language has no format of its own."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    language = (get_language() or "en")[:2]
    formats_by_language = STYLES[style]
    return formats.date_format(value, formats_by_language.get(language, formats_by_language["en"]))
