"""Writes for events, shifts, recurring series and RSVPs.

Every service runs in one transaction, validates before saving, and raises EventError with a
message written for the organizer or volunteer; views show it at ``error.field``."""

import datetime
from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from volunteers import outbox
from volunteers.access import event_pages_changed, public_pages_changed
from volunteers.models import Signup, SignupChange, User

from . import recurrence
from .feed_versions import feeds_changed
from .models import Event, EventKind, EventSeries, Rsvp, Shift, ShiftRole


class EventError(Exception):
    """A change Rally refuses; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


EVENT_FIELDS = (
    "kind", "title", "description", "venue_name", "address", "latitude", "longitude",
    "starts_at", "ends_at", "visibility", "rsvp_capacity", "contact", "cancel_cutoff_hours",
    "reminder_offsets", "what_to_bring", "title_es", "description_es", "what_to_bring_es",
    "show_leaderboard", "accounting_code", "premium_description", "premium_value_cents",
)
# Changes volunteers on a shift must hear about (time or place).
EVENT_NOTIFY_FIELDS = ("starts_at", "ends_at", "venue_name", "address", "latitude", "longitude")
SHIFT_FIELDS = (
    "role", "title", "starts_at", "ends_at", "needed", "capacity", "min_age",
    "required_training", "notes", "title_es", "notes_es", "site",
)
RSVP_KINDS = (EventKind.AWARENESS, EventKind.TRAINING, EventKind.MEETING)
ACTIVE_SIGNUP = (Signup.Status.CONFIRMED, Signup.Status.WAITLISTED)


def _unknown(fields: Iterable[str], allowed: tuple[str, ...]) -> None:
    extra = set(fields) - set(allowed)
    if extra:
        raise TypeError(f"Unknown fields: {sorted(extra)}")


def _validate_event(event: Event) -> None:
    if not (event.title or "").strip():
        raise EventError(_("Give the event a title."), field="title")
    if event.kind not in EventKind.values:
        raise EventError(_("Choose what kind of event this is."), field="kind")
    if event.starts_at is None or event.ends_at is None:
        raise EventError(_("Give the event a start and an end."), field="starts_at")
    if event.ends_at <= event.starts_at:
        raise EventError(_("The event must end after it starts."), field="ends_at")
    if event.ends_at - event.starts_at > datetime.timedelta(days=31):
        raise EventError(_("An event can last at most 31 days."), field="ends_at")
    for minutes in event.reminder_offsets or []:
        if not isinstance(minutes, int) or not 0 < minutes <= 14 * 24 * 60:
            raise EventError(_("Reminders go out between 1 minute and 14 days before a shift."),
                             field="reminder_offsets")


def _event_window(event: Event) -> tuple[datetime.datetime, datetime.datetime]:
    """A shift may lie anywhere from 00:00 on the event's first day to the end of its last
    day, in the coalition's time zone (setup before and counting after the event)."""
    zone = timezone.get_default_timezone()
    first = timezone.localtime(event.starts_at, zone).date()
    last = timezone.localtime(event.ends_at, zone).date()
    midnight = datetime.time(0, 0)
    return (
        timezone.make_aware(datetime.datetime.combine(first, midnight), zone),
        timezone.make_aware(
            datetime.datetime.combine(last + datetime.timedelta(days=1), midnight), zone
        ),
    )


def _outside_event(shift: Shift, event: Event) -> bool:
    opens, closes = _event_window(event)
    return shift.starts_at < opens or shift.ends_at > closes


@transaction.atomic
def event_create(*, by: User | None, publish: bool = False, **fields) -> Event:
    """Create an event, a draft unless ``publish``."""
    _unknown(fields, EVENT_FIELDS)
    fields.setdefault("contact", by)
    event = Event(
        **fields,
        status=Event.Status.PUBLISHED if publish else Event.Status.DRAFT,
        created_by=by,
    )
    _validate_event(event)
    event.save()
    return event


def _bump_shifts(shifts: list[Shift]) -> None:
    """Raise each shift's SEQUENCE and tell the outbox its time or place changed."""
    if not shifts:
        return
    Shift.objects.filter(pk__in=[s.pk for s in shifts]).update(sequence=F("sequence") + 1)
    for shift in shifts:
        shift.sequence += 1
        outbox.shift_changed(shift)


