"""The kinds of message Rally sends. A kind is one template set
(``templates/emails/<kind>_subject.txt``, ``<kind>.txt``, ``<kind>.html``) and one rule:

- ``invite``: the calendar method it carries (REQUEST, CANCEL) or none;
- ``optional``: a reminder-like message, skipped (not failed) when the volunteer turned
  reminders off or has no verified address;
- ``immediate``: wake the dispatcher right after commit instead of waiting for beat;
- ``reason_not_to_send``: checked at send time against the database as it is then, because a
  message may wait minutes or days (a reminder) and the world may have moved on;
- ``context``: what the templates need beyond what every message gets.

Adding a kind (e.g. a street-site change once sites exist): a constant, a Rule, three
templates, and a call in ``volunteers.outbox``.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _

from events.calendar import CANCEL, REQUEST

from ..models import Signup


class Kind(models.TextChoices):
    WELCOME = "welcome", _("Welcome")
    CONFIRMATION = "confirmation", _("Sign-up confirmation")
    WAITLISTED = "waitlisted", _("Joined the waitlist")
    PROMOTED = "promoted", _("Promoted from the waitlist")
    REMINDER = "reminder", _("Shift reminder")
    SHIFT_CHANGED = "shift_changed", _("Shift time or place changed")
    MOVED = "moved", _("Moved to another shift")
    CANCELLED = "cancelled", _("Sign-up cancelled")
    REMOVED = "removed", _("Removed by an organizer")
    SHIFT_CANCELLED = "shift_cancelled", _("Shift cancelled")
    DIGEST = "digest", _("Organizer digest of unfilled shifts")


def _always(message, now) -> str | None:
    return None


def _holds_place(message, now) -> str | None:
    signup = message.signup
    if signup is None:
        return "The sign-up no longer exists."
    if signup.status != Signup.Status.CONFIRMED:
        return "The sign-up is no longer confirmed."
    if signup.shift.is_cancelled or signup.shift.event.is_cancelled:
        return "The shift is cancelled."
    return None


def _on_waitlist(message, now) -> str | None:
    if message.signup is None or message.signup.status != Signup.Status.WAITLISTED:
        return "The volunteer is no longer on the waitlist."
    return None


def _has_left(message, now) -> str | None:
    if message.signup is None or message.signup.status == Signup.Status.CONFIRMED:
        return "The volunteer holds the place again."
    return None


def _reminder_due(message, now) -> str | None:
    reason = _holds_place(message, now)
    if reason:
        return reason
    if message.signup.shift.starts_at <= now:
        return "The shift has already started."
    if not message.recipient.reminders_enabled:
        return "The volunteer turned reminders off."
    return None


def _digest_due(message, now) -> str | None:
    event = message.event
    if event is None or event.is_cancelled or event.starts_at <= now:
        return "The event is cancelled or has begun."
    return None


def _digest_context(message) -> dict:
    from events.selectors import shifts_with_fill

    shifts = [
        shift
        for shift in shifts_with_fill(message.event.shifts.filter(is_cancelled=False))
        .order_by("starts_at", "pk")
        if shift.confirmed_count < shift.needed
    ]
    return {"unfilled": shifts, "missing": sum(s.needed - s.confirmed_count for s in shifts)}


def _no_extra(message) -> dict:
    return {}


@dataclass(frozen=True)
class Rule:
    invite: str | None = None
    optional: bool = False
    immediate: bool = True
    reason_not_to_send: Callable[..., str | None] = _always
    context: Callable[..., dict] = field(default=_no_extra)


RULES: dict[str, Rule] = {
    Kind.WELCOME: Rule(),
    Kind.CONFIRMATION: Rule(invite=REQUEST, reason_not_to_send=_holds_place),
    Kind.WAITLISTED: Rule(reason_not_to_send=_on_waitlist),
    Kind.PROMOTED: Rule(invite=REQUEST, reason_not_to_send=_holds_place),
    Kind.REMINDER: Rule(optional=True, immediate=False, reason_not_to_send=_reminder_due),
    Kind.SHIFT_CHANGED: Rule(invite=REQUEST, reason_not_to_send=_holds_place),
    Kind.MOVED: Rule(invite=REQUEST, reason_not_to_send=_holds_place),
    Kind.CANCELLED: Rule(invite=CANCEL, reason_not_to_send=_has_left),
    Kind.REMOVED: Rule(invite=CANCEL, reason_not_to_send=_has_left),
    Kind.SHIFT_CANCELLED: Rule(invite=CANCEL),
    Kind.DIGEST: Rule(reason_not_to_send=_digest_due, context=_digest_context),
}


def immediate(kind: str) -> bool:
    rule = RULES.get(kind)
    return rule is not None and rule.immediate


def reason_not_to_send(message, now: datetime.datetime) -> str | None:
    return RULES[message.kind].reason_not_to_send(message, now)
