import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from events.models import Event
from tests.factories import (
    EventFactory,
    SignupFactory,
    TeamMembershipFactory,
    UserFactory,
    organizer,
)
from volunteers.models import Signup, SignupChange
from volunteers.services.signups import (
    SignupError,
    shift_fill_from_waitlist,
    signup_cancel,
    signup_create,
    signup_move,
    team_signup_members,
)

from .conftest import attended_training, make_shift

pytestmark = pytest.mark.django_db


def actions(signup) -> list[str]:
    return list(signup.changes.order_by("pk").values_list("action", flat=True))


def test_signup_create_confirms_when_places_are_free(shift, volunteer):
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    assert signup.status == Signup.Status.CONFIRMED
    assert signup.confirmed_at is not None
    assert signup.sequence == 0
    assert actions(signup) == [SignupChange.Action.SIGNED_UP]
    assert signup.changes.get().by == volunteer


def test_signup_create_returns_existing_active_signup_unchanged(shift, volunteer):
    first = signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    again = signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    assert again.pk == first.pk
    assert again.sequence == 0
    assert Signup.objects.count() == 1
    assert actions(again) == [SignupChange.Action.SIGNED_UP]


def test_signup_create_waitlists_when_full(shift):
    for _ in range(shift.capacity):
        person = UserFactory()
        signup_create(shift=shift, volunteer=person, by=person)
    late = UserFactory()

    signup = signup_create(shift=shift, volunteer=late, by=late)

    assert signup.status == Signup.Status.WAITLISTED
    assert signup.waitlisted_at is not None
    assert signup.confirmed_at is None
    assert actions(signup) == [SignupChange.Action.WAITLISTED]
    assert Signup.objects.filter(shift=shift, status="confirmed").count() == shift.capacity


def test_signup_create_reactivates_a_cancelled_row_with_a_higher_sequence(shift, volunteer):
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    signup_cancel(signup=signup, by=volunteer)

    again = signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    assert again.pk == signup.pk
    assert again.status == Signup.Status.CONFIRMED
    assert again.cancelled_at is None
    assert again.sequence == 2
    assert actions(again) == ["signed_up", "cancelled", "signed_up"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"event_status": Event.Status.CANCELLED}, "This event has been cancelled."),
        ({"event_status": Event.Status.DRAFT}, "This event is not open for sign-ups yet."),
        ({"is_cancelled": True}, "This shift has been cancelled."),
    ],
)
def test_signup_create_refuses_closed_events_and_shifts(volunteer, change, message):
    shift = make_shift()
    if "event_status" in change:
        Event.objects.filter(pk=shift.event_id).update(status=change["event_status"])
    else:
        shift.is_cancelled = True
        shift.save()

    with pytest.raises(SignupError) as refusal:
        signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    assert str(refusal.value) == message
    assert Signup.objects.count() == 0


def test_signup_create_refuses_a_shift_that_has_started(volunteer):
    shift = make_shift(starts_in_hours=-0.5)

    with pytest.raises(SignupError, match="already started"):
        signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    assert SignupChange.objects.count() == 0


def test_signup_create_adult_shift_needs_confirmed_adult():
    shift = make_shift(min_age=18)
    teen = UserFactory(confirmed_adult=False)

    with pytest.raises(SignupError, match=r"18 or older\. If you are, confirm it"):
        signup_create(shift=shift, volunteer=teen, by=teen)


def test_signup_create_adult_shift_uses_date_of_birth_over_the_checkbox():
    shift = make_shift(min_age=18)
    day = timezone.localtime(shift.starts_at).date()
    seventeen = UserFactory(confirmed_adult=True,
                            date_of_birth=day.replace(year=day.year - 17))
    eighteen_that_day = UserFactory(confirmed_adult=False,
                                    date_of_birth=day.replace(year=day.year - 18))

    with pytest.raises(SignupError, match=r"for volunteers 18 or older\."):
        signup_create(shift=shift, volunteer=seventeen, by=seventeen)
    assert signup_create(shift=shift, volunteer=eighteen_that_day,
                         by=eighteen_that_day).status == "confirmed"


def test_signup_create_min_age_above_18_needs_a_date_of_birth():
    shift = make_shift(min_age=21)
    adult = UserFactory(confirmed_adult=True)
    day = timezone.localtime(shift.starts_at).date()
    twenty = UserFactory(date_of_birth=day.replace(year=day.year - 20))

    with pytest.raises(SignupError, match="Add your date of birth"):
        signup_create(shift=shift, volunteer=adult, by=adult)
    with pytest.raises(SignupError, match="21 or older"):
        signup_create(shift=shift, volunteer=twenty, by=twenty)


