"""Reads shared by the sign-up, team, check-in and board pages. Each runs a fixed number of
queries, however many shifts, sign-ups or members there are."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from events.models import Event, Rsvp, Shift
from events.selectors import shifts_with_fill

from . import rows as sql_rows
from .models import Signup, Team, TeamMembership, User
from .rules import captain_scope, captained_team_ids, is_organizer
from .services.checkin import ZERO, signup_hours

ACTIVE = (Signup.Status.CONFIRMED, Signup.Status.WAITLISTED)


def with_waitlist_position(signups: QuerySet[Signup]) -> QuerySet[Signup]:
    """Annotate ``waitlist_position`` (1 = next to be promoted) on waitlisted sign-ups."""
    ahead = (
        Signup.objects.filter(shift=OuterRef("shift"), status=Signup.Status.WAITLISTED)
        .filter(
            Q(waitlisted_at__lt=OuterRef("waitlisted_at"))
            | Q(waitlisted_at=OuterRef("waitlisted_at"), pk__lt=OuterRef("pk"))
        )
        .order_by()
        .values("shift")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return signups.annotate(
        waitlist_position=Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0)) + 1
    )


def waitlist_position(signup: Signup) -> int | None:
    if signup.status != Signup.Status.WAITLISTED:
        return None
    cached = getattr(signup, "waitlist_position", None)
    if cached is not None:
        return cached
    return with_waitlist_position(Signup.objects.filter(pk=signup.pk)).values_list(
        "waitlist_position", flat=True
    ).first()


def signups_by_shift(*, user, shifts=None, event: Event | None = None) -> dict[int, Signup]:
    """The person's active sign-up on each of these shifts (or on every shift of
    ``event``), keyed by shift id, with its waitlist position: one query, for pages that list
    shifts with the sign-up box."""
    if not user.is_authenticated:
        return {}
    signups = Signup.objects.filter(volunteer=user, status__in=ACTIVE)
    if event is None:
        signups = signups.filter(shift_id__in=[shift.pk for shift in shifts])
        return {signup.shift_id: signup for signup in with_waitlist_position(signups)}
    # The same query also brings the person's places on other events during this one: the
    # event page's overlap rule (volunteers.eligibility) reads them from the user object,
    # so the page answers "can I take this shift?" without one more query.
    signups = with_waitlist_position(
        signups.filter(
            Q(shift__event=event)
            | Q(shift__starts_at__lt=event.ends_at, shift__ends_at__gt=event.starts_at)
        ).select_related("shift__event")
    )
    mine, nearby = {}, []
    for signup in signups:
        if signup.shift.event_id == event.pk:
            mine[signup.shift_id] = signup
        if not signup.shift.is_cancelled and signup.shift.event.status != Event.Status.CANCELLED:
            nearby.append(signup)
    nearby.sort(key=lambda signup: (signup.shift.starts_at, signup.pk))
    user._overlapping_signups = (event.starts_at, event.ends_at, nearby)
    return mine


def trainings_for(*, training_ids, user) -> dict[int, Event]:
    """The required trainings by id, each with ``viewer_attended`` (present at one of its
    shifts, or marked attended on its RSVP list, as ``services.signups.has_attended``) and
    ``viewer_going`` (an RSVP saying going) for a logged-in viewer: one query."""
    trainings = Event.objects.filter(pk__in=list(training_ids))
    if user.is_authenticated:
        rsvps = Rsvp.objects.filter(event=OuterRef("pk"), user=user)
        trainings = trainings.annotate(
            viewer_attended=Exists(rsvps.filter(attended=True)) | Exists(
                Signup.objects.filter(shift__event=OuterRef("pk"), volunteer=user,
                                      attendance=Signup.Attendance.PRESENT)),
            viewer_going=Exists(rsvps.filter(status=Rsvp.Status.GOING)),
        )
    return {training.pk: training for training in trainings}


def overlapping_signups(*, user, starts_at, ends_at) -> list[Signup]:
    """The person's live places (confirmed or waiting) on shifts that overlap the span from
    ``starts_at`` to ``ends_at``, on any event, earliest first, with shift and event: one
    query (what the overlap rule of ``services.signups`` counts)."""
    if not user.is_authenticated:
        return []
    known = getattr(user, "_overlapping_signups", None)  # left by signups_by_shift(event=)
    if known is not None and known[0] <= starts_at and ends_at <= known[1]:
        return [signup for signup in known[2]
                if signup.shift.starts_at < ends_at and signup.shift.ends_at > starts_at]
    return list(
        Signup.objects.filter(
            volunteer=user, status__in=ACTIVE, shift__starts_at__lt=ends_at,
            shift__ends_at__gt=starts_at, shift__is_cancelled=False,
        )
        .exclude(shift__event__status=Event.Status.CANCELLED)
        .select_related("shift__event")
        .order_by("shift__starts_at", "pk")
    )


def shift_for_signup(shift_pk: int) -> Shift | None:
    """The shift a volunteer presses "Sign up" on, carrying ``confirmed_count`` (the hint
    that lets a waitlist join take the lighter lock: ``signup_create``) and its event; None
    when there is no such shift. One statement written out and read by ``volunteers.rows`` (the ORM
    compiling a join and a subquery cost 1.1 ms of Python per sign-up; two statements read
    by ``raw()``, 0.85 ms)."""
    sql = (f"SELECT {sql_rows.columns(Shift, 's')}, {sql_rows.columns(Event, 'e')}, "  # noqa: S608
           "(SELECT count(*) FROM volunteers_signup g WHERE g.shift_id = s.id "
           "AND g.status = %s) FROM events_shift s JOIN events_event e ON e.id = s.event_id "
           "WHERE s.id = %s")
    with sql_rows.cursor() as cursor:
        cursor.execute(sql, sql_rows.adapt([Signup.Status.CONFIRMED, shift_pk]))
        row = cursor.fetchone()
    if row is None:
        return None
    shift, end = sql_rows.build(Shift, row)
    shift.event, end = sql_rows.build(Event, row, end)
    shift.confirmed_count = row[end]
    return shift


def shift_for_partial(shift_pk: int) -> Shift:
    return shifts_with_fill(
        Shift.objects.filter(pk=shift_pk).select_related("event__contact", "site", "held_for")
    ).get()


# --- My shifts --------------------------------------------------------------------------


@dataclass
class MyShifts:
    upcoming: list[Signup]
    past: list[Signup]
    total_hours: Decimal
    rsvps_upcoming: list[Rsvp] = field(default_factory=list)
    rsvps_past: list[Rsvp] = field(default_factory=list)
    # Buckets the person holds now and whose shift card is not on the page (donations).
    held_buckets: list = field(default_factory=list)


# What the cards and the past-shifts table of My shifts read of each sign-up, its shift,
# event (and contact), site and teams. A person's 200 sign-ups came to 1,400 model rows of
# every column, and building them was a third of the page's time (psycopg parses each date
# and time in Python); a column read by the page and missing here costs a query per card.
MY_SHIFTS_COLUMNS = (
    "shift", "volunteer_id", "status", "team", "attendance", "hours_override",
    "shift__event", "shift__role", "shift__title", "shift__title_es", "shift__starts_at",
    "shift__ends_at", "shift__site", "shift__held_for", "shift__is_cancelled",
    "shift__event__title", "shift__event__title_es", "shift__event__status",
    "shift__event__cancel_cutoff_hours", "shift__event__venue_name", "shift__event__address",
    "shift__event__latitude", "shift__event__longitude", "shift__event__contact",
    "shift__event__contact__display_name", "shift__event__contact__email",
    "shift__event__contact__phone",
    "shift__site__name", "shift__site__address", "shift__site__latitude",
    "shift__site__longitude", "shift__site__safety_notes", "shift__site__safety_notes_es",
    "shift__held_for__name", "team__name",
)


def my_shifts(*, user: User, now=None) -> MyShifts:
    """The volunteer's upcoming places (confirmed or waiting) and past confirmed shifts,
    each with ``hours``, and their RSVPs (going, or attended); three queries, and one more
    for someone on a waitlist (``waitlist_position``). Only the columns the page shows are
    loaded (``MY_SHIFTS_COLUMNS``)."""
    now = now or timezone.now()
    signups = (
        Signup.objects.filter(volunteer=user)
        .filter(Q(status__in=ACTIVE) | Q(hours_override__isnull=False))
        .select_related("shift__event__contact", "shift__site", "shift__held_for", "team")
        .only(*MY_SHIFTS_COLUMNS)
        .order_by("shift__starts_at", "pk")
    )
    upcoming, past = [], []
    total = ZERO
    for signup in signups:
        signup.hours = signup_hours(signup)
        if signup.shift.ends_at > now and signup.status in ACTIVE:
            upcoming.append(signup)
        elif signup.status == Signup.Status.CONFIRMED or signup.hours_override is not None:
            past.append(signup)
            total += signup.hours
    waiting = {s.pk: s for s in upcoming if s.status == Signup.Status.WAITLISTED}
    if waiting:
        positions = with_waitlist_position(Signup.objects.filter(pk__in=list(waiting)))
        for pk, position in positions.values_list("pk", "waitlist_position"):
            waiting[pk].waitlist_position = position
    past.reverse()
    with_crew(upcoming, user=user)
    rsvps_upcoming, rsvps_past = [], []
    rsvps = (
        Rsvp.objects.filter(user=user)
        .filter(Q(status=Rsvp.Status.GOING) | Q(attended=True))
        .exclude(event__status=Event.Status.DRAFT)
        .select_related("event")
        .order_by("event__starts_at", "pk")
    )
    for rsvp in rsvps:
        if rsvp.event.ends_at > now and rsvp.status == Rsvp.Status.GOING:
            rsvps_upcoming.append(rsvp)
        elif rsvp.event.ends_at <= now:
            rsvps_past.append(rsvp)
    rsvps_past.reverse()
    mine = MyShifts(upcoming=upcoming, past=past, total_hours=total,
                    rsvps_upcoming=rsvps_upcoming, rsvps_past=rsvps_past)
    with_held_buckets(mine, user=user)
    return mine


def with_held_buckets(mine: MyShifts, *, user: User) -> MyShifts:
    """The street buckets the person holds now (they are the holder of the bucket's latest
    custody step): each on the card of its shift (``signup.held_buckets``), the others in
    ``mine.held_buckets``. One query, and none for someone without a street shift."""
    for signup in mine.upcoming:
        signup.held_buckets = []
    if not any(s.shift.site_id for s in mine.upcoming + mine.past):
        return mine
    from django.db.models import F

    from donations.models import CustodyEvent

    latest = (CustodyEvent.objects.filter(bucket_id=OuterRef("bucket_id"))
              .order_by("-at", "-pk").values("pk")[:1])
    steps = (
        CustodyEvent.objects.filter(holder=user, kind__in=[CustodyEvent.Kind.ISSUED,
                                                           CustodyEvent.Kind.HANDED_OVER])
        .annotate(latest_pk=Subquery(latest)).filter(pk=F("latest_pk"))
        .select_related("bucket").order_by("bucket__number")
    )
    cards = {s.shift_id: s for s in mine.upcoming if s.status == Signup.Status.CONFIRMED}
    for step in steps:
        card = cards.get(step.shift_id)
        (card.held_buckets if card else mine.held_buckets).append(step.bucket)
    return mine


def first_name(person: User) -> str:
    """What teammates see of each other: the first word of the display name (never the
    e-mail address); "" when the person has set no name."""
    return first_name_of(person.display_name)


def first_name_of(display_name: str | None) -> str:
    words = (display_name or "").split()
    return words[0] if words else ""


@dataclass(frozen=True)
class Captain:
    name: str
    phone: str
    team: str


def with_crew(signups: list[Signup], *, user: User) -> list[Signup]:
    """On each of the person's own sign-ups, whom they stand with: ``teammates`` (first
    names of the others confirmed on the same shift), ``unnamed_teammates`` (how many more
    have set no name) and ``captains`` (name and phone of the captains of the team holding
    the shift, or of the team the sign-up was made through). Teammates and phones are for
    people confirmed on the shift only; a waiting place gets empty lists. Two queries."""
    confirmed = [s for s in signups if s.status == Signup.Status.CONFIRMED]
    for signup in signups:
        signup.teammates, signup.unnamed_teammates, signup.captains = [], 0, []
    if not confirmed:
        return signups
    by_shift: dict[int, list[Signup]] = {}
    for signup in confirmed:
        by_shift.setdefault(signup.shift_id, []).append(signup)
    others = (
        Signup.objects.filter(shift_id__in=list(by_shift), status=Signup.Status.CONFIRMED)
        .exclude(volunteer=user)
        .order_by("confirmed_at", "pk")
        .values_list("shift_id", "volunteer__display_name")
    )
    for shift_id, display_name in others:
        name = first_name_of(display_name)
        for signup in by_shift[shift_id]:
            if name:
                signup.teammates.append(name)
            else:
                signup.unnamed_teammates += 1
    team_ids = {s.shift.held_for_id or s.team_id for s in confirmed} - {None}
    if team_ids:
        captains: dict[int, list[Captain]] = {}
        memberships = (
            TeamMembership.objects.filter(team_id__in=team_ids, is_captain=True)
            .exclude(user=user)
            .select_related("user", "team")
            .only("team", "team__name", "user", "user__display_name", "user__email",
                  "user__phone")
            .order_by("team_id", "joined_at", "pk")
        )
        for membership in memberships:
            captains.setdefault(membership.team_id, []).append(
                Captain(name=membership.user.name, phone=membership.user.phone,
                        team=membership.team.name)
            )
        for signup in confirmed:
            team_id = signup.shift.held_for_id or signup.team_id
            signup.captains = captains.get(team_id, [])
    return signups


# --- Teams ------------------------------------------------------------------------------


def teams_for(*, user: User) -> QuerySet[Team]:
    """Organizers: every team. Everyone else: the teams they belong to (captained or not)."""
    teams = Team.objects.annotate(member_count=Count("memberships", distinct=True))
    if not is_organizer(user):
        teams = teams.filter(memberships__user=user)
    return teams.prefetch_related(
        Prefetch(
            "memberships",
            queryset=TeamMembership.objects.filter(is_captain=True).select_related("user"),
            to_attr="captain_memberships",
        )
    ).order_by("name")


def team_members(team: Team) -> list[TeamMembership]:
    """The team's members, captains first, with what the team page shows of each person
    (name, e-mail, phone, emergency contact) and nothing else of the user row."""
    return list(
        team.memberships.select_related("user")
        .only("team_id", "is_captain", "user", "user__display_name", "user__email",
              "user__phone", "user__emergency_contact_name", "user__emergency_contact_phone")
        .order_by("-is_captain", "user__display_name", "user__email")
    )


TEAM_SIGNUP_HORIZON = datetime.timedelta(days=120)


def team_upcoming_shifts() -> QuerySet[Shift]:
    """Shifts a captain may sign a team up for: open, published, starting in the next four
    months (not sliced, so a form can validate a choice against it)."""
    now = timezone.now()
    return (
        Shift.objects.filter(
            starts_at__gt=now,
            starts_at__lt=now + TEAM_SIGNUP_HORIZON,
            is_cancelled=False,
            event__status=Event.Status.PUBLISHED,
        )
        .select_related("event")
        .order_by("starts_at", "event_id", "pk")
    )


def team_signup_shifts(team: Team) -> QuerySet[Shift]:
    """What a captain may sign ``team`` up for: the upcoming shifts held for the team first,
    then the open ones; shifts held for another team are left out."""
    return (
        team_upcoming_shifts()
        .filter(Q(held_for__isnull=True) | Q(held_for=team))
        .select_related("site", "held_for")
        .annotate(held_here=Exists(Team.objects.filter(pk=team.pk, held_shifts=OuterRef("pk"))))
        .order_by("-held_here", "starts_at", "event_id", "pk")
    )


def team_held_shifts(team: Team, *, now=None) -> list[Shift]:
    """The upcoming shifts held for ``team``, with event, site and ``confirmed_count`` (of
    ``needed``): one query, of the columns the team page shows."""
    now = now or timezone.now()
    return list(
        Shift.objects.filter(held_for=team, ends_at__gt=now, is_cancelled=False)
        .exclude(event__status=Event.Status.CANCELLED)
        .annotate(confirmed_count=Count(
            "signups", filter=Q(signups__status=Signup.Status.CONFIRMED)))
        .select_related("event", "site")
        .only("event", "site", "role", "title", "title_es", "starts_at", "ends_at", "needed",
              "event__title", "event__title_es", "event__venue_name", "site__name")
        .order_by("starts_at", "pk")
    )


# --- Shift board, rosters, check-in -----------------------------------------------------


def visible_signups(*, viewer: User, signups: QuerySet[Signup]) -> QuerySet[Signup]:
    """Organizers see every sign-up; captains only their own teams' people."""
    if is_organizer(viewer):
        return signups
    if not captained_team_ids(viewer):
        return signups.none()
    return signups.filter(captain_scope(viewer))