@transaction.atomic
def event_update(*, event: Event, by: User | None, move_shifts: bool = False, **fields) -> Event:
    """Change an event (or one occurrence of a series: its ``occurrence_start`` is kept).

    With ``move_shifts`` the shifts follow a new start by the same wall-clock delta; without
    it, a change that would leave a shift outside the event's days is refused. A change of
    time or place raises the event's and every live shift's SEQUENCE and calls
    ``outbox.shift_changed`` for each shift, in this transaction."""
    _unknown(fields, EVENT_FIELDS)
    event = Event.objects.select_for_update(no_key=True).get(pk=event.pk)
    if event.is_cancelled:
        raise EventError(_("This event is cancelled. Duplicate it to plan it again."))
    before = {name: getattr(event, name) for name in EVENT_NOTIFY_FIELDS}
    before_offsets = list(event.reminder_offsets or [])
    for name, value in fields.items():
        setattr(event, name, value)
    _validate_event(event)
    if event.rsvp_capacity is not None and "rsvp_capacity" in fields:
        going = event.rsvps.filter(status=Rsvp.Status.GOING).count()
        if event.rsvp_capacity < going:
            raise EventError(
                _("%(count)s people have already RSVP'd, so there must be at least %(count)s "
                  "places.") % {"count": going},
                field="rsvp_capacity",
            )
    live_shifts = list(
        Shift.objects.select_for_update(no_key=True).filter(event=event, is_cancelled=False)
    )
    delta = recurrence.wall_time_delta(before["starts_at"], event.starts_at)
    if move_shifts and delta:
        for shift in live_shifts:
            shift.starts_at = recurrence.shift_wall_time(shift.starts_at, delta)
            shift.ends_at = recurrence.shift_wall_time(shift.ends_at, delta)
    outside = [shift for shift in live_shifts if _outside_event(shift, event)]
    if outside:
        raise EventError(
            _("%(count)s shift(s) would fall outside the event's days. Tick “move the shifts "
              "with the event”, or move or cancel those shifts first.") % {"count": len(outside)},
            field="starts_at" if before["starts_at"] != event.starts_at else "ends_at",
        )
    changed = any(before[name] != getattr(event, name) for name in EVENT_NOTIFY_FIELDS)
    if changed:
        event.sequence += 1
    event.save()
    if move_shifts and delta:
        Shift.objects.bulk_update(live_shifts, ["starts_at", "ends_at"])
    if changed:
        for shift in live_shifts:
            shift.event = event
        _bump_shifts(live_shifts)
    elif before_offsets != event.reminder_offsets:
        outbox.event_reminders_changed(event)
    return event


@transaction.atomic
def event_publish(*, event: Event, by: User | None) -> Event:
    """Make a draft visible. Publishing a published event changes nothing."""
    event = Event.objects.select_for_update(no_key=True).get(pk=event.pk)
    if event.is_cancelled:
        raise EventError(_("A cancelled event cannot be published. Duplicate it instead."))
    if event.status == Event.Status.DRAFT:
        event.status = Event.Status.PUBLISHED
        event.save(update_fields=["status", "updated_at"])
    return event


def _cancel_signups(shift: Shift, *, by: User | None, detail: str) -> int:
    """Mark the shift's live sign-ups cancelled (kept, never deleted) with a record each."""
    signups = list(
        Signup.objects.select_for_update().filter(shift=shift, status__in=ACTIVE_SIGNUP)
    )
    if not signups:
        return 0
    now = timezone.now()
    # Their SEQUENCE was raised by outbox.shift_cancelled, which sent the CANCEL.
    Signup.objects.filter(pk__in=[s.pk for s in signups]).update(
        status=Signup.Status.CANCELLED, cancelled_at=now, updated_at=now,
    )
    SignupChange.objects.bulk_create(
        SignupChange(signup=s, action=SignupChange.Action.EVENT_CANCELLED, by=by, at=now,
                     detail=detail[:300])
        for s in signups
    )
    return len(signups)