def test_signup_create_min_age_16_accepts_confirmed_adults_and_old_enough_teens():
    shift = make_shift(min_age=16, capacity=5)
    day = timezone.localtime(shift.starts_at).date()
    sixteen = UserFactory(confirmed_adult=False, date_of_birth=day.replace(year=day.year - 16))
    fifteen = UserFactory(confirmed_adult=False, date_of_birth=day.replace(year=day.year - 15))
    adult = UserFactory(confirmed_adult=True)

    assert signup_create(shift=shift, volunteer=sixteen, by=sixteen).status == "confirmed"
    assert signup_create(shift=shift, volunteer=adult, by=adult).status == "confirmed"
    with pytest.raises(SignupError, match="16 or older"):
        signup_create(shift=shift, volunteer=fifteen, by=fifteen)


def test_signup_create_requires_the_training(volunteer):
    training = EventFactory(kind="training", title="Bucket Drive Volunteer Training")
    shift = make_shift(required_training=training)

    with pytest.raises(SignupError, match="Bucket Drive Volunteer Training"):
        signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    attended_training(volunteer, training)
    assert signup_create(shift=shift, volunteer=volunteer, by=volunteer).status == "confirmed"


def test_signup_create_training_attended_through_a_training_shift(volunteer):
    training = EventFactory(kind="training")
    training_shift = make_shift(event=training, starts_in_hours=-48)
    SignupFactory(shift=training_shift, volunteer=volunteer, attendance="present")
    shift = make_shift(required_training=training)

    assert signup_create(shift=shift, volunteer=volunteer, by=volunteer).status == "confirmed"


def test_signup_create_training_not_attended_when_no_show(volunteer):
    training = EventFactory(kind="training")
    training_shift = make_shift(event=training, starts_in_hours=-48)
    SignupFactory(shift=training_shift, volunteer=volunteer, attendance="no_show")
    shift = make_shift(required_training=training)

    with pytest.raises(SignupError, match="needs the"):
        signup_create(shift=shift, volunteer=volunteer, by=volunteer)


def test_signup_create_refuses_an_overlapping_shift_and_names_it(volunteer):
    first = make_shift(starts_in_hours=72, length_hours=3)
    overlapping = make_shift(starts_in_hours=74, length_hours=3)
    signup_create(shift=first, volunteer=volunteer, by=volunteer)

    with pytest.raises(SignupError) as refusal:
        signup_create(shift=overlapping, volunteer=volunteer, by=volunteer)

    assert str(refusal.value).startswith("You already have a shift at that time: Bucket collector")
    assert first.event.title in str(refusal.value)


def test_signup_create_back_to_back_shifts_do_not_overlap(volunteer):
    first = make_shift(starts_in_hours=72, length_hours=3)
    next_one = make_shift(starts_in_hours=75, length_hours=3)
    signup_create(shift=first, volunteer=volunteer, by=volunteer)

    assert signup_create(shift=next_one, volunteer=volunteer, by=volunteer).status == "confirmed"


def test_signup_create_waitlisted_place_also_blocks_overlap(volunteer):
    full = make_shift(capacity=1, needed=1)
    taker = UserFactory()
    signup_create(shift=full, volunteer=taker, by=taker)
    signup_create(shift=full, volunteer=volunteer, by=volunteer)
    same_time = make_shift(starts_in_hours=72)

    with pytest.raises(SignupError, match="already have a shift"):
        signup_create(shift=same_time, volunteer=volunteer, by=volunteer)


def test_signup_create_for_someone_else_needs_organizer_or_their_captain(shift, people):
    with pytest.raises(PermissionDenied):
        signup_create(shift=shift, volunteer=people["member"], by=people["volunteer"])
    with pytest.raises(PermissionDenied):
        signup_create(shift=shift, volunteer=people["member"], by=people["other_captain"],
                      team=people["team"])

    signup = signup_create(shift=shift, volunteer=people["member"], by=people["own_captain"],
                           team=people["team"])

    assert signup.team == people["team"]
    change = signup.changes.get()
    assert (change.action, change.by) == (SignupChange.Action.ADDED, people["own_captain"])


def test_signup_create_with_a_team_needs_a_member(shift, people):
    with pytest.raises(SignupError, match="is not a member of"):
        signup_create(shift=shift, volunteer=people["volunteer"], by=people["organizer"],
                      team=people["team"])


