"""Which shifts a volunteer can take, said before they click: the rules of
``services.signups.eligibility_refusal`` (closed, held for a team, age, training, overlap),
evaluated for a whole page of shifts from a constant number of queries, each refusal paired
with what to do about it (confirm being 18+ in place, RSVP to the training, look at My
shifts).

The sign-up service stays the authority: it checks again, with the shift locked, when the
button is pressed. This module only reads.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from events.models import Event, Shift

from .models import ADULT_AGE, Signup, TeamMembership
from .selectors import overlapping_signups, trainings_for
from .services.signups import closed_reason


class Need:
    """What stands between the volunteer and a shift."""

    CLOSED = "closed"  # nobody can sign up (cancelled, started, not published)
    CONFIRM_ADULT = "confirm_adult"  # 18+ shift, age unknown: confirm it in place
    BIRTH_DATE = "birth_date"  # older than 18 required, no date of birth on the profile
    TOO_YOUNG = "too_young"
    TRAINING = "training"  # required training not attended (``training`` says which)
    OVERLAP = "overlap"  # already holds a place at that time (``clash`` says where)
    HELD = "held"  # held for a team the viewer is not a member of (``team`` says which)


AGE_NEEDS = (Need.CONFIRM_ADULT, Need.BIRTH_DATE, Need.TOO_YOUNG)


@dataclass(frozen=True)
class Blocker:
    need: str
    min_age: int | None = None
    training: Event | None = None
    clash: Signup | None = None
    closed: str = ""
    team: str = ""


class Eligibility:
    """The viewer's standing on a set of shifts. Three queries at most, whatever their
    number: the required trainings with the viewer's attendance (skipped when the shifts
    already carry them, as ``events.selectors.event_shift_days`` loads them), the
    viewer's places that overlap the span of the shifts, and, when a shift is held for a
    team, the viewer's teams."""

    def __init__(self, user, shifts: list[Shift], *, now: datetime.datetime | None = None):
        self.user = user
        self.now = now or timezone.now()
        self.trainings: dict[int, Event] = {}
        self.clashes: list[Signup] = []
        self.team_ids: set[int] = set()
        if not user.is_authenticated or not shifts:
            return
        if any(shift.held_for_id for shift in shifts):
            self.team_ids = set(
                TeamMembership.objects.filter(user=user).values_list("team_id", flat=True)
            )
        missing = set()
        for shift in shifts:
            if not shift.required_training_id:
                continue
            if Shift.required_training.is_cached(shift) and hasattr(
                shift.required_training, "viewer_attended"
            ):
                self.trainings[shift.required_training_id] = shift.required_training
            else:
                missing.add(shift.required_training_id)
        if missing:
            self.trainings.update(trainings_for(training_ids=missing, user=user))
        self.clashes = overlapping_signups(
            user=user,
            starts_at=min(shift.starts_at for shift in shifts),
            ends_at=max(shift.ends_at for shift in shifts),
        )

    def blocker(self, shift: Shift) -> Blocker | None:
        """The first reason the viewer cannot take a place on ``shift`` (in the order the
        service checks), or None when the Sign up button would work."""
        closed = closed_reason(shift, now=self.now)
        if closed:
            return Blocker(Need.CLOSED, closed=closed)
        return (self.held_blocker(shift) or self.age_blocker(shift)
                or self.training_blocker(shift) or self.overlap(shift))

    def held_blocker(self, shift: Shift) -> Blocker | None:
        if shift.held_for_id is None or shift.held_for_id in self.team_ids:
            return None
        return Blocker(Need.HELD, team=shift.held_for.name)

    def age_blocker(self, shift: Shift) -> Blocker | None:
        min_age = shift.min_age
        if not min_age:
            return None
        user = self.user
        day = timezone.localtime(shift.starts_at).date()
        if min_age <= ADULT_AGE and user.is_adult_on(day):
            return None
        age = user.age_on(day)
        if age is not None and age >= min_age:
            return None
        if age is None and min_age <= ADULT_AGE:
            return Blocker(Need.CONFIRM_ADULT, min_age=min_age)
        if age is None:
            return Blocker(Need.BIRTH_DATE, min_age=min_age)
        return Blocker(Need.TOO_YOUNG, min_age=min_age)

    def training_blocker(self, shift: Shift) -> Blocker | None:
        if not shift.required_training_id:
            return None
        training = self.trainings.get(shift.required_training_id)
        if training is None or getattr(training, "viewer_attended", False):
            return None
        return Blocker(Need.TRAINING, training=training)

    def overlap(self, shift: Shift) -> Blocker | None:
        for signup in self.clashes:
            other = signup.shift
            if (other.pk != shift.pk and other.starts_at < shift.ends_at
                    and other.ends_at > shift.starts_at):
                return Blocker(Need.OVERLAP, clash=signup)
        return None
