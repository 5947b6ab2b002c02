"""Writes about sign-ups: join a shift or its waitlist, cancel, promote, move.

Every function runs in one transaction and locks the Shift row(s) whose places it changes
before it counts (pretix: lock what becomes less available, once, before the check), so
concurrent sign-ups can never put more confirmed volunteers on a shift than its capacity.
``FOR NO KEY UPDATE`` is enough (nobody changes a primary key) and does not block the
``KEY SHARE`` locks PostgreSQL takes when a row referencing the shift is inserted.

Only "count, then insert" needs the shift: a sign-up first locks the volunteer's row (one
person's sign-ups are serialized, so two overlapping shifts taken at the same moment cannot
both pass the overlap check), checks everything that depends on the person (an existing
sign-up, age, training, overlap: no shift lock held), and takes the shift's lock last, as
late as possible, then checks again only what the locked row says differently. Joining a
waitlist that looked full takes ``FOR SHARE`` instead: waitlisters do not queue behind each
other, while confirming, cancelling, moving and capacity changes (all ``FOR NO KEY UPDATE``)
still exclude them, so the count they see stays true until they commit.

Locks are taken in one order everywhere: the volunteer's row first (sign-up, move), then
shifts (ascending pk). Cancelling, promoting from the waitlist and holds lock shifts only:
they never make anyone's sign-ups overlap, so they need no volunteer lock, and the rows they
insert take only ``KEY SHARE`` on people, which ``FOR NO KEY UPDATE`` does not block.

The outbox (``volunteers.outbox``) is written inside the same transaction, and
``Signup.sequence`` is raised on every change of an existing sign-up, so each calendar
invite about it carries a higher SEQUENCE than the one before.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from events.dates import local_format, time_range
from events.models import Event, Rsvp, Shift

from .. import outbox
from .. import rows as sql_rows
from ..inserts import insert_rows
from ..models import ADULT_AGE, Signup, SignupChange, Team, TeamMembership, User
from ..rules import captains_signup, is_organizer, is_team_captain

ACTIVE = (Signup.Status.CONFIRMED, Signup.Status.WAITLISTED)


class SignupError(Exception):
    """A sign-up change that is not allowed; the message is written for the person."""


class TrainingRequired(SignupError):
    """The one refusal an organizer may override (with a written reason): the volunteer has
    not been marked as attending the shift's required training. Age is never overridable:
    street collection is for adults only."""


OVERRIDE_REASON_MAX = 200


# --- Wording shared by the services and the pages ------------------------------------


def shift_when(shift: Shift) -> str:
    """'Sat, March 7, 7:00-10:00 AM' ('sáb 7 mar, 7:00-10:00', with an en dash) in the
    coalition's time zone (events.dates.time_range)."""
    return (f"{local_format(shift.starts_at, 'weekday_date')}, "
            f"{time_range(shift.starts_at, shift.ends_at)}")


def event_contact(event: Event) -> str:
    """Whom a volunteer should call about an event: its organizer contact or the coalition."""
    person = event.contact
    if person is not None:
        reach = person.phone or person.email
        return f"{person.name} ({reach})"
    return f"{settings.COALITION['name']} ({settings.COALITION['phone']})"


def closed_reason(shift: Shift, *, now: datetime.datetime | None = None) -> str | None:
    """Why nobody can sign up for this shift now, or None when it is open."""
    now = now or timezone.now()
    event = shift.event
    if event.status == Event.Status.CANCELLED:
        return _("This event has been cancelled.")
    if event.status != Event.Status.PUBLISHED:
        return _("This event is not open for sign-ups yet.")
    if shift.is_cancelled:
        return _("This shift has been cancelled.")
    if shift.starts_at <= now:
        return _("This shift has already started, so sign-ups are closed.")
    return None


def cancel_cutoff(shift: Shift) -> datetime.datetime:
    return shift.starts_at - datetime.timedelta(hours=shift.event.cancel_cutoff_hours)


