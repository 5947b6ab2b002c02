"""Reads shared by the event pages, built so that their query count does not grow with rows."""

import datetime
import functools
from dataclasses import dataclass, field, replace

from django.db.models import Count, F, Q, QuerySet
from django.db.models.expressions import RawSQL
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


# The place in line of a waiting sign-up, as ``volunteers.selectors.with_waitlist_position``
# counts it (1 + those waiting on the same shift since earlier, ties by id), as one plain
# subquery: built by the ORM, that annotation was half the Python of ``viewer_places``.
# tests/events/test_event_page_shared.py checks it against with_waitlist_position.
WAITLIST_POSITION_SQL = (
    "SELECT COUNT(*) + 1 FROM volunteers_signup ahead "
    "WHERE ahead.shift_id = volunteers_signup.shift_id AND ahead.status = %s "
    "AND (ahead.waitlisted_at < volunteers_signup.waitlisted_at "
    "OR (ahead.waitlisted_at = volunteers_signup.waitlisted_at "
    "AND ahead.id < volunteers_signup.id))"
)


@functools.cache
def _live_places() -> QuerySet:
    """Live sign-ups with their shift, waitlist position, and what the page shows of their
    event (title, status): built once (a QuerySet that is only ever cloned), as building it
    cost a third of ``viewer_places``; the event's own 30 columns are not selected."""
    from volunteers.models import Signup
    from volunteers.selectors import ACTIVE

    return Signup.objects.filter(status__in=ACTIVE).select_related("shift").annotate(
        waitlist_position=RawSQL(  # noqa: S611 (a constant statement, its value a parameter)
            WAITLIST_POSITION_SQL, (Signup.Status.WAITLISTED,)),
        event_title=F("shift__event__title"),
        event_title_es=F("shift__event__title_es"),
        event_status=F("shift__event__status"),
    )


EVENT_SEEN = ["id", "title", "title_es", "status"]  # what the page shows of another event


def viewer_places(*, user, event: Event) -> tuple[dict, tuple]:
    """The viewer's live places in one query: ``{shift_id: Signup}`` on the event's shifts,
    with waitlist positions (the sign-up boxes), and ``(start, end, places)``: their places
    on any event during this one that are not cancelled, earliest first (what the overlap
    rule counts, as ``volunteers.selectors.overlapping_signups``; for ``Eligibility``). A
    place on another event carries that event's title and status only (other fields are
    read from the database if ever asked for)."""
    if not user.is_authenticated:
        return {}, (event.starts_at, event.ends_at, [])
    signups = _live_places().filter(
        Q(shift__event=event)
        | Q(shift__starts_at__lt=event.ends_at, shift__ends_at__gt=event.starts_at),
        volunteer=user,
    )
    mine, nearby, others = {}, [], {}
    for signup in signups:
        shift = signup.shift
        if shift.event_id == event.pk:
            shift.event = event  # the page's, with its contact (for the cancel refusal)
            mine[shift.pk] = signup
        else:
            other = others.get(shift.event_id)
            if other is None:
                other = others[shift.event_id] = Event.from_db(None, EVENT_SEEN, [
                    shift.event_id, signup.event_title, signup.event_title_es,
                    signup.event_status])
            shift.event = other
        if not shift.is_cancelled and shift.event.status != Event.Status.CANCELLED:
            nearby.append(signup)
    nearby.sort(key=lambda signup: (signup.shift.starts_at, signup.pk))
    return mine, (event.starts_at, event.ends_at, nearby)


def event_shifts(*, event: Event) -> list[Shift]:
    """Every shift of the event with fill counts, site and team, in the page's order: one
    query whatever the number of shifts or sign-ups. (The few trainings are fetched apart:
    joined, their columns would come back on each of 300 rows.)"""
    shifts = list(shifts_with_fill(Shift.objects.filter(event=event)
                                   .select_related("site", "held_for"))
                  .order_by("starts_at", "role", "pk"))
    for shift in shifts:
        shift.event = event  # already loaded: no query per shift
    return shifts


def by_local_day(shifts: list) -> list[tuple[datetime.date, list]]:
    """``shifts`` (in time order) grouped by the local day they start on."""
    days: list[tuple[datetime.date, list]] = []
    local_days = {start: timezone.localtime(start).date()
                  for start in {shift.starts_at for shift in shifts}}
    for shift in shifts:
        day = local_days[shift.starts_at]
        if not days or days[-1][0] != day:
            days.append((day, []))
        days[-1][1].append(shift)
    return days


@dataclass
class Requirements:
    """What the shifts of an event ask of volunteers. What every shift asks (``min_age``,
    ``training``) is said once above the list, so a 300-shift page does not repeat it.
    Kept with the shared part of the event page as ids; ``for_viewer`` adds the trainings
    themselves, with the viewer's attendance."""

    min_age: int | None
    training_id: int | None  # the training every shift needs
    training_ids: list[int]  # every required training, in the order the shifts name them
    by_id: dict[int, Event] = field(default_factory=dict)
    # The viewer's places at any event during this one (the overlap rule), when known:
    # events.selectors.viewer_places.
    clashes: tuple | None = None

    @property
    def training(self) -> Event | None:
        return self.by_id.get(self.training_id) if self.training_id else None

    @property
    def trainings(self) -> list[Event]:
        """The trainings that some shifts need (marked "training"), when not one for all."""
        if self.training:
            return []
        return [self.by_id[pk] for pk in self.training_ids if pk in self.by_id]

    def for_viewer(self, user, *, clashes: tuple | None = None) -> "Requirements":
        """A copy with the required trainings, each with the viewer's attendance (one query
        when any shift needs a training), and the viewer's ``clashes``."""
        from volunteers.selectors import trainings_for

        by_id = (trainings_for(training_ids=self.training_ids, user=user)
                 if self.training_ids else {})
        return replace(self, by_id=by_id, clashes=clashes)


def shift_requirements(shifts: list) -> Requirements:
    ages = {shift.min_age for shift in shifts}
    training_ids = {shift.required_training_id for shift in shifts}
    named = list(dict.fromkeys(shift.required_training_id for shift in shifts
                               if shift.required_training_id))
    return Requirements(
        min_age=ages.pop() if len(ages) == 1 else None,
        training_id=training_ids.pop() if len(training_ids) == 1 else None,
        training_ids=named,
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