@transaction.atomic
def event_cancel(*, event: Event, by: User | None) -> Event:
    """Cancel an event. Its sign-ups are kept but marked cancelled, each with a
    SignupChange(EVENT_CANCELLED); for each shift ``outbox.shift_cancelled`` is called while its
    sign-ups are still live (so the outbox sees who held it), all in this transaction.
    Cancelling twice changes nothing."""
    event = Event.objects.select_for_update(no_key=True).get(pk=event.pk)
    if event.is_cancelled:
        return event
    event.status = Event.Status.CANCELLED
    event.sequence += 1
    event.save(update_fields=["status", "sequence", "updated_at"])
    shifts = list(
        Shift.objects.select_for_update(no_key=True).filter(event=event, is_cancelled=False)
    )
    if shifts:
        Shift.objects.filter(pk__in=[s.pk for s in shifts]).update(sequence=F("sequence") + 1)
    for shift in shifts:
        shift.event = event
        shift.sequence += 1
        outbox.shift_cancelled(shift)
        _cancel_signups(shift, by=by, detail=_("Event cancelled: %(title)s") % {
            "title": event.title})
    return event


@transaction.atomic
def event_duplicate(*, event: Event, starts_on: datetime.date, by: User | None) -> Event:
    """Copy an event and its shifts (cancelled ones left out) to a new first day, as a draft
    pointing back at the original. Every time moves by the same number of days in wall time,
    so last year's 7:00 shift is this year's 7:00 shift whatever daylight saving does."""
    source = Event.objects.get(pk=event.pk)
    old_first = timezone.localtime(source.starts_at).date()
    delta = datetime.timedelta(days=(starts_on - old_first).days)
    copy = Event(
        **{name: getattr(source, name) for name in EVENT_FIELDS if name not in (
            "starts_at", "ends_at")},
        starts_at=recurrence.shift_wall_time(source.starts_at, delta),
        ends_at=recurrence.shift_wall_time(source.ends_at, delta),
        status=Event.Status.DRAFT,
        duplicated_from=source,
        created_by=by,
    )
    _validate_event(copy)
    copy.save()
    Shift.objects.bulk_create(
        Shift(
            event=copy,
            **{name: getattr(shift, name) for name in SHIFT_FIELDS if name not in (
                "starts_at", "ends_at")},
            starts_at=recurrence.shift_wall_time(shift.starts_at, delta),
            ends_at=recurrence.shift_wall_time(shift.ends_at, delta),
        )
        for shift in source.shifts.filter(is_cancelled=False)
    )
    return copy


def _validate_shift(shift: Shift, event: Event) -> None:
    if shift.role not in ShiftRole.values:
        raise EventError(_("Choose the shift's role."), field="role")
    if shift.starts_at is None or shift.ends_at is None:
        raise EventError(_("Give the shift a start and an end."), field="starts_at")
    if shift.ends_at <= shift.starts_at:
        raise EventError(_("The shift must end after it starts."), field="ends_at")
    if _outside_event(shift, event):
        raise EventError(
            _("The shift must lie within the event's days (%(first)s to %(last)s).") % {
                "first": timezone.localtime(event.starts_at).strftime("%Y-%m-%d"),
                "last": timezone.localtime(event.ends_at).strftime("%Y-%m-%d")},
            field="starts_at",
        )
    if shift.needed is None or shift.needed < 1:
        raise EventError(_("At least one volunteer must be needed."), field="needed")
    if shift.capacity is None or shift.capacity < shift.needed:
        raise EventError(
            _("The most volunteers must be at least the number needed (%(needed)s).") % {
                "needed": shift.needed},
            field="capacity",
        )
    if shift.min_age is not None and not 1 <= shift.min_age <= 99:
        raise EventError(_("Enter a minimum age between 1 and 99."), field="min_age")
    training = shift.required_training
    if training is not None and (training.kind != EventKind.TRAINING or training.pk == event.pk):
        raise EventError(_("Choose a training event."), field="required_training")


