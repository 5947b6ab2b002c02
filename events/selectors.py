"""Reads shared by the event pages, built so that their query count does not grow with rows."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import Event, EventSeries, Rsvp, Shift


def visible_events(*, user) -> QuerySet[Event]:
    """Events this person may see: published public ones; members-only ones for anyone
    logged in; drafts only for organizers."""
    from volunteers.rules import is_organizer

    if user.is_authenticated and is_organizer(user):
        return Event.objects.all()
    events = Event.objects.exclude(status=Event.Status.DRAFT)
    if not user.is_authenticated:
        events = events.filter(visibility=Event.Visibility.PUBLIC)
    return events


def upcoming_events(*, user, kind: str | None = None) -> QuerySet[Event]:
    events = visible_events(user=user).filter(ends_at__gte=timezone.now())
    if kind:
        events = events.filter(kind=kind)
    return events.exclude(status=Event.Status.DRAFT).order_by("starts_at", "pk")


def shifts_with_fill(shifts: QuerySet[Shift]) -> QuerySet[Shift]:
    """Annotate each shift with ``confirmed_count`` and ``waitlist_count``."""
    return shifts.annotate(
        confirmed_count=Count("signups", filter=Q(signups__status="confirmed"), distinct=True),
        waitlist_count=Count("signups", filter=Q(signups__status="waitlisted"), distinct=True),
    )


def with_rsvp_count(events: QuerySet[Event]) -> QuerySet[Event]:
    return events.annotate(
        going_count=Count("rsvps", filter=Q(rsvps__status=Rsvp.Status.GOING), distinct=True)
    )


def home_context(*, user) -> dict:
    return {"upcoming": list(upcoming_events(user=user)[:6])}


@dataclass
class ShiftDay:
    """The shifts of one local day of an event, each paired with the viewer's sign-up."""

    day: datetime.date
    rows: list = field(default_factory=list)


def my_signups(*, user, event: Event) -> dict:
    """``{shift_id: Signup}``: the viewer's live sign-ups on the event's shifts, with
    waitlist positions, in one query (the sign-up box's own selector)."""
    from volunteers.selectors import signups_by_shift

    return signups_by_shift(user=user, event=event)


def event_shift_days(*, event: Event, user) -> list[ShiftDay]:
    """Every shift of the event with fill counts, required training and the viewer's
    sign-up, grouped by local day: at most three queries whatever the number of shifts or
    sign-ups. (The few trainings are fetched apart: joined, their columns would come back on
    each of 300 rows.)"""
    from volunteers.selectors import trainings_for

    shifts = list(shifts_with_fill(Shift.objects.filter(event=event)
                                   .select_related("site", "held_for"))
                  .order_by("starts_at", "role", "pk"))
    training_ids = {shift.required_training_id for shift in shifts} - {None}
    # With the viewer's attendance and RSVP: the sign-up boxes say who may take what.
    trainings = trainings_for(training_ids=training_ids, user=user) if training_ids else {}
    mine = my_signups(user=user, event=event)
    days: list[ShiftDay] = []
    local_days = {start: timezone.localtime(start).date()
                  for start in {shift.starts_at for shift in shifts}}
    for shift in shifts:
        shift.event = event  # already loaded: no query per shift
        if shift.required_training_id:
            shift.required_training = trainings[shift.required_training_id]
        day = local_days[shift.starts_at]
        if not days or days[-1].day != day:
            days.append(ShiftDay(day=day))
        days[-1].rows.append((shift, mine.get(shift.pk)))
    return days


@dataclass
class Requirements:
    """What the shifts of an event ask of volunteers. What every shift asks (``min_age``,
    ``training``) is said once above the list, so a 300-shift page does not repeat it."""

    min_age: int | None
    training: Event | None
    trainings: list[Event]


def shift_requirements(days: list[ShiftDay]) -> Requirements:
    shifts = [shift for day in days for shift, _mine in day.rows]
    ages = {shift.min_age for shift in shifts}
    training_ids = {shift.required_training_id for shift in shifts}
    trainings = {shift.required_training_id: shift.required_training
                 for shift in shifts if shift.required_training_id}
    common_training = trainings.get(training_ids.pop()) if len(training_ids) == 1 else None
    return Requirements(
        min_age=ages.pop() if len(ages) == 1 else None,
        training=common_training,
        trainings=[] if common_training else list(trainings.values()),
    )


def my_rsvp(*, user, event: Event) -> Rsvp | None:
    if not user.is_authenticated:
        return None
    return Rsvp.objects.filter(event=event, user=user).first()


def organizer_events(*, status: str = "", kind: str = "", when: str = "") -> QuerySet[Event]:
    """Every event for the organizer list, newest plans first, with shift counts."""
    events = Event.objects.select_related("series").annotate(
        shift_count=Count("shifts", filter=Q(shifts__is_cancelled=False))
    )
    if status in Event.Status.values:
        events = events.filter(status=status)
    if kind:
        events = events.filter(kind=kind)
    now = timezone.now()
    if when == "past":
        return events.filter(ends_at__lt=now).order_by("-starts_at", "-pk")
    if when == "upcoming":
        events = events.filter(ends_at__gte=now)
    return events.order_by("starts_at", "pk")


def series_occurrences(series: EventSeries) -> QuerySet[Event]:
    return series.occurrences.order_by("occurrence_start", "pk")
