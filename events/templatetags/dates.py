from django import template

from events.dates import local_format

register = template.Library()


@register.filter
def local(value, style: str) -> str:
    """``{{ shift.starts_at|local:"datetime_long" }}``: see events/dates.py."""
    if value in (None, ""):
        return ""
    return local_format(value, style)
