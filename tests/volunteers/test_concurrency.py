"""Many volunteers clicking at the same instant, on PostgreSQL, each thread with its own
connection: the shift lock must keep the confirmed count exact."""

from collections import Counter

import pytest
from django.db import connection

from events.models import Shift
from events.selectors import shifts_with_fill
from tests.concurrency import run_at_once
from tests.factories import UserFactory, organizer
from volunteers.models import Signup, SignupChange, User
from volunteers.services.signups import SignupError, signup_cancel, signup_create, signup_move

from .conftest import make_shift

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 24


def sign_up_job(shift_pk: int, person_pk: int):
    def job():
        shift = Shift.objects.get(pk=shift_pk)
        person = User.objects.get(pk=person_pk)
        signup_create(shift=shift, volunteer=person, by=person)

    return job


def test_concurrent_signups_never_exceed_capacity():
    assert connection.vendor == "postgresql"
    shift = make_shift(capacity=5, needed=5)
    people = [UserFactory() for _ in range(THREADS)]

    errors = run_at_once([sign_up_job(shift.pk, person.pk) for person in people])

    assert errors == []
    statuses = Counter(Signup.objects.filter(shift=shift).values_list("status", flat=True))
    assert statuses == {"confirmed": 5, "waitlisted": THREADS - 5}
    volunteers = list(Signup.objects.filter(shift=shift).values_list("volunteer_id", flat=True))
    assert sorted(volunteers) == sorted(person.pk for person in people)
    assert SignupChange.objects.filter(signup__shift=shift).count() == THREADS


def test_concurrent_double_clicks_make_one_signup():
    shift = make_shift(capacity=5, needed=5)
    person = UserFactory()

    errors = run_at_once([sign_up_job(shift.pk, person.pk) for _ in range(THREADS)])

    assert errors == []
    assert Signup.objects.filter(shift=shift).count() == 1
    assert SignupChange.objects.filter(signup__shift=shift).count() == 1


def test_concurrent_overlapping_signups_by_one_person_keep_one():
    shifts = [make_shift(starts_in_hours=72 + n * 0.1) for n in range(THREADS)]
    person = UserFactory()

    errors = run_at_once([sign_up_job(shift.pk, person.pk) for shift in shifts])

    assert all(isinstance(error, SignupError) for error in errors)
    assert len(errors) == THREADS - 1
    assert Signup.objects.filter(volunteer=person).count() == 1


def test_concurrent_cancels_and_signups_keep_the_count_exact():
    shift = make_shift(capacity=5, needed=5)
    holders = [UserFactory() for _ in range(5)]
    waiting_people = [UserFactory() for _ in range(10)]
    held = [signup_create(shift=shift, volunteer=p, by=p) for p in holders]
    waiting = [signup_create(shift=shift, volunteer=p, by=p) for p in waiting_people]
    newcomers = [UserFactory() for _ in range(10)]
    leaving_waiters = waiting[7:]  # three waiting people leave the waitlist at the same time

    def cancel_job(signup):
        def job():
            person = User.objects.get(pk=signup.volunteer_id)
            signup_cancel(signup=Signup.objects.get(pk=signup.pk), by=person)

        return job

    jobs = [cancel_job(s) for s in held + leaving_waiters]
    jobs += [sign_up_job(shift.pk, person.pk) for person in newcomers]
    errors = run_at_once(jobs)

    assert errors == []
    confirmed = Signup.objects.filter(shift=shift, status="confirmed")
    assert confirmed.count() == shift.capacity
    promotions = Counter(
        SignupChange.objects.filter(signup__shift=shift, action="promoted")
        .values_list("signup_id", flat=True)
    )
    assert set(promotions.values()) == {1}
    assert set(promotions) == {s.pk for s in waiting[:5]}  # the earliest five, each once
    assert set(confirmed.values_list("pk", flat=True)) == {s.pk for s in waiting[:5]}
    assert Signup.objects.filter(shift=shift, status="waitlisted").count() == 2 + 10


def test_concurrent_moves_into_one_shift_respect_its_capacity():
    target = make_shift(capacity=3, needed=3, starts_in_hours=300)
    boss = organizer()
    signups = []
    for n in range(12):
        source = make_shift(event=target.event, starts_in_hours=100 + n * 5)
        person = UserFactory()
        signups.append(signup_create(shift=source, volunteer=person, by=person))

    def move_job(signup):
        def job():
            signup_move(signup=Signup.objects.get(pk=signup.pk),
                        to_shift=Shift.objects.get(pk=target.pk), by=boss)

        return job

    errors = run_at_once([move_job(s) for s in signups])

    assert len(errors) == 9
    assert all("That shift is full" in str(error) for error in errors)
    assert Signup.objects.filter(shift=target, status="confirmed").count() == 3


def hinted_sign_up_job(shift_pk: int, person_pk: int):
    """As the sign-up view does: the shift read with its fill counts, so that a shift that
    looks full is joined under the shared lock."""
    def job():
        shift = shifts_with_fill(Shift.objects.select_related("event")).get(pk=shift_pk)
        person = User.objects.get(pk=person_pk)
        signup_create(shift=shift, volunteer=person, by=person)

    return job


def test_concurrent_waitlist_joins_and_cancels_leave_no_free_place_behind_a_waitlist():
    shift = make_shift(capacity=5, needed=5)
    holders = [UserFactory() for _ in range(5)]
    held = [signup_create(shift=shift, volunteer=p, by=p) for p in holders]
    newcomers = [UserFactory() for _ in range(16)]

    def cancel_job(signup):
        def job():
            signup_cancel(signup=Signup.objects.get(pk=signup.pk),
                          by=User.objects.get(pk=signup.volunteer_id))

        return job

    jobs = [cancel_job(s) for s in held[:3]]
    jobs += [hinted_sign_up_job(shift.pk, person.pk) for person in newcomers]
    errors = run_at_once(jobs)

    assert errors == []
    statuses = Counter(Signup.objects.filter(shift=shift).values_list("status", flat=True))
    assert statuses == {"confirmed": 5, "waitlisted": 16 - 3, "cancelled": 3}
    joined = SignupChange.objects.filter(signup__shift=shift, action__in=["signed_up",
                                                                          "waitlisted"])
    assert joined.count() == 5 + 16


def test_concurrent_moves_and_sign_ups_of_one_person_never_deadlock():
    """The volunteer's row is locked before any shift on every path that locks both."""
    boss = organizer()
    person = UserFactory()
    sources = [make_shift(starts_in_hours=100 + n * 10) for n in range(6)]
    targets = [make_shift(starts_in_hours=400 + n * 10) for n in range(6)]
    signups = [signup_create(shift=source, volunteer=person, by=person) for source in sources]

    def move_job(signup, target):
        def job():
            signup_move(signup=Signup.objects.get(pk=signup.pk),
                        to_shift=Shift.objects.get(pk=target.pk), by=boss)

        return job

    jobs = [move_job(s, t) for s, t in zip(signups, targets, strict=True)]
    jobs += [sign_up_job(target.pk, person.pk) for target in targets]
    jobs += [hinted_sign_up_job(target.pk, UserFactory().pk) for target in targets]
    errors = run_at_once(jobs)

    assert all(isinstance(error, SignupError) for error in errors), errors
    for target in targets:
        mine = Signup.objects.filter(shift=target, volunteer=person, status="confirmed")
        assert mine.count() == 1