def cancel_refusal(signup: Signup, *, now: datetime.datetime | None = None) -> str | None:
    """Why the volunteer can no longer cancel this sign-up themselves (organizers always
    can), or None while they may."""
    now = now or timezone.now()
    shift = signup.shift
    if signup.status not in ACTIVE:
        return _("This sign-up is already cancelled.")
    if signup.status == Signup.Status.WAITLISTED and shift.starts_at > now:
        return None  # leaving a waitlist never leaves a shift short
    if shift.starts_at <= now:
        return _("This shift has already started. To change anything, contact %(contact)s.") % {
            "contact": event_contact(shift.event)
        }
    if now >= cancel_cutoff(shift):
        return _(
            "It is less than %(hours)s hours before the shift, too late to cancel here. "
            "Please contact %(contact)s."
        ) % {"hours": shift.event.cancel_cutoff_hours, "contact": event_contact(shift.event)}
    return None


def _age_refusal(shift: Shift, volunteer: User, *, yourself: bool) -> str | None:
    min_age = shift.min_age
    if not min_age:
        return None
    day = timezone.localtime(shift.starts_at).date()
    if min_age <= ADULT_AGE and volunteer.is_adult_on(day):
        return None
    age = volunteer.age_on(day)
    if age is not None and age >= min_age:
        return None
    values = {"age": min_age, "name": volunteer.name}
    if age is None and min_age == ADULT_AGE:
        if yourself:
            return _(
                "This shift is for volunteers %(age)s or older. If you are, confirm it on "
                "your profile page, then sign up again."
            ) % values
        return _(
            "This shift is for volunteers %(age)s or older, and %(name)s has not confirmed "
            "being %(age)s or older on their profile."
        ) % values
    if age is None:
        if yourself:
            return _(
                "This shift is for volunteers %(age)s or older. Add your date of birth on "
                "your profile page, then sign up again."
            ) % values
        return _(
            "This shift is for volunteers %(age)s or older, and %(name)s has no date of "
            "birth on their profile."
        ) % values
    if yourself:
        return _("This shift is for volunteers %(age)s or older.") % values
    return _("This shift is for volunteers %(age)s or older; %(name)s is younger.") % values


def has_attended(volunteer: User, training: Event) -> bool:
    """Present at any shift of the training, or marked attended on its RSVP list."""
    return (
        Signup.objects.filter(
            volunteer=volunteer, shift__event=training, attendance=Signup.Attendance.PRESENT
        ).exists()
        or Rsvp.objects.filter(event=training, user=volunteer, attended=True).exists()
    )


def _training_refusal(shift: Shift, volunteer: User, *, yourself: bool) -> str | None:
    training = shift.required_training
    if training is None or has_attended(volunteer, training):
        return None
    values = {"training": training.localized.title, "name": volunteer.name}
    if yourself:
        return _(
            "This shift needs the “%(training)s” first. Once an organizer has marked you as "
            "attended, you can sign up."
        ) % values
    return _("This shift needs the “%(training)s”, and %(name)s has not attended it.") % values


def _overlap_refusal(
    shift: Shift, volunteer: User, *, yourself: bool, ignore: Signup | None = None
) -> str | None:
    clashes = (
        Signup.objects.filter(
            volunteer=volunteer,
            status__in=ACTIVE,
            shift__starts_at__lt=shift.ends_at,
            shift__ends_at__gt=shift.starts_at,
            shift__is_cancelled=False,
        )
        .exclude(shift=shift)
        .exclude(shift__event__status=Event.Status.CANCELLED)
        .select_related("shift__event")
        .order_by("shift__starts_at", "pk")
    )
    if ignore is not None:
        clashes = clashes.exclude(pk=ignore.pk)
    return _clash_refusal(clashes.first(), volunteer, yourself=yourself)