def test_signup_create_organizer_adds_anyone_and_it_is_recorded(shift, volunteer):
    boss = organizer()

    signup = signup_create(shift=shift, volunteer=volunteer, by=boss)

    change = signup.changes.get()
    assert (change.action, change.by, change.detail) == ("added", boss, "Confirmed")


# --- Cancelling and promotion ------------------------------------------------------------


def test_signup_cancel_by_volunteer_before_cutoff(shift, volunteer):
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    cancelled = signup_cancel(signup=signup, by=volunteer)

    assert cancelled.status == Signup.Status.CANCELLED
    assert cancelled.cancelled_at is not None
    assert cancelled.sequence == 1
    assert actions(cancelled) == ["signed_up", "cancelled"]


def test_signup_cancel_after_cutoff_refused_with_the_contact(volunteer):
    contact = UserFactory(display_name="Maria Delgado", phone="(559) 555-0142")
    shift = make_shift(starts_in_hours=72)
    Event.objects.filter(pk=shift.event_id).update(contact=contact, cancel_cutoff_hours=24)
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    Signup.objects.filter(pk=signup.pk).update()
    shift.refresh_from_db()
    # The shift moves to within the cut-off.
    shift.starts_at = timezone.now() + datetime.timedelta(hours=10)
    shift.ends_at = shift.starts_at + datetime.timedelta(hours=3)
    shift.save()

    with pytest.raises(SignupError) as refusal:
        signup_cancel(signup=signup, by=volunteer)

    assert "too late to cancel here" in str(refusal.value)
    assert "Maria Delgado ((559) 555-0142)" in str(refusal.value)
    signup.refresh_from_db()
    assert signup.status == Signup.Status.CONFIRMED


def test_signup_cancel_by_organizer_overrides_cutoff_and_is_recorded_as_removed(volunteer):
    shift = make_shift(starts_in_hours=2)
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    boss = organizer()

    signup_cancel(signup=signup, by=boss)

    signup.refresh_from_db()
    assert signup.status == Signup.Status.CANCELLED
    last = signup.changes.order_by("pk").last()
    assert (last.action, last.by) == (SignupChange.Action.REMOVED, boss)


def test_signup_cancel_of_someone_elses_signup_is_forbidden(shift, volunteer):
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    with pytest.raises(PermissionDenied):
        signup_cancel(signup=signup, by=UserFactory())


def test_signup_cancel_promotes_the_earliest_waiting_volunteer(shift):
    people = [UserFactory() for _ in range(shift.capacity + 2)]
    signups = [signup_create(shift=shift, volunteer=p, by=p) for p in people]
    first_waiting, second_waiting = signups[-2], signups[-1]

    signup_cancel(signup=signups[0], by=people[0])

    first_waiting.refresh_from_db()
    second_waiting.refresh_from_db()
    assert first_waiting.status == Signup.Status.CONFIRMED
    assert first_waiting.sequence == 1
    assert second_waiting.status == Signup.Status.WAITLISTED
    promoted = first_waiting.changes.order_by("pk").last()
    assert (promoted.action, promoted.by) == (SignupChange.Action.PROMOTED, None)
    assert Signup.objects.filter(shift=shift, status="confirmed").count() == shift.capacity


def test_signup_cancel_of_a_waiting_place_promotes_nobody(shift):
    people = [UserFactory() for _ in range(shift.capacity + 2)]
    signups = [signup_create(shift=shift, volunteer=p, by=p) for p in people]

    signup_cancel(signup=signups[-2], by=people[-2])

    signups[-1].refresh_from_db()
    assert signups[-1].status == Signup.Status.WAITLISTED


def test_signup_cancel_waiting_place_allowed_after_cutoff(volunteer):
    shift = make_shift(starts_in_hours=2, capacity=1, needed=1)
    taker = UserFactory()
    signup_create(shift=shift, volunteer=taker, by=taker)
    waiting = signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    assert signup_cancel(signup=waiting, by=volunteer).status == Signup.Status.CANCELLED


def test_signup_cancel_twice_is_a_no_op(shift, volunteer):
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    signup_cancel(signup=signup, by=volunteer)

    again = signup_cancel(signup=signup, by=volunteer)

    assert again.sequence == 1
    assert actions(again) == ["signed_up", "cancelled"]


def test_shift_fill_from_waitlist_after_capacity_is_raised(shift):
    people = [UserFactory() for _ in range(shift.capacity + 2)]
    for person in people:
        signup_create(shift=shift, volunteer=person, by=person)
    shift.capacity += 1
    shift.save()

    promoted = shift_fill_from_waitlist(shift=shift)

    assert [s.volunteer for s in promoted] == [people[shift.capacity - 1]]
    assert Signup.objects.filter(shift=shift, status="waitlisted").count() == 1