@dataclass
class BoardShift:
    """A shift and its roster: sign-ups for the roster page, volunteers' names for the
    board (``event_board``)."""

    shift: Shift
    confirmed: list[Signup] | list[str] = field(default_factory=list)
    waiting: list[Signup] | list[str] = field(default_factory=list)

    @property
    def unfilled(self) -> bool:
        return not self.shift.is_cancelled and self.shift.confirmed_count < self.shift.needed

    @property
    def full(self) -> bool:
        return self.shift.confirmed_count >= self.shift.capacity

    @property
    def missing(self) -> int:
        return max(self.shift.needed - self.shift.confirmed_count, 0)

    @property
    def open_places(self) -> int:
        return max(self.shift.capacity - self.shift.confirmed_count, 0)


@dataclass
class Board:
    event: Event
    shifts: list[BoardShift]

    @property
    def unfilled_count(self) -> int:
        return sum(1 for row in self.shifts if row.unfilled)

    @property
    def needed(self) -> int:
        return sum(row.shift.needed for row in self.shifts if not row.shift.is_cancelled)

    @property
    def confirmed(self) -> int:
        return sum(row.shift.confirmed_count for row in self.shifts if not row.shift.is_cancelled)

    @property
    def waiting(self) -> int:
        return sum(row.shift.waitlist_count for row in self.shifts)