def _clash_refusal(clash: Signup | None, volunteer: User, *, yourself: bool) -> str | None:
    if clash is None:
        return None
    values = {
        "name": volunteer.name,
        "shift": clash.shift.label,
        "when": shift_when(clash.shift),
        "event": clash.shift.event.localized.title,
    }
    if yourself:
        return _(
            "You already have a shift at that time: %(shift)s, %(when)s (%(event)s)."
        ) % values
    return _(
        "%(name)s already has a shift at that time: %(shift)s, %(when)s (%(event)s)."
    ) % values


def held_refusal(shift: Shift, volunteer: User, *, yourself: bool,
                 member: bool | None = None) -> str | None:
    """A shift held for a team (``Shift.held_for``) takes only that team's members: themselves
    or through their captain. ``member`` may be given when the caller already knows."""
    if shift.held_for_id is None:
        return None
    if member is None:
        member = TeamMembership.objects.filter(team_id=shift.held_for_id,
                                               user=volunteer).exists()
    if member:
        return None
    values = {"team": shift.held_for.name, "name": volunteer.name}
    if yourself:
        return _("This corner is held for %(team)s.") % values
    return _(
        "This corner is held for %(team)s, and %(name)s is not a member. Release the hold, "
        "or invite %(name)s to %(team)s first."
    ) % values


def permit_cap_refusal(shift: Shift) -> str | None:
    """Would one more confirmed collector on ``shift`` exceed a covering permit's cap?
    (events.permits decides; a shift away from any site never asks.)"""
    if shift.site_id is None:
        return None
    try:
        from events.permits import permit_cap_refusal as refusal_for
    except ImportError:  # pragma: no cover (the permits module is optional while it lands)
        return None
    return refusal_for(shift)


_ASK = object()  # the overlapping sign-up is not known yet: query it


def _first_refusal(
    shift: Shift,
    volunteer: User,
    *,
    by: User,
    now: datetime.datetime | None = None,
    ignore: Signup | None = None,
    waive_training: bool = False,
    clash=_ASK,
) -> SignupError | None:
    """``clash``: the volunteer's overlapping sign-up (or None) when already read."""
    yourself = by.pk == volunteer.pk
    refusal = (closed_reason(shift, now=now)
               or held_refusal(shift, volunteer, yourself=yourself)
               or _age_refusal(shift, volunteer, yourself=yourself))
    if refusal:
        return SignupError(refusal)
    if not waive_training:
        refusal = _training_refusal(shift, volunteer, yourself=yourself)
        if refusal:
            return TrainingRequired(refusal)
    if clash is _ASK:
        refusal = _overlap_refusal(shift, volunteer, yourself=yourself, ignore=ignore)
    else:
        refusal = _clash_refusal(clash, volunteer, yourself=yourself)
    return SignupError(refusal) if refusal else None


def eligibility_refusal(
    shift: Shift,
    volunteer: User,
    *,
    by: User,
    now: datetime.datetime | None = None,
    ignore: Signup | None = None,
) -> str | None:
    """The first reason ``volunteer`` cannot take a place on ``shift``, or None."""
    error = _first_refusal(shift, volunteer, by=by, now=now, ignore=ignore)
    return str(error) if error else None


# --- Locks and records ------------------------------------------------------------------


def _lock_shifts(*pks: int) -> dict[int, Shift]:
    """Lock the shift rows in ascending pk order (one order everywhere: no deadlocks)."""
    shifts = (
        Shift.objects.select_for_update(of=("self",), no_key=True)
        .select_related("event", "event__contact", "required_training", "held_for", "site")
        .filter(pk__in=sorted(set(pks)))
        .order_by("pk")
    )
    return {shift.pk: shift for shift in shifts}


def _lock_volunteer(volunteer_id: int) -> None:
    """Serialize one person's sign-ups, so two overlapping shifts taken at the same moment
    cannot both pass the overlap check. Taken before any shift lock."""
    sql = "SELECT id FROM volunteers_user WHERE id = %s"
    if connection.vendor == "postgresql":  # SQLite locks the whole database instead
        sql += " FOR NO KEY UPDATE"
    with sql_rows.cursor() as cursor:
        cursor.execute(sql, [volunteer_id])