# --- Moving ------------------------------------------------------------------------------


def test_signup_move_by_organizer_confirms_on_target_and_promotes_on_source(volunteer):
    source = make_shift(capacity=1, needed=1, starts_in_hours=72)
    target = make_shift(event=source.event, starts_in_hours=80, capacity=2)
    signup = signup_create(shift=source, volunteer=volunteer, by=volunteer)
    waiting_person = UserFactory()
    waiting = signup_create(shift=source, volunteer=waiting_person, by=waiting_person)
    boss = organizer()

    moved = signup_move(signup=signup, to_shift=target, by=boss)

    assert moved.pk == signup.pk
    assert moved.shift == target
    assert moved.status == Signup.Status.CONFIRMED
    assert moved.sequence == 1
    change = moved.changes.order_by("pk").last()
    assert (change.action, change.by) == (SignupChange.Action.MOVED, boss)
    assert change.detail.startswith("from Bucket collector")
    waiting.refresh_from_db()
    assert waiting.status == Signup.Status.CONFIRMED


def test_signup_move_refuses_a_full_target(volunteer):
    source = make_shift(starts_in_hours=72)
    target = make_shift(event=source.event, starts_in_hours=80, capacity=1, needed=1)
    other = UserFactory()
    signup_create(shift=target, volunteer=other, by=other)
    signup = signup_create(shift=source, volunteer=volunteer, by=volunteer)

    with pytest.raises(SignupError, match=r"That shift is full \(1 of 1\)"):
        signup_move(signup=signup, to_shift=target, by=organizer())
    signup.refresh_from_db()
    assert signup.shift == source


def test_signup_move_refuses_an_overlap_with_another_shift(volunteer):
    source = make_shift(starts_in_hours=72)
    busy = make_shift(starts_in_hours=100)
    target = make_shift(event=source.event, starts_in_hours=101)
    signup = signup_create(shift=source, volunteer=volunteer, by=volunteer)
    signup_create(shift=busy, volunteer=volunteer, by=volunteer)

    with pytest.raises(SignupError, match="already has a shift at that time"):
        signup_move(signup=signup, to_shift=target, by=organizer())


def test_signup_move_to_an_overlapping_neighbour_ignores_the_moved_signup(volunteer):
    source = make_shift(starts_in_hours=72)
    target = make_shift(event=source.event, starts_in_hours=73)
    signup = signup_create(shift=source, volunteer=volunteer, by=volunteer)

    assert signup_move(signup=signup, to_shift=target, by=organizer()).shift == target


def test_signup_move_onto_a_shift_they_once_cancelled_reuses_that_row(volunteer):
    source = make_shift(starts_in_hours=72)
    target = make_shift(event=source.event, starts_in_hours=80)
    old = signup_create(shift=target, volunteer=volunteer, by=volunteer)
    signup_cancel(signup=old, by=volunteer)
    signup = signup_create(shift=source, volunteer=volunteer, by=volunteer)

    moved = signup_move(signup=signup, to_shift=target, by=organizer())

    assert moved.pk == old.pk
    assert moved.status == Signup.Status.CONFIRMED
    signup.refresh_from_db()
    assert signup.status == Signup.Status.CANCELLED
    assert actions(signup)[-1] == SignupChange.Action.MOVED


def test_signup_move_needs_an_organizer(shift, people):
    signup = signup_create(shift=shift, volunteer=people["member"], by=people["member"])
    target = make_shift(event=shift.event, starts_in_hours=90)

    with pytest.raises(PermissionDenied):
        signup_move(signup=signup, to_shift=target, by=people["own_captain"])


# --- Team sign-ups -----------------------------------------------------------------------


def test_team_signup_members_reports_each_person(people):
    team = people["team"]
    shift = make_shift(capacity=5, min_age=18)
    teen = UserFactory(display_name="Teen Member", confirmed_adult=False)
    TeamMembershipFactory(team=team, user=teen)

    results = team_signup_members(team=team, shift=shift, by=people["own_captain"],
                                  volunteers=[people["member"], teen])

    assert [(r.volunteer, r.signup is not None) for r in results] == [
        (people["member"], True), (teen, False)]
    assert "Teen Member has not confirmed being 18 or older" in results[1].error
    assert Signup.objects.get(volunteer=people["member"]).team == team


def test_team_signup_members_other_captain_forbidden(people, shift):
    with pytest.raises(PermissionDenied):
        team_signup_members(team=people["team"], shift=shift, by=people["other_captain"],
                            volunteers=[people["member"]])
