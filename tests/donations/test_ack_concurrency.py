"""Two treasurers acknowledging the same gift at the same instant, on PostgreSQL, each from
its own connection: the gift's row lock lets one through and the other is told when and how
it went; and an acknowledgment, once written, cannot be changed or deleted."""

import pytest
from django.db import DatabaseError, connection, transaction

from donations.acknowledgments import CHECK, AlreadyAcknowledged, acknowledgment_record, gift_get
from donations.models import Acknowledgment
from tests.concurrency import run_at_once
from tests.donations.ack_gifts import named_check
from tests.donations.money_world import MoneyWorld
from volunteers.models import Message, User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def acknowledge_job(*, check_pk, by_pk, method, address):
    def job():
        acknowledgment_record(gift=gift_get(CHECK, check_pk), method=method,
                              to_address=address, language="en", with_item=False,
                              by=User.objects.get(pk=by_pk))

    return job


def test_two_treasurers_acknowledging_one_gift_at_once_make_one_acknowledgment():
    assert connection.vendor == "postgresql"
    world = MoneyWorld(buckets=1)
    check = named_check(world, 0)

    errors = run_at_once([
        acknowledge_job(check_pk=check.pk, by_pk=world.ann.pk, method="email",
                        address="maria@example.org"),
        acknowledge_job(check_pk=check.pk, by_pk=world.ben.pk, method="letter", address=""),
    ])

    assert Acknowledgment.objects.count() == 1
    assert len(errors) == 1
    assert isinstance(errors[0], AlreadyAcknowledged)
    went = Acknowledgment.objects.get()
    assert Message.objects.count() == (1 if went.method == "email" else 0)


def test_an_acknowledgment_cannot_be_changed_or_deleted():
    world = MoneyWorld(buckets=1)
    check = named_check(world, 0)
    acknowledgment = acknowledgment_record(gift=gift_get(CHECK, check.pk), method="letter",
                                           to_address="", language="en", with_item=False,
                                           by=world.tess)

    with pytest.raises(DatabaseError), transaction.atomic():
        Acknowledgment.objects.filter(pk=acknowledgment.pk).update(deductible_cents=0)
    with pytest.raises(DatabaseError), transaction.atomic():
        Acknowledgment.objects.filter(pk=acknowledgment.pk).delete()
    assert Acknowledgment.objects.get().deductible_cents == 30000