_SHIFT_READ = ("SELECT {columns}, e.status FROM events_shift s "
               "JOIN events_event e ON e.id = s.event_id WHERE s.id = %s")
_SHIFT_LOCK = {True: " FOR SHARE OF s", False: " FOR NO KEY UPDATE OF s"}


def _lock_shift(shift: Shift, *, share: bool) -> Shift:
    """The shift's row, locked ``FOR NO KEY UPDATE`` (or, with ``share``, ``FOR SHARE``,
    enough to join a waitlist: it keeps the confirmed count still), with the event
    ``shift`` carries, read again only if its status has changed meanwhile. One statement,
    written out: it runs on every sign-up."""
    sql = _SHIFT_READ.format(columns=sql_rows.columns(Shift, "s"))
    if connection.vendor == "postgresql":
        # SQLite has no row locks (its transactions take the database's write lock up
        # front: config.settings), so there it reads the row.
        sql += _SHIFT_LOCK[share]
    found = sql_rows.fetch(Shift, sql, [shift.pk], extra=("event_status",))
    if not found:
        raise Shift.DoesNotExist
    locked = found[0]
    if locked.event_id == shift.event_id and locked.event_status == shift.event.status:
        locked.event = shift.event
    else:
        locked.event = Event.objects.get(pk=locked.event_id)
    return locked


# What the checks made before the shift lock read from the shift: if the locked row says the
# same, only "closed" (the clock) is asked again.
_CHECKED_FIELDS = ("event_id", "starts_at", "ends_at", "is_cancelled", "min_age",
                   "required_training_id", "held_for_id")


def _checked_the_same(before: Shift, locked: Shift) -> bool:
    return (before.event.status == locked.event.status
            and all(getattr(before, name) == getattr(locked, name) for name in _CHECKED_FIELDS))


_OWN_SIGNUPS_AROUND = """
    SELECT {columns} FROM volunteers_signup g
    JOIN events_shift s ON s.id = g.shift_id
    JOIN events_event e ON e.id = s.event_id
    WHERE g.volunteer_id = %s
      AND (g.shift_id = %s
           OR (g.status IN (%s, %s) AND s.starts_at < %s AND s.ends_at > %s
               AND NOT s.is_cancelled AND e.status <> %s))
    ORDER BY s.starts_at, g.id"""


def _own_signups_around(shift: Shift, volunteer: User) -> tuple[Signup | None, Signup | None]:
    """In one query: the volunteer's sign-up on ``shift`` (any status) and their earliest live
    sign-up on another shift at the same time (what ``_overlap_refusal`` looks for).
    Written out: it runs on every sign-up, under the volunteer's lock."""
    found = sql_rows.fetch(
        Signup, _OWN_SIGNUPS_AROUND.format(columns=sql_rows.columns(Signup, "g")),
        [volunteer.pk, shift.pk, *ACTIVE, shift.ends_at, shift.starts_at,
         Event.Status.CANCELLED])
    existing = next((row for row in found if row.shift_id == shift.pk), None)
    clash = next((row for row in found if row.shift_id != shift.pk), None)
    return existing, clash


def _change(signup: Signup, action: str, by: User | None, detail: str = "") -> SignupChange:
    return SignupChange(signup=signup, action=action, by=by, detail=detail[:300])


def _record(signup: Signup, action: str, by: User | None, detail: str = "") -> None:
    _change(signup, action, by, detail).save()


def _count_confirmed(shift: Shift) -> int:
    return Signup.objects.filter(shift=shift, status=Signup.Status.CONFIRMED).count()


