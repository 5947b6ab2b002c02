"""Writes about the day of a shift: check-in (present / no-show) and hours.

Hours are never stored as a running total: they are computed from the check-in by
``hours_for`` (one function, tested with properties), and an organizer's correction is kept
in ``Signup.hours_override``, which wins."""

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Signup, SignupChange, User
from ..rules import captains_signup, is_organizer

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Check-in opens this long before a shift starts (volunteers arrive early to get a vest).
CHECKIN_OPENS_BEFORE = datetime.timedelta(hours=1)
MAX_HOURS = Decimal("24.00")


class CheckinError(Exception):
    """A check-in or hours change that is not allowed; the message is for the person."""


def hours_for(
    *, attendance: str, hours_override: Decimal | None, duration: datetime.timedelta
) -> Decimal:
    """Hours a sign-up counts for: an organizer's correction wins; otherwise present means
    the shift's length and anything else (no-show, not checked in) means none. Two decimal
    places, never negative."""
    if hours_override is not None:
        hours = Decimal(hours_override)
    elif attendance == Signup.Attendance.PRESENT:
        hours = Decimal(int(duration.total_seconds())) / Decimal(3600)
    else:
        hours = ZERO
    return max(hours, ZERO).quantize(CENT, rounding=ROUND_HALF_UP)


def signup_hours(signup: Signup) -> Decimal:
    if signup.status != Signup.Status.CONFIRMED and signup.hours_override is None:
        return ZERO
    return hours_for(
        attendance=signup.attendance,
        hours_override=signup.hours_override,
        duration=signup.shift.duration,
    )


def checkin_opens_at(shift) -> datetime.datetime:
    return shift.starts_at - CHECKIN_OPENS_BEFORE


def may_check_in(user: User, signup: Signup) -> bool:
    """Organizers, and captains of the volunteer's team."""
    return is_organizer(user) or captains_signup(user, signup)


_ACTIONS = {
    Signup.Attendance.PRESENT: SignupChange.Action.CHECKED_IN,
    Signup.Attendance.NO_SHOW: SignupChange.Action.NO_SHOW,
    Signup.Attendance.UNKNOWN: SignupChange.Action.CHECKED_IN,
}


def signup_mark_attendance(*, signup: Signup, attendance: str, by: User) -> Signup:
    """Mark a confirmed volunteer present or no-show (or clear the mark), from an hour
    before the shift on. One transaction with the sign-up row locked; a SignupChange row."""
    if attendance not in Signup.Attendance.values:
        raise CheckinError(_("Choose present or no-show."))
    with transaction.atomic():
        signup = (
            Signup.objects.select_for_update(of=("self",), no_key=True)
            .select_related("shift", "volunteer")
            .get(pk=signup.pk)
        )
        if not may_check_in(by, signup):
            raise PermissionDenied
        if signup.status != Signup.Status.CONFIRMED:
            raise CheckinError(_("Only volunteers with a confirmed place can be checked in."))
        now = timezone.now()
        if now < checkin_opens_at(signup.shift):
            raise CheckinError(_("Check-in opens an hour before the shift starts."))
        if signup.attendance == attendance:
            return signup
        signup.attendance = attendance
        cleared = attendance == Signup.Attendance.UNKNOWN
        signup.checked_in_at = None if cleared else now
        signup.checked_in_by = None if cleared else by
        signup.save(update_fields=["attendance", "checked_in_at", "checked_in_by", "updated_at"])
        SignupChange.objects.create(
            signup=signup,
            action=_ACTIONS[attendance],
            by=by,
            detail=_("check-in cleared") if cleared else "",
        )
    return signup


def signup_vest(*, signup: Signup, given: bool, by: User) -> Signup:
    """Record that a volunteer on a street shift (a shift at a collection site) got a safety
    vest at check-in, or gave it back. Same people and window as check-in; one transaction
    with the sign-up row locked; a VEST_GIVEN or VEST_RETURNED change row records it.
    Recording the same state again changes nothing."""
    with transaction.atomic():
        signup = (
            Signup.objects.select_for_update(of=("self",), no_key=True)
            .select_related("shift", "volunteer")
            .get(pk=signup.pk)
        )
        if not may_check_in(by, signup):
            raise PermissionDenied
        if signup.shift.site_id is None:
            raise CheckinError(_("Safety vests are recorded for street shifts only."))
        if signup.status != Signup.Status.CONFIRMED:
            raise CheckinError(_("Only volunteers with a confirmed place can get a vest."))
        if timezone.now() < checkin_opens_at(signup.shift):
            raise CheckinError(_("Check-in opens an hour before the shift starts."))
        if signup.vest_given == given:
            return signup
        signup.vest_given = given
        signup.save(update_fields=["vest_given", "updated_at"])
        SignupChange.objects.create(
            signup=signup, by=by,
            action=(SignupChange.Action.VEST_GIVEN if given
                    else SignupChange.Action.VEST_RETURNED),
        )
    return signup


def parse_hours(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as error:
        raise CheckinError(_("Enter the hours as a number, like 2.5.")) from error


def signup_correct_hours(*, signup: Signup, hours: Decimal | None, by: User) -> Signup:
    """An organizer sets the hours a sign-up counts for (``None`` returns to the hours the
    check-in gives). Never negative, at most 24; a HOURS_CORRECTED row records old and new."""
    if not is_organizer(by):
        raise PermissionDenied
    if hours is not None:
        hours = Decimal(hours)
        if not hours.is_finite() or hours < 0:
            raise CheckinError(_("Hours cannot be negative."))
        if hours > MAX_HOURS:
            raise CheckinError(_("Hours for one shift cannot be more than 24."))
        hours = hours.quantize(CENT, rounding=ROUND_HALF_UP)
    with transaction.atomic():
        signup = (
            Signup.objects.select_for_update(of=("self",), no_key=True)
            .select_related("shift")
            .get(pk=signup.pk)
        )
        before = signup_hours(signup)
        signup.hours_override = hours
        signup.save(update_fields=["hours_override", "updated_at"])
        after = signup_hours(signup)
        detail = _("%(before)s h → %(after)s h") % {"before": before, "after": after}
        if hours is None:
            detail = _("%(detail)s (back to the check-in)") % {"detail": detail}
        SignupChange.objects.create(
            signup=signup, action=SignupChange.Action.HOURS_CORRECTED, by=by, detail=detail
        )
    return signup