def _roster_signups(viewer: User, signups: QuerySet[Signup]) -> QuerySet[Signup]:
    """Visible sign-ups with their people and true waitlist positions (counted over all
    waiting volunteers, also those a captain does not see), confirmed first by time."""
    return with_waitlist_position(
        visible_signups(viewer=viewer, signups=signups)
        .select_related("volunteer", "team")
        .order_by("confirmed_at", "waitlisted_at", "pk")
    )


def event_board(*, event: Event, viewer: User) -> Board:
    """Every shift of the event with its fill, and the names on its roster the viewer may
    see (confirmed by time, then waiting in order): two queries whatever the size of the
    event. Names, not sign-up objects: building 2,000 model instances for a 1,000-sign-up
    day took longer than the rest of the page."""
    shifts = list(shifts_with_fill(event.shifts.all()).order_by("starts_at", "role", "pk"))
    rows = {shift.pk: BoardShift(shift) for shift in shifts}
    names = (
        visible_signups(
            viewer=viewer,
            signups=Signup.objects.filter(shift__event=event, status__in=ACTIVE),
        )
        .order_by("confirmed_at", "waitlisted_at", "pk")
        .values_list("shift_id", "status", "volunteer__display_name", "volunteer__email")
    )
    for shift_id, status, display_name, email in names:
        row = rows[shift_id]
        name = display_name or email.split("@")[0]  # as User.name
        (row.confirmed if status == Signup.Status.CONFIRMED else row.waiting).append(name)
    return Board(event=event, shifts=list(rows.values()))