def _refuse_outside_permits(shift: Shift) -> None:
    """A shift at a site that needs a permit must lie inside a valid permit (events/permits.py);
    checked when a shift is created and when its site or times change."""
    from .permits import shift_permit_refusal

    refusal = shift_permit_refusal(shift)
    if refusal:
        raise EventError(refusal, field="site")


@transaction.atomic
def shift_create(*, event: Event, by: User | None, **fields) -> Shift:
    """Add a shift to an event that is not cancelled."""
    _unknown(fields, SHIFT_FIELDS)
    event = Event.objects.select_for_update(no_key=True).get(pk=event.pk)
    if event.is_cancelled:
        raise EventError(_("This event is cancelled; shifts cannot be added."))
    shift = Shift(event=event, **fields)
    _validate_shift(shift, event)
    _refuse_outside_permits(shift)
    shift.save()
    return shift


@transaction.atomic
def shift_update(*, shift: Shift, by: User | None, **fields) -> Shift:
    """Change a shift. The row is locked before counting, so a capacity below the number of
    volunteers already confirmed is refused even while sign-ups arrive. A new start or end
    raises the shift's SEQUENCE and calls ``outbox.shift_changed``; free places (e.g. a
    raised capacity) go to the waitlist in order. All in this transaction."""
    _unknown(fields, SHIFT_FIELDS)
    shift = (
        Shift.objects.select_for_update(no_key=True, of=("self",))
        .select_related("event").get(pk=shift.pk)
    )
    if shift.is_cancelled or shift.event.is_cancelled:
        raise EventError(_("This shift is cancelled and cannot be changed."))
    before = (shift.starts_at, shift.ends_at)
    site_before = shift.site_id
    for name, value in fields.items():
        setattr(shift, name, value)
    _validate_shift(shift, shift.event)
    if before != (shift.starts_at, shift.ends_at) or site_before != shift.site_id:
        _refuse_outside_permits(shift)
    confirmed = Signup.objects.filter(shift=shift, status=Signup.Status.CONFIRMED).count()
    if shift.capacity < confirmed:
        raise EventError(
            _("%(count)s volunteers are already confirmed for this shift, so it needs room for "
              "at least %(count)s. Move or remove volunteers first.") % {"count": confirmed},
            field="capacity",
        )
    moved = before != (shift.starts_at, shift.ends_at)
    if moved:
        shift.sequence += 1
    shift.save()
    if moved:
        outbox.shift_changed(shift)
    if shift.capacity > confirmed:
        from volunteers.services.signups import shift_fill_from_waitlist

        shift_fill_from_waitlist(shift=shift)
    return shift


@transaction.atomic
def shift_cancel(*, shift: Shift, by: User | None) -> Shift:
    """Cancel one shift: ``outbox.shift_cancelled`` is called while its sign-ups are still
    live, then they are marked cancelled (kept, with a record each)."""
    shift = (
        Shift.objects.select_for_update(no_key=True, of=("self",))
        .select_related("event").get(pk=shift.pk)
    )
    if shift.is_cancelled:
        return shift
    shift.is_cancelled = True
    shift.sequence += 1
    shift.save(update_fields=["is_cancelled", "sequence"])
    outbox.shift_cancelled(shift)
    _cancel_signups(shift, by=by, detail=_("Shift cancelled: %(shift)s") % {"shift": shift.label})
    return shift


SERIES_FIELDS = ("kind", "title", "description", "venue_name", "address", "visibility",
                 "title_es", "description_es")


@transaction.atomic
def series_create(
    *,
    by: User | None,
    rrule: str,
    first_start: datetime.datetime,
    duration: datetime.timedelta,
    publish: bool = False,
    contact: User | None = None,
    **fields,
) -> EventSeries:
    """Create a recurring series and one Event per occurrence the rule gives (up to COUNT or
    UNTIL, else twelve months), each keeping the rule's start as ``occurrence_start`` so it
    can later be moved or cancelled on its own."""
    _unknown(fields, SERIES_FIELDS)
    if duration <= datetime.timedelta(0):
        raise EventError(_("The event must end after it starts."), field="end_time")
    try:
        parts = recurrence.normalize_rule(rrule)
        starts = recurrence.expand(rrule, start=first_start)
    except recurrence.RuleError as error:
        raise EventError(str(error), field="rrule") from error
    series = EventSeries(
        rrule=recurrence.rule_text(parts), first_start=starts[0], duration=duration,
        created_by=by, **fields,
    )
    if not series.title.strip():
        raise EventError(_("Give the event a title."), field="title")
    series.save()
    occurrences = [
        Event(
            series=series, occurrence_start=start, starts_at=start,
            ends_at=recurrence.local_end(start, duration),
            status=Event.Status.PUBLISHED if publish else Event.Status.DRAFT,
            contact=contact or by, created_by=by, **fields,
        )
        for start in starts
    ]
    for occurrence in occurrences:
        _validate_event(occurrence)
    Event.objects.bulk_create(occurrences)
    return series


