from django import template

from events.dates import date_time_range, local_format, time_range

register = template.Library()


@register.filter
def local(value, style: str) -> str:
    """``{{ shift.starts_at|local:"datetime_long" }}``: see events/dates.py."""
    if value in (None, ""):
        return ""
    return local_format(value, style)


@register.filter(name="time_range")
def time_range_filter(value) -> str:
    """``{{ shift|time_range }}``: its times as the active language writes a range
    ("7:00-10:00 AM", "10:00 AM - 1:00 PM", "10:00-13:00"). ``value`` has ``starts_at`` and
    ``ends_at``."""
    if not value:
        return ""
    return time_range(value.starts_at, value.ends_at)


@register.filter
def day_and_times(value, style: str = "date_long") -> str:
    """``{{ event|day_and_times:"date_long" }}``: "Saturday 6 March 2027, 7:00 AM - 5:00 PM"
    (both days in full when it ends on another day)."""
    if not value:
        return ""
    return date_time_range(value.starts_at, value.ends_at, style)
