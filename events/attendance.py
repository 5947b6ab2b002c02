"""An event's RSVP list for organizers: who is coming, who came, and walk-ins.

Marking someone attended on a training's RSVP list is what lets them take shifts that
require the training (``volunteers.services.signups.has_attended`` reads ``Rsvp.attended``).
Writes run in one transaction with the RSVP (or, for a walk-in, the event) row locked and
record who marked and when; reads are built so the list's query count does not grow with
its rows."""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from volunteers.models import User
from volunteers.rules import is_organizer
from volunteers.services.checkin import CHECKIN_OPENS_BEFORE

from .models import Event, Rsvp
from .services import EventError

SEARCH_MIN_LENGTH = 2
SEARCH_LIMIT = 10


# --- Reads ------------------------------------------------------------------------------


@dataclass
class RsvpList:
    event: Event
    going: list[Rsvp] = field(default_factory=list)
    not_going: list[Rsvp] = field(default_factory=list)

    @property
    def attended(self) -> int:
        return sum(1 for rsvp in self.going if rsvp.attended)

    @property
    def no_shows(self) -> int:
        return sum(1 for rsvp in self.going if rsvp.no_show)

    @property
    def unmarked(self) -> int:
        return len(self.going) - self.attended - self.no_shows

    @property
    def places_left(self) -> int | None:
        if self.event.rsvp_capacity is None:
            return None
        return max(self.event.rsvp_capacity - len(self.going), 0)


def _by_name(rsvp: Rsvp) -> tuple:
    return (rsvp.user.name.lower(), rsvp.pk)


def rsvp_list(*, event: Event) -> RsvpList:
    """Everyone who answered the event's RSVP, going first, each part by name: one query."""
    result = RsvpList(event=event)
    for rsvp in Rsvp.objects.filter(event=event).select_related(
        "user", "attendance_by", "added_by"
    ):
        rsvp.event = event
        (result.going if rsvp.status == Rsvp.Status.GOING else result.not_going).append(rsvp)
    result.going.sort(key=_by_name)
    result.not_going.sort(key=_by_name)
    return result


def rsvps_for_row() -> QuerySet[Rsvp]:
    """What one row of the list needs, for a single RSVP."""
    return Rsvp.objects.select_related("event", "user", "attendance_by", "added_by")


def walk_in_candidates(*, event: Event, query: str) -> list[User]:
    """Registered people whose name or email contains ``query`` (at least two letters),
    at most ten, each with ``rsvp_status`` / ``rsvp_attended`` for this event: one query."""
    query = (query or "").strip()
    if len(query) < SEARCH_MIN_LENGTH:
        return []
    theirs = Rsvp.objects.filter(event=event, user=OuterRef("pk"))
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(email__icontains=query) | Q(display_name__icontains=query))
        .annotate(
            rsvp_status=Subquery(theirs.values("status")[:1]),
            rsvp_attended=Subquery(theirs.values("attended")[:1]),
        )
        .order_by("display_name", "email")[:SEARCH_LIMIT]
    )


# --- Writes -----------------------------------------------------------------------------


def marking_opens_at(event: Event) -> datetime.datetime:
    """Attendance can be marked from an hour before the event, as shift check-in can."""
    return event.starts_at - CHECKIN_OPENS_BEFORE


def marking_refusal(event: Event, *, now: datetime.datetime | None = None) -> str | None:
    """Why nobody can be marked at this event now, or None."""
    now = now or timezone.now()
    if event.is_cancelled:
        return _("This event was cancelled, so nobody can be marked as attending it.")
    if now < marking_opens_at(event):
        return _("Attendance can be marked from an hour before the event starts.")
    return None


def _mark(rsvp: Rsvp, attendance: str, *, by: User, now: datetime.datetime) -> list[str]:
    rsvp.attended = attendance == Rsvp.Attendance.ATTENDED
    rsvp.no_show = attendance == Rsvp.Attendance.NO_SHOW
    cleared = attendance == Rsvp.Attendance.UNKNOWN
    rsvp.attendance_by = None if cleared else by
    rsvp.attendance_at = None if cleared else now
    return ["attended", "no_show", "attendance_by", "attendance_at"]


def rsvp_mark_attendance(*, rsvp: Rsvp, attendance: str, by: User) -> Rsvp:
    """An organizer marks one RSVP attended or no-show, or clears the mark.

    One transaction with the RSVP row locked; who marked and when are kept on the row.
    Marking attended someone who had withdrawn their RSVP puts them back as going (they
    came after all); a withdrawn RSVP cannot be a no-show. Marking attended at a training
    is what satisfies a shift's training requirement."""
    if not is_organizer(by):
        raise PermissionDenied
    if attendance not in Rsvp.Attendance.values:
        raise EventError(_("Choose attended or no-show."), field="attendance")
    with transaction.atomic():
        rsvp = (
            Rsvp.objects.select_for_update(of=("self",))
            .select_related("event", "user")
            .get(pk=rsvp.pk)
        )
        now = timezone.now()
        refusal = marking_refusal(rsvp.event, now=now)
        if refusal:
            raise EventError(refusal, field="attendance")
        if rsvp.attendance == attendance:
            return rsvp
        fields = _mark(rsvp, attendance, by=by, now=now)
        if rsvp.status != Rsvp.Status.GOING:
            if attendance == Rsvp.Attendance.NO_SHOW:
                raise EventError(
                    _("%(name)s withdrew their RSVP, so they cannot be a no-show.")
                    % {"name": rsvp.user.name},
                    field="attendance",
                )
            if attendance == Rsvp.Attendance.ATTENDED:
                rsvp.status = Rsvp.Status.GOING
                fields.append("status")
        rsvp.save(update_fields=fields)
    return rsvp


def rsvp_add_walk_in(*, event: Event, user: User, by: User) -> Rsvp:
    """An organizer marks attended someone who came without an RSVP (or after withdrawing
    it): their RSVP is created or brought back as going, marked attended by ``by``.

    The event row is locked first, as ``rsvp_create`` locks it, so the two never race.
    A walk-in is not refused for a full event: they are already in the room. Returns the
    RSVP unchanged if the person is already marked attended."""
    if not is_organizer(by):
        raise PermissionDenied
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        now = timezone.now()
        refusal = marking_refusal(event, now=now)
        if refusal:
            raise EventError(refusal, field="user")
        rsvp = Rsvp.objects.select_for_update().filter(event=event, user=user).first()
        if rsvp is None:
            rsvp = Rsvp(event=event, user=user, added_by=by, created_at=now)
        elif rsvp.status == Rsvp.Status.GOING and rsvp.attended:
            return rsvp
        rsvp.status = Rsvp.Status.GOING
        _mark(rsvp, Rsvp.Attendance.ATTENDED, by=by, now=now)
        rsvp.save()
    return rsvp