@transaction.atomic
def series_publish(*, series: EventSeries, by: User | None) -> int:
    """Publish every draft occurrence of a series; returns how many. One UPDATE, which sends
    no signals: the cached public pages, the events' own pages and the public feed are told
    here, after the commit, as a saved event would tell them (events.receivers,
    events.feed_versions)."""
    drafts = series.occurrences.filter(status=Event.Status.DRAFT)
    event_ids = list(drafts.values_list("pk", flat=True))
    count = drafts.filter(pk__in=event_ids).update(
        status=Event.Status.PUBLISHED, updated_at=timezone.now()
    )
    if count:
        transaction.on_commit(public_pages_changed)
        transaction.on_commit(feeds_changed)
        for event_id in event_ids:
            transaction.on_commit(partial(event_pages_changed, event_id))
    return count


def rsvp_refusal(event: Event) -> str | None:
    """Why nobody can RSVP to this event now (fullness aside), or None when they can."""
    if event.kind not in RSVP_KINDS:
        return _("This event takes sign-ups by shift, not RSVPs.")
    if event.is_cancelled:
        return _("This event is cancelled.")
    if event.status != Event.Status.PUBLISHED:
        return _("This event is not open for RSVPs yet.")
    if event.starts_at <= timezone.now():
        return _("This event has already started.")
    return None


@transaction.atomic
def rsvp_create(*, event: Event, user: User) -> Rsvp:
    """RSVP ``user`` to an awareness event, training or meeting. The event row is locked
    before counting, so concurrent RSVPs never pass ``rsvp_capacity``; an existing RSVP is
    returned unchanged and a cancelled one comes back. Side effect: an ``rsvp_confirmation``
    e-mail with a calendar invite, queued in the outbox in this transaction."""
    event = Event.objects.select_for_update(no_key=True).get(pk=event.pk)
    refusal = rsvp_refusal(event)
    if refusal:
        raise EventError(refusal)
    rsvp = Rsvp.objects.filter(event=event, user=user).first()
    if rsvp is not None and rsvp.status == Rsvp.Status.GOING:
        return rsvp
    if event.rsvp_capacity is not None:
        going = Rsvp.objects.filter(event=event, status=Rsvp.Status.GOING).count()
        if going >= event.rsvp_capacity:
            raise EventError(_("Sorry, this event is full."))
    if rsvp is None:
        rsvp = Rsvp.objects.create(event=event, user=user)
    else:
        rsvp.status = Rsvp.Status.GOING
        rsvp.created_at = timezone.now()
        rsvp.save(update_fields=["status", "created_at"])
    outbox.rsvp_going(rsvp)
    return rsvp


@transaction.atomic
def rsvp_cancel(*, event: Event, user: User) -> Rsvp | None:
    """Withdraw an RSVP (kept as cancelled). Without one, nothing happens. Side effect: an
    ``rsvp_cancelled`` e-mail whose calendar CANCEL removes the invite, queued in the outbox
    in this transaction."""
    rsvp = Rsvp.objects.select_for_update().filter(event=event, user=user).first()
    if rsvp is None or rsvp.status == Rsvp.Status.CANCELLED:
        return rsvp
    if event.starts_at <= timezone.now():
        raise EventError(_("This event has already started."))
    rsvp.status = Rsvp.Status.CANCELLED
    rsvp.save(update_fields=["status"])
    outbox.rsvp_withdrawn(rsvp)
    return rsvp
