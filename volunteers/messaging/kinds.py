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

from django.conf import settings
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
    RSVP_CONFIRMATION = "rsvp_confirmation", _("RSVP confirmation")
    RSVP_CANCELLED = "rsvp_cancelled", _("RSVP withdrawn")
    ORGANIZER_MESSAGE = "organizer_message", _("Message from an organizer")
    SHIFT_HELD = "shift_held", _("Shift held for a team (to its captains)")
    HOLD_RELEASED = "hold_released", _("A team's hold on a shift was released")
    SITE_RETIRED = "site_retired", _("The collection site of a shift was retired")
    # A donor's written acknowledgment of a gift (donations.acknowledgments), to an address
    # that has no account.
    DONATION_ACKNOWLEDGMENT = "donation_acknowledgment", _("Acknowledgment of a donor's gift")
    # A permit's return is due soon (donations.exports.reminders), to each organizer.
    PERMIT_RETURN_REMINDER = "permit_return_reminder", _("A permit's return is due soon")
    # Account emails (django-allauth's, through volunteers.adapters): the value is the name
    # of allauth's template, rendered from templates/account/email/<kind>_*.
    EMAIL_CONFIRMATION_SIGNUP = "email_confirmation_signup", _("Confirm a new account's address")
    EMAIL_CONFIRMATION = "email_confirmation", _("Confirm an email address")
    PASSWORD_RESET_KEY = "password_reset_key", _("Password reset link")
    ACCOUNT_ALREADY_EXISTS = "account_already_exists", _("Sign-up with a registered address")
    UNKNOWN_ACCOUNT = "unknown_account", _("Request for an address without an account")
    PASSWORD_RESET = "password_reset", _("Password was reset")
    PASSWORD_CHANGED = "password_changed", _("Password was changed")
    PASSWORD_SET = "password_set", _("Password was set")
    EMAIL_CHANGED = "email_changed", _("Email address was changed")
    EMAIL_CONFIRM = "email_confirm", _("Email address was confirmed")
    EMAIL_DELETED = "email_deleted", _("Email address was removed")
    LOGIN_CODE = "login_code", _("Sign-in code")
    PASSWORD_RESET_CODE = "password_reset_code", _("Password reset code")


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


def _organizer_message_context(message) -> dict:
    """What the organizer wrote (``organizer_message.localized`` is in the recipient's
    language, the renderer having activated it) and the shift it is about, if one."""
    written = message.organizer_message
    if written is None:
        return {}
    return {"organizer_message": written, "about_shift": written.shift}


def _organizer_message_exists(message, now) -> str | None:
    if message.organizer_message_id is None:
        return "The organizer's message no longer exists."
    return None


def _address_unconfirmed(message, now) -> str | None:
    from allauth.account.models import EmailAddress

    address = EmailAddress.objects.filter(
        user_id=message.recipient_id, email__iexact=message.to_address
    ).first()
    if address is None:
        return "The address was removed from the account."
    if address.verified:
        return "The address is already confirmed."
    return None


def _account_active(message, now) -> str | None:
    if message.recipient is None or not message.recipient.is_active:
        return "The account is gone or inactive."
    return None


# --- A retired collection site (events.sites.site_retire): one message per sign-up. ----


def _site_still_retired(message, now) -> str | None:
    signup = message.signup
    if signup is None or signup.status not in (Signup.Status.CONFIRMED,
                                               Signup.Status.WAITLISTED):
        return "The volunteer is no longer on the shift."
    shift = signup.shift
    if shift.is_cancelled or shift.event.is_cancelled:
        return "The shift is cancelled."
    if shift.site is None or shift.site.is_active:
        return "The shift is no longer at a retired site."
    return None


def _site_context(message) -> dict:
    return {"site": message.signup.shift.site}


# --- Team holds on shifts (events.holds): the message names its HoldChange. ------------


def message_hold_change(message):
    from events.models import HoldChange

    cached = getattr(message, "_hold_change", None)
    if cached is None:
        cached = message._hold_change = (
            HoldChange.objects.select_related("shift__event", "shift__site", "team")
            .filter(pk=(message.context or {}).get("hold_change")).first()
        )
    return cached


def _still_held(message, now) -> str | None:
    change = message_hold_change(message)
    if change is None:
        return "The hold no longer exists."
    if change.shift.held_for_id != change.team_id:
        return "The shift is no longer held for this team."
    if change.shift.is_cancelled or change.shift.event.is_cancelled:
        return "The shift is cancelled."
    return None


def _hold_exists(message, now) -> str | None:
    if message_hold_change(message) is None:
        return "The hold no longer exists."
    return None


def _hold_context(message) -> dict:
    change = message_hold_change(message)
    if change is None:
        return {}
    from django.urls import reverse

    from events.calendar import map_url

    shift = change.shift
    return {
        "hold": change, "team": change.team, "shift": shift, "place": shift.place,
        "map_url": map_url(shift.place),
        "team_signup_url": settings.SITE_URL + reverse("team_signup", args=[change.team_id]),
        "team_signed_up": Signup.objects.filter(
            shift=shift, team_id=change.team_id, status=Signup.Status.CONFIRMED).count(),
    }


# --- RSVPs: the message names the event and the person; their RSVP is unique per pair. ----


