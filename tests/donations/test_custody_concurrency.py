"""Two organizers issuing the same bucket at the same instant, on PostgreSQL, each from its
own connection: the bucket row lock lets one issue through and refuses the other clearly."""

import datetime
import uuid

import pytest
from django.db import connection

from donations.custody import CustodyError, bucket_hand_over, bucket_issue, bucket_return
from donations.handoff import personal_code
from donations.models import Bucket, CustodyEvent
from events.models import Shift
from tests.concurrency import run_at_once
from tests.factories import (
    BucketFactory,
    EventFactory,
    ShiftFactory,
    SignupFactory,
    SiteFactory,
    organizer,
)
from volunteers.models import User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def street_shift(**kwargs):
    event = EventFactory()
    return ShiftFactory(event=event, site=SiteFactory(), **kwargs)


def issue_job(*, bucket_pk, shift_pk, person_pk, organizer_pk, seal, token=None):
    def job():
        person = User.objects.get(pk=person_pk)
        shift = Shift.objects.get(pk=shift_pk)
        bucket_issue(bucket=Bucket.objects.get(pk=bucket_pk), shift=shift, to=person,
                     seal_number=seal, by=User.objects.get(pk=organizer_pk),
                     receiver_code=personal_code(person, shift.event), request_token=token)

    return job


def test_two_organizers_issuing_one_bucket_at_once_make_one_issue():
    assert connection.vendor == "postgresql"
    shift = street_shift()
    bucket = BucketFactory()
    first, second = SignupFactory(shift=shift), SignupFactory(shift=shift)
    organizers = organizer(), organizer()

    errors = run_at_once([
        issue_job(bucket_pk=bucket.pk, shift_pk=shift.pk, person_pk=signup.volunteer_id,
                  organizer_pk=boss.pk, seal=f"S-{n}")
        for n, (signup, boss) in enumerate(zip((first, second), organizers, strict=True))
    ])

    issued = CustodyEvent.objects.filter(bucket=bucket)
    assert issued.count() == 1
    assert len(errors) == 1
    assert isinstance(errors[0], CustodyError)
    assert errors[0].field == "bucket"
    holder = issued.get().holder
    assert errors[0].message.startswith(
        f"Bucket {bucket.number} is already out with {holder} at {shift.site.name}")


def test_many_organizers_racing_for_one_bucket_leave_one_issue():
    shift = street_shift(capacity=10, needed=3)
    bucket = BucketFactory()
    people = [SignupFactory(shift=shift).volunteer for _ in range(8)]
    boss = organizer()

    errors = run_at_once([
        issue_job(bucket_pk=bucket.pk, shift_pk=shift.pk, person_pk=person.pk,
                  organizer_pk=boss.pk, seal=f"S-{person.pk}")
        for person in people
    ])

    assert CustodyEvent.objects.filter(bucket=bucket).count() == 1
    assert len(errors) == 7
    assert all(isinstance(error, CustodyError) and error.field == "bucket" for error in errors)


def test_the_same_issue_posted_twice_at_once_is_recorded_once():
    shift = street_shift()
    bucket = BucketFactory()
    person = SignupFactory(shift=shift).volunteer
    boss = organizer()
    token = uuid.uuid4()

    errors = run_at_once([
        issue_job(bucket_pk=bucket.pk, shift_pk=shift.pk, person_pk=person.pk,
                  organizer_pk=boss.pk, seal="S-1", token=token)
        for _ in range(2)
    ])

    assert errors == []
    assert CustodyEvent.objects.filter(bucket=bucket).count() == 1


def test_a_return_and_a_handover_at_once_keep_the_log_consistent():
    shift = street_shift()
    later = ShiftFactory(event=shift.event, site=shift.site, starts_at=shift.ends_at,
                         ends_at=shift.ends_at + datetime.timedelta(hours=3))
    bucket = BucketFactory()
    alice = SignupFactory(shift=shift).volunteer
    bob = SignupFactory(shift=later).volunteer
    boss = organizer()
    bucket_issue(bucket=bucket, shift=shift, to=alice, seal_number="S-1", by=boss,
                 receiver_code=personal_code(alice, shift.event))

    def hand_over():
        bucket_hand_over(bucket=Bucket.objects.get(pk=bucket.pk),
                         to=User.objects.get(pk=bob.pk), by=User.objects.get(pk=alice.pk),
                         receiver_code=personal_code(bob, shift.event))

    def give_back():
        bucket_return(bucket=Bucket.objects.get(pk=bucket.pk), seal_number="S-1",
                      seal_intact=True, by=User.objects.get(pk=boss.pk))

    errors = run_at_once([hand_over, give_back])

    kinds = list(CustodyEvent.objects.filter(bucket=bucket).order_by("at", "pk")
                 .values_list("kind", flat=True))
    # Either the handover came first and the return received it from Bob, or the return came
    # first and the handover was refused: never a handover after the return.
    assert kinds in (["issued", "handed_over", "returned"], ["issued", "returned"])
    assert len(errors) == (0 if len(kinds) == 3 else 1)
    assert all(isinstance(error, CustodyError) for error in errors)
