"""Template helpers for the sign-up partial, My shifts and the shift board. They compute
from rows already loaded; only a waitlisted sign-up without an annotated position queries."""

from django import template
from django.utils import timezone

from ..models import Signup
from ..selectors import waitlist_position
from ..services.checkin import signup_hours
from ..services.signups import ACTIVE, cancel_refusal, closed_reason, shift_when

register = template.Library()


@register.simple_tag
def signup_state(shift, my_signup) -> dict:
    """What the sign-up partial shows for this person and shift."""
    now = timezone.now()
    active = my_signup is not None and my_signup.status in ACTIVE
    state = {
        "active": active,
        "confirmed": active and my_signup.status == Signup.Status.CONFIRMED,
        "full": shift.confirmed_count >= shift.capacity,
        "closed": None,
        "cancel_refusal": None,
        "position": None,
    }
    if active:
        my_signup.shift = shift
        state["cancel_refusal"] = cancel_refusal(my_signup, now=now)
        state["position"] = waitlist_position(my_signup)
    else:
        state["closed"] = closed_reason(shift, now=now)
    return state


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
