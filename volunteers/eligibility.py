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


@dataclass(frozen=True, eq=False)  # one object per reason, compared by identity (memo keys)
class Blocker:
    need: str
    min_age: int | None = None
    training: Event | None = None
    clash: Signup | None = None
    closed: str = ""
    team: str = ""


class Eligibility:
    """The viewer's standing on a set of shifts. Three queries at most, whatever their
    number: the required trainings with the viewer's attendance (skipped when given as
    ``trainings``, or when the shifts already carry them), the viewer's places that overlap
    the span of the shifts, and, when a shift is held for a team, the viewer's teams.

    A page of 300 shifts asks about a handful of distinct ages, days, trainings, teams and
    times: each answer is worked out once and the same ``Blocker`` returned for each shift
    that asks it again. The shifts may be ``Shift`` objects or anything with the same
    attributes (``volunteers.shift_rows.SharedShift``)."""

    def __init__(self, user, shifts: list[Shift], *, now: datetime.datetime | None = None,
                 trainings: dict[int, Event] | None = None, clashes: tuple | None = None):
        self.user = user
        self.now = now or timezone.now()
        self.trainings: dict[int, Event] = {}
        self.clashes: list[Signup] = []
        self.team_ids: set[int] = set()
        self._answers: dict = {}
        if not user.is_authenticated or not shifts:
            return
        if any(shift.held_for_id for shift in shifts):
            self.team_ids = set(
                TeamMembership.objects.filter(user=user).values_list("team_id", flat=True)
            )
        if trainings is not None:
            self.trainings = trainings
        else:
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
        starts_at = min(shift.starts_at for shift in shifts)
        ends_at = max(shift.ends_at for shift in shifts)
        if clashes is not None and clashes[0] <= starts_at and ends_at <= clashes[1]:
            self.clashes = [signup for signup in clashes[2] if signup.shift.starts_at < ends_at
                            and signup.shift.ends_at > starts_at]
        else:
            self.clashes = overlapping_signups(user=user, starts_at=starts_at, ends_at=ends_at)

    @staticmethod
    def standing_key(shift: Shift) -> tuple:
        """Everything ``blocker`` (with ``closed_reason``) reads of a shift but its id: two
        shifts with the same key stop the viewer for the same reason, or neither does. (The
        overlap rule also skips the viewer's own place on the shift itself, which only a
        shift the viewer holds a place on has.) A rule that reads more of a shift adds it
        here."""
        return (shift.event.status, shift.is_cancelled, shift.starts_at, shift.ends_at,
                shift.held_for_id, shift.min_age, shift.required_training_id)

    def blocker(self, shift: Shift) -> Blocker | None:
        """The first reason the viewer cannot take a place on ``shift`` (in the order the
        service checks), or None when the Sign up button would work."""
        closed = closed_reason(shift, now=self.now)
        if closed:
            return Blocker(Need.CLOSED, closed=closed)
        return self.personal_blocker(shift)

    def personal_blocker(self, shift: Shift) -> Blocker | None:
        """``blocker`` for a shift already known to be open: what is about the viewer."""
        return (self.held_blocker(shift) or self.age_blocker(shift)
                or self.training_blocker(shift) or self.overlap(shift))

    def held_blocker(self, shift: Shift) -> Blocker | None:
        if shift.held_for_id is None or shift.held_for_id in self.team_ids:
            return None
        key = ("held", shift.held_for_id)
        answer = self._answers.get(key)
        if answer is None:
            answer = self._answers[key] = Blocker(Need.HELD, team=shift.held_for.name)
        return answer

    def age_blocker(self, shift: Shift) -> Blocker | None:
        min_age = shift.min_age
        if not min_age:
            return None
        key = ("age", min_age, shift.starts_at)
        try:
            return self._answers[key]
        except KeyError:
            answer = self._answers[key] = self._age_blocker(min_age, shift.starts_at)
            return answer

    def _age_blocker(self, min_age: int, starts_at: datetime.datetime) -> Blocker | None:
        user = self.user
        day = timezone.localtime(starts_at).date()
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
        training_id = shift.required_training_id
        if not training_id:
            return None
        key = ("training", training_id)
        try:
            return self._answers[key]
        except KeyError:
            training = self.trainings.get(training_id)
            answer = None
            if training is not None and not getattr(training, "viewer_attended", False):
                answer = Blocker(Need.TRAINING, training=training)
            self._answers[key] = answer
            return answer

    def overlap(self, shift: Shift) -> Blocker | None:
        if not self.clashes:
            return None
        key = ("overlap", shift.starts_at, shift.ends_at)
        found = self._answers.get(key)
        if found is None:  # the viewer's places at that time: (shift id, Blocker)
            found = self._answers[key] = [
                (signup.shift_id, Blocker(Need.OVERLAP, clash=signup))
                for signup in self.clashes
                if signup.shift.starts_at < shift.ends_at
                and signup.shift.ends_at > shift.starts_at
            ]
        for shift_id, blocker in found:
            if shift_id != shift.pk:
                return blocker
        return None