def _count_confirmed_and_next_id(shift: Shift, *, new_row: bool) -> tuple[int, int | None]:
    """The locked shift's confirmed places and, for a new row on PostgreSQL, the id it will
    have (from the table's sequence), so that the row, its change record and its messages
    (whose keys name it) go in one statement: one round trip for both."""
    if not (new_row and connection.vendor == "postgresql"):
        return _count_confirmed(shift), None
    with sql_rows.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM volunteers_signup WHERE shift_id = %s AND status = %s),"
            " nextval(pg_get_serial_sequence('volunteers_signup', 'id'))",
            [shift.pk, Signup.Status.CONFIRMED])
        confirmed, next_id = cursor.fetchone()
    return confirmed, next_id


def _fill_from_waitlist(shift: Shift, *, now: datetime.datetime, reason: str) -> list[Signup]:
    """Promote the earliest waiting volunteers into the free places of a locked shift.

    Deliberately simple: the earliest waiting person is promoted even if they have since
    taken an overlapping shift (they were told they were waiting, and can cancel). A shift
    that has started, or is cancelled, promotes nobody."""
    if closed_reason(shift, now=now):
        return []
    free = shift.capacity - _count_confirmed(shift)
    if free <= 0:
        return []
    waiting = list(
        Signup.objects.filter(shift=shift, status=Signup.Status.WAITLISTED)
        .select_related("volunteer")
        .order_by("waitlisted_at", "pk")[:free]
    )
    for signup in waiting:
        if permit_cap_refusal(shift):
            break  # the permit allows no more collectors at this time: they keep waiting
        signup.shift = shift
        signup.status = Signup.Status.CONFIRMED
        signup.confirmed_at = now
        signup.sequence += 1
        signup.save(update_fields=["status", "confirmed_at", "sequence", "updated_at"])
        _record(signup, SignupChange.Action.PROMOTED, None, reason)
        outbox.signup_confirmed(signup, promoted=True)
    return waiting


def _reset_for_new_place(signup: Signup, *, status: str, now: datetime.datetime) -> None:
    signup.status = status
    signup.confirmed_at = now if status == Signup.Status.CONFIRMED else None
    signup.waitlisted_at = now if status == Signup.Status.WAITLISTED else None
    signup.cancelled_at = None
    signup.attendance = Signup.Attendance.UNKNOWN
    signup.checked_in_at = None
    signup.checked_in_by = None
    signup.hours_override = None


# --- Services ---------------------------------------------------------------------------


def _check_may_sign_up(*, by: User, volunteer: User, team: Team | None) -> None:
    if team is not None and not team.memberships.filter(user=volunteer).exists():
        raise SignupError(
            _("%(name)s is not a member of %(team)s.") % {"name": volunteer.name, "team": team}
        )
    if by.pk == volunteer.pk or is_organizer(by):
        return
    if team is not None and is_team_captain(by, team):
        return
    raise PermissionDenied


def _clean_override_reason(*, by: User, volunteer: User, reason: str | None) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        return ""
    if not is_organizer(by) or by.pk == volunteer.pk:
        raise PermissionDenied  # captains and volunteers cannot waive a training
    if len(reason) > OVERRIDE_REASON_MAX:
        raise SignupError(
            _("Keep the reason to %(max)s characters.") % {"max": OVERRIDE_REASON_MAX}
        )
    return reason


class _StartAgain(Exception):
    """A waitlist join under the shared lock found a free place (or a changed shift): the
    sign-up starts again, in a new transaction, with the exclusive lock."""


