"""Template helpers for the event page, the sign-up partial and My shifts. They compute from
rows already loaded. The long lists are written by ``volunteers.shift_rows`` (see there why;
the shift board's rows are written there in full, ``written_board``)."""

from django import template

from events.calendar import geo_uri, map_url

from ..services.checkin import signup_hours
from ..services.signups import cancel_refusal, shift_when
from ..shift_rows import ShiftRows

register = template.Library()


def shift_rows_for(context) -> ShiftRows:
    """One ``ShiftRows`` per rendered page, so its caches serve every tag on it."""
    rows = context.render_context.get(ShiftRows)
    if rows is None:
        rows = context.render_context[ShiftRows] = ShiftRows(
            context["request"], csrf_token=context.get("csrf_token"))
    return rows


@register.simple_tag(takes_context=True)
def signup_box(context, shift, my_signup, notice="", notice_level=""):
    """The sign-up box of one shift (the htmx partial)."""
    return shift_rows_for(context).signup_box(shift, my_signup, notice=notice,
                                              notice_level=notice_level)


@register.simple_tag(takes_context=True)
def event_shift_rows(context, rows):
    """The event page's rows of one day, each with its sign-up box."""
    return shift_rows_for(context).event_rows(rows)


@register.filter
def when(shift) -> str:
    return shift_when(shift)


@register.filter
def hours(signup) -> str:
    value = getattr(signup, "hours", None)
    return value if value is not None else signup_hours(signup)


@register.simple_tag
def can_cancel(signup) -> bool:
    return cancel_refusal(signup) is None


@register.simple_tag
def refusal_to_cancel(signup) -> str | None:
    return cancel_refusal(signup)


@register.filter
def map_link(place) -> str:
    """A maps link for a ``Place`` (events.calendar.map_url, as the e-mails use)."""
    return map_url(place)


@register.filter
def geo_link(place) -> str:
    """The ``geo:`` URI that opens a ``Place`` in the phone's map app, or ""."""
    return geo_uri(place)