def message_rsvp(message):
    from events.models import Rsvp

    cached = getattr(message, "_rsvp", None)
    if cached is None:
        cached = message._rsvp = (
            Rsvp.objects.select_related("event__contact", "user")
            .filter(event_id=message.event_id, user_id=message.recipient_id)
            .first()
        )
    return cached


def _rsvp_going(message, now) -> str | None:
    from events.models import Rsvp

    rsvp = message_rsvp(message)
    if rsvp is None or rsvp.status != Rsvp.Status.GOING:
        return "The RSVP was withdrawn."
    if rsvp.event.is_cancelled:
        return "The event is cancelled."
    return None


def _rsvp_withdrawn(message, now) -> str | None:
    from events.models import Rsvp

    rsvp = message_rsvp(message)
    if rsvp is None or rsvp.status == Rsvp.Status.GOING:
        return "The person is going again."
    return None


def _rsvp_context(message) -> dict:
    return {"rsvp": message_rsvp(message)}


def _rsvp_invite(message, *, method: str, now: datetime.datetime):
    """The RSVP's invite. Its SEQUENCE is the event's plus the number of RSVP messages about
    it queued before this one, so REQUEST, CANCEL and a second REQUEST each supersede the
    last, and a later change of the event (a higher event SEQUENCE) still does."""
    from events.calendar import rsvp_invite

    from ..models import Message

    rsvp = message_rsvp(message)
    earlier = Message.objects.filter(
        kind__in=[Kind.RSVP_CONFIRMATION, Kind.RSVP_CANCELLED], event_id=message.event_id,
        recipient_id=message.recipient_id, pk__lt=message.pk,
    ).count()
    return rsvp_invite(rsvp, method=method, sequence=rsvp.event.sequence + earlier, stamp=now)


@dataclass(frozen=True)
class Rule:
    invite: str | None = None
    optional: bool = False
    immediate: bool = True
    reason_not_to_send: Callable[..., str | None] = _always
    context: Callable[..., dict] = field(default=_no_extra)
    # An account email: rendered by messaging.account from allauth's template names, sent to
    # Message.to_address, verified address not required (it is often what it asks for).
    account: bool = False
    # Builds the calendar invite for a message not about a sign-up (RSVPs); by default the
    # invite is the sign-up's (events.calendar.signup_invite).
    calendar: Callable[..., object] | None = None
    # Builds the whole email itself (``email(message, now=...)``), for a message to someone
    # without an account (a donor): no verified address of an account is asked for.
    email: Callable[..., object] | None = None


def _acknowledgment_email(message, *, now):
    from donations.acknowledgments import acknowledgment_email

    return acknowledgment_email(message, now=now)


def _permit_return_still_due(message, now) -> str | None:
    from donations.exports.reminders import reason_not_to_remind

    return reason_not_to_remind(message, now)


def _permit_return_context(message) -> dict:
    from donations.exports.reminders import reminder_context

    return reminder_context(message)


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
    Kind.RSVP_CONFIRMATION: Rule(invite=REQUEST, reason_not_to_send=_rsvp_going,
                                 context=_rsvp_context, calendar=_rsvp_invite),
    Kind.RSVP_CANCELLED: Rule(invite=CANCEL, reason_not_to_send=_rsvp_withdrawn,
                              context=_rsvp_context, calendar=_rsvp_invite),
    Kind.ORGANIZER_MESSAGE: Rule(reason_not_to_send=_organizer_message_exists,
                                 context=_organizer_message_context),
    Kind.SHIFT_HELD: Rule(reason_not_to_send=_still_held, context=_hold_context),
    Kind.HOLD_RELEASED: Rule(reason_not_to_send=_hold_exists, context=_hold_context),
    Kind.SITE_RETIRED: Rule(reason_not_to_send=_site_still_retired, context=_site_context),
    Kind.DONATION_ACKNOWLEDGMENT: Rule(email=_acknowledgment_email),
    Kind.PERMIT_RETURN_REMINDER: Rule(immediate=False, reason_not_to_send=_permit_return_still_due,
                                      context=_permit_return_context),
    Kind.EMAIL_CONFIRMATION_SIGNUP: Rule(account=True, reason_not_to_send=_address_unconfirmed),
    Kind.EMAIL_CONFIRMATION: Rule(account=True, reason_not_to_send=_address_unconfirmed),
    Kind.PASSWORD_RESET_KEY: Rule(account=True, reason_not_to_send=_account_active),
    **{kind: Rule(account=True) for kind in (
        Kind.ACCOUNT_ALREADY_EXISTS, Kind.UNKNOWN_ACCOUNT, Kind.PASSWORD_RESET,
        Kind.PASSWORD_CHANGED, Kind.PASSWORD_SET, Kind.EMAIL_CHANGED, Kind.EMAIL_CONFIRM,
        Kind.EMAIL_DELETED, Kind.LOGIN_CODE, Kind.PASSWORD_RESET_CODE,
    )},
}


def immediate(kind: str) -> bool:
    rule = RULES.get(kind)
    return rule is not None and rule.immediate


def reason_not_to_send(message, now: datetime.datetime) -> str | None:
    return RULES[message.kind].reason_not_to_send(message, now)