def signup_create(
    *,
    shift: Shift,
    volunteer: User,
    by: User,
    team: Team | None = None,
    override_reason: str | None = None,
) -> Signup:
    """Give ``volunteer`` a place on ``shift``, or a place on its waitlist when it is full.

    ``by`` is the volunteer, an organizer, or a captain of ``team`` signing up a member.
    In one transaction: lock the volunteer, return an existing active sign-up unchanged,
    refuse with SignupError when the event or shift is closed, the shift is held for a team
    the volunteer is not a member of, the volunteer is too young, lacks the required
    training (TrainingRequired) or has an overlapping shift; then lock the shift (checking
    again what its locked row says differently), count the confirmed places and insert (or
    reactivate the cancelled row) as confirmed or waitlisted; a confirmed place a covering
    permit's collector cap has no room for is refused (events.permits). An organizer adding
    someone else may waive the training requirement, never the age, by giving
    ``override_reason``; the waiver, with who and why, goes into the ADDED change's detail.
    Side effects: a SignupChange row and an outbox message.

    A ``shift`` carrying ``confirmed_count`` (as the sign-up view reads it) that says it
    is full joins the waitlist under a shared lock (see the module docstring); the count
    under the lock decides, never the hint."""
    _check_may_sign_up(by=by, volunteer=volunteer, team=team)
    override_reason = _clean_override_reason(by=by, volunteer=volunteer, reason=override_reason)
    hint = getattr(shift, "confirmed_count", None)
    arguments = {"shift": shift, "volunteer": volunteer, "by": by, "team": team,
                 "override_reason": override_reason}
    if hint is not None and hint >= shift.capacity:
        try:
            return _signup_create(**arguments, share=True)
        except _StartAgain:
            pass
    return _signup_create(**arguments, share=False)


def _refusal(shift: Shift, volunteer: User, *, by: User, now: datetime.datetime,
             override_reason: str, clash=_ASK) -> tuple[SignupError | None, Event | None]:
    """The first refusal (with a training waived when an organizer gave a reason), and the
    training waived, if any."""
    refusal = _first_refusal(shift, volunteer, by=by, now=now, clash=clash)
    if isinstance(refusal, TrainingRequired) and override_reason:
        return (_first_refusal(shift, volunteer, by=by, now=now, waive_training=True,
                               clash=clash), shift.required_training)
    return refusal, None


def _signup_create(*, shift: Shift, volunteer: User, by: User, team: Team | None,
                   override_reason: str, share: bool) -> Signup:
    with transaction.atomic():
        _lock_volunteer(volunteer.pk)
        signup, clash = _own_signups_around(shift, volunteer)
        if signup is not None and signup.status in ACTIVE:
            signup.shift = shift
            return signup
        refusal, waived = _refusal(shift, volunteer, by=by, now=timezone.now(),
                                   override_reason=override_reason, clash=clash)
        if refusal:
            share = False  # a refusal is only ever given on what the locked row says
        locked = _lock_shift(shift, share=share)
        now = timezone.now()
        if refusal or not _checked_the_same(shift, locked):
            if share:
                raise _StartAgain
            same_times = (shift.starts_at, shift.ends_at) == (locked.starts_at, locked.ends_at)
            refusal, waived = _refusal(locked, volunteer, by=by, now=now,
                                       override_reason=override_reason,
                                       clash=clash if same_times else _ASK)
        else:
            refusal = closed_reason(locked, now=now)
            refusal = SignupError(refusal) if refusal else None
        if refusal:
            raise refusal
        shift = locked
        confirmed, next_id = _count_confirmed_and_next_id(shift, new_row=signup is None)
        full = confirmed >= shift.capacity
        if share and not full:
            raise _StartAgain
        status = Signup.Status.WAITLISTED if full else Signup.Status.CONFIRMED
        if not full:
            refusal = permit_cap_refusal(shift)
            if refusal:
                raise SignupError(refusal)
        if signup is None:
            signup = Signup(pk=next_id, shift=shift, volunteer=volunteer)
        else:
            signup.sequence += 1  # a cancelled row taken up again: a newer invite
        _reset_for_new_place(signup, status=status, now=now)
        signup.shift = shift
        signup.team = team
        insert = signup._state.adding and signup.pk is not None
        if not insert:
            signup.save()  # a cancelled row taken up again, or a new one on SQLite
        if by.pk == volunteer.pk:
            action = SignupChange.Action.WAITLISTED if full else SignupChange.Action.SIGNED_UP
            detail = ""
        else:
            action = SignupChange.Action.ADDED
            detail = str(Signup.Status(status).label)
            if team is not None:
                detail = f"{detail} · {team.name}"
        changes = [_change(signup, action, by, detail)]
        if waived is not None:
            changes.append(_change(signup, SignupChange.Action.TRAINING_WAIVED, by, _(
                "“%(training)s” not attended, added anyway by %(name)s: %(reason)s"
            ) % {"training": waived.title, "name": by.name, "reason": override_reason}))
        messages = (outbox.signup_waitlisted_rows(signup) if full
                    else outbox.signup_confirmed_rows(signup))
        # The sign-up (when new), its change records and its messages: one statement.
        insert_rows(([signup] if insert else [], False), (changes, False), (messages, True))
        if insert:
            post_save.send(Signup, instance=signup, created=True, update_fields=None,
                           raw=False, using=signup._state.db)
        outbox.rows_written(messages)
    return signup