def shift_roster(*, shift: Shift, viewer: User) -> BoardShift:
    """One shift's roster (confirmed, then waiting in order) as the viewer may see it."""
    row = BoardShift(shift)
    signups = _roster_signups(viewer, Signup.objects.filter(shift=shift, status__in=ACTIVE))
    for signup in signups:
        signup.shift = shift
        signup.hours = signup_hours(signup)
        (row.confirmed if signup.status == Signup.Status.CONFIRMED else row.waiting).append(
            signup
        )
    return row


def checkin_list(*, shift: Shift, viewer: User) -> list[Signup]:
    """Confirmed volunteers of the shift the viewer may check in, by name."""
    signups = visible_signups(
        viewer=viewer,
        signups=Signup.objects.filter(shift=shift, status=Signup.Status.CONFIRMED),
    ).select_related("volunteer", "team")
    rows = sorted(signups, key=lambda s: (s.volunteer.name.lower(), s.pk))
    for signup in rows:
        signup.shift = shift
        signup.hours = signup_hours(signup)
    return rows


def roster_for_csv(*, event: Event) -> QuerySet[Signup]:
    """Every active sign-up of the event for the organizers' roster export: one query."""
    return (
        Signup.objects.filter(shift__event=event, status__in=ACTIVE)
        .select_related("shift", "volunteer", "team")
        .order_by("shift__starts_at", "shift__role", "shift_id", "status", "waitlisted_at",
                  "confirmed_at", "pk")
    )


def signup_history(signup: Signup) -> list:
    return list(signup.changes.select_related("by").order_by("at", "pk"))