def _relock(signup: Signup, *extra_shift_pks: int) -> tuple[Signup, dict[int, Shift]]:
    """Lock the sign-up's shift (and others) and re-read the sign-up; if an organizer moved
    it meanwhile, lock again around its new shift."""
    for _attempt in range(3):
        shifts = _lock_shifts(signup.shift_id, *extra_shift_pks)
        fresh = Signup.objects.select_related("volunteer", "team").get(pk=signup.pk)
        if fresh.shift_id in shifts:
            fresh.shift = shifts[fresh.shift_id]
            return fresh, shifts
        signup = fresh
    raise SignupError(_("This sign-up is being changed by someone else; please try again."))


def may_cancel(by: User, signup: Signup) -> bool:
    """The volunteer, a captain of their team, or an organizer."""
    return by.pk == signup.volunteer_id or is_organizer(by) or captains_signup(by, signup)


def signup_cancel(*, signup: Signup, by: User) -> Signup:
    """End a confirmed or waiting sign-up (cancelling an already cancelled one is a no-op).

    The volunteer (or their captain) may cancel until the event's cut-off before the shift;
    organizers may remove anyone at any time. Cancelling a confirmed place promotes the
    earliest waiting volunteer in the same transaction, with the shift locked. Side effects:
    SignupChange rows (CANCELLED or REMOVED, and PROMOTED) and outbox messages."""
    with transaction.atomic():
        signup, _shifts = _relock(signup)
        if signup.status not in ACTIVE:
            return signup
        if not may_cancel(by, signup):
            raise PermissionDenied
        now = timezone.now()
        organizer = is_organizer(by)
        if not organizer:
            refusal = cancel_refusal(signup, now=now)
            if refusal:
                raise SignupError(refusal)
        was_confirmed = signup.status == Signup.Status.CONFIRMED
        signup.status = Signup.Status.CANCELLED
        signup.cancelled_at = now
        signup.sequence += 1
        signup.save(update_fields=["status", "cancelled_at", "sequence", "updated_at"])
        if by.pk == signup.volunteer_id:
            _record(signup, SignupChange.Action.CANCELLED, by)
        elif organizer:
            _record(signup, SignupChange.Action.REMOVED, by)
        else:
            _record(signup, SignupChange.Action.CANCELLED, by, _("by their team captain"))
        outbox.signup_cancelled(signup, by_organizer=by.pk != signup.volunteer_id)
        if was_confirmed:
            _fill_from_waitlist(
                signup.shift, now=now, reason=_("a place opened (sign-up #%(pk)s)") % {
                    "pk": signup.pk}
            )
    return signup


def shift_fill_from_waitlist(*, shift: Shift) -> list[Signup]:
    """Promote waiting volunteers into free places, e.g. after an organizer raised the
    shift's capacity. Safe to call inside the caller's transaction."""
    with transaction.atomic():
        shift = _lock_shifts(shift.pk)[shift.pk]
        return _fill_from_waitlist(shift, now=timezone.now(), reason=_("more places opened"))


def signup_move(*, signup: Signup, to_shift: Shift, by: User) -> Signup:
    """An organizer moves a sign-up to another shift, overriding the cut-off.

    Both shifts are locked in pk order; the target must be open, have a free confirmed
    place, and suit the volunteer (age, training, no overlap). The moved volunteer is
    confirmed on the target; a confirmed place left behind promotes the earliest waiting
    volunteer there. If the volunteer once cancelled a place on the target, that row is
    taken up again and this one is cancelled (one row per shift and person). Returns the
    sign-up now on ``to_shift``."""
    if not is_organizer(by):
        raise PermissionDenied
    with transaction.atomic():
        _lock_volunteer(signup.volunteer_id)  # before the shifts, as signup_create does
        signup, shifts = _relock(signup, to_shift.pk)
        source, target = signup.shift, shifts[to_shift.pk]
        volunteer = signup.volunteer
        if signup.status not in ACTIVE:
            raise SignupError(_("This sign-up was cancelled; add the volunteer instead."))
        if source.pk == target.pk:
            raise SignupError(_("%(name)s is already on that shift.") % {"name": volunteer.name})
        existing = Signup.objects.filter(shift=target, volunteer=volunteer).first()
        if existing is not None and existing.status in ACTIVE:
            raise SignupError(_("%(name)s is already on that shift.") % {"name": volunteer.name})
        now = timezone.now()
        refusal = eligibility_refusal(target, volunteer, by=by, now=now, ignore=signup)
        if refusal:
            raise SignupError(refusal)
        confirmed = _count_confirmed(target)
        if confirmed >= target.capacity:
            raise SignupError(
                _("That shift is full (%(filled)s of %(capacity)s). Raise its capacity or "
                  "remove someone first.") % {"filled": confirmed, "capacity": target.capacity}
            )
        refusal = permit_cap_refusal(target)
        if refusal:
            raise SignupError(refusal)
        was_confirmed = signup.status == Signup.Status.CONFIRMED
        move_from = _("from %(shift)s, %(when)s") % {
            "shift": source.label, "when": shift_when(source)}
        move_to = _("to %(shift)s, %(when)s") % {"shift": target.label, "when": shift_when(target)}
        if existing is None:
            signup.shift = target
            _reset_for_new_place(signup, status=Signup.Status.CONFIRMED, now=now)
            signup.sequence += 1
            signup.save()
            _record(signup, SignupChange.Action.MOVED, by, f"{move_from} {move_to}")
            outbox.signup_moved(signup, previous_shift=source)
            moved = signup
        else:
            signup.status = Signup.Status.CANCELLED
            signup.cancelled_at = now
            signup.sequence += 1
            signup.save(update_fields=["status", "cancelled_at", "sequence", "updated_at"])
            _record(signup, SignupChange.Action.MOVED, by, move_to)
            outbox.signup_cancelled(signup, by_organizer=True)
            existing.sequence += 1
            _reset_for_new_place(existing, status=Signup.Status.CONFIRMED, now=now)
            existing.team = signup.team
            existing.save()
            _record(existing, SignupChange.Action.MOVED, by, move_from)
            outbox.signup_confirmed(existing)
            moved = existing
        if was_confirmed:
            _fill_from_waitlist(source, now=now, reason=_("a place opened (%(name)s moved)") % {
                "name": volunteer.name})
    return moved


@dataclass(frozen=True)
class TeamSignupResult:
    volunteer: User
    signup: Signup | None
    error: str | None


def team_signup_members(
    *, team: Team, shift: Shift, volunteers: list[User], by: User
) -> list[TeamSignupResult]:
    """A captain (or organizer) signs up several members of ``team`` in one step. Each
    person is a separate ``signup_create`` (its own transaction), so one refusal does not
    undo the others; the result says, per person, what happened or why not."""
    if not (is_organizer(by) or is_team_captain(by, team)):
        raise PermissionDenied
    results = []
    for volunteer in volunteers:
        try:
            signup = signup_create(shift=shift, volunteer=volunteer, by=by, team=team)
        except SignupError as error:
            results.append(TeamSignupResult(volunteer, None, str(error)))
        else:
            results.append(TeamSignupResult(volunteer, signup, None))
    return results
