"""Treasurers at the same counting table acting at the same instant, on PostgreSQL, each on
its own connection: the drive's row lock makes the first count of a bucket A and the other B
(never two A), a third simultaneous count is told nothing was saved, two saves of one session
make one conflict, and one bucket opened twice is one sheet."""

import uuid

import pytest
from django.db import connection

from donations.counting import count_submit, session_open, session_update, sheet_open
from donations.ledger import MoneyConflict
from donations.models import AgreedCount, Count, CountSession, CountSheet, CustodyEvent
from tests.concurrency import run_at_once
from tests.donations.money_world import MoneyWorld
from volunteers.models import User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def count_job(*, sheet_pk, counter_pk, quantities, token=None):
    def job():
        count_submit(sheet=CountSheet.objects.get(pk=sheet_pk),
                     counter=User.objects.get(pk=counter_pk), quantities=quantities,
                     checks=[], odd_items=[], request_token=token)

    return job


def opened(world, returned, session=None):
    session = session or session_open(event=world.event, place="Hall", by=world.ann,
                                      present=[world.ann, world.ben])
    return sheet_open(session=session, returned=returned, by=world.ann)


def test_two_first_counts_at_once_are_a_and_b_never_two_a():
    assert connection.vendor == "postgresql"
    world = MoneyWorld(buckets=3)
    session = session_open(event=world.event, place="Hall", by=world.ann)
    for returned in world.returns:
        sheet = opened(world, returned, session)

        errors = run_at_once([
            count_job(sheet_pk=sheet.pk, counter_pk=world.ann.pk, quantities={"bill_20": 3}),
            count_job(sheet_pk=sheet.pk, counter_pk=world.ben.pk, quantities={"bill_20": 4}),
        ])

        assert errors == []
        letters = sorted(Count.objects.filter(sheet=sheet).values_list("letter", flat=True))
        assert letters == ["A", "B"]
        assert not AgreedCount.objects.filter(sheet=sheet).exists()


def test_three_equal_counts_at_once_agree_once_and_the_third_saves_nothing():
    world = MoneyWorld(buckets=1)
    sheet = opened(world, world.returns[0])

    errors = run_at_once([
        count_job(sheet_pk=sheet.pk, counter_pk=person.pk, quantities={"coin_25": 40})
        for person in (world.ann, world.ben, world.tess)
    ])

    assert len(errors) == 1
    assert isinstance(errors[0], MoneyConflict)
    assert errors[0].message.startswith("Nothing was saved:")
    assert sorted(Count.objects.values_list("letter", flat=True)) == ["A", "B"]
    agreed = AgreedCount.objects.get()
    assert (agreed.count.letter, agreed.matched.letter, agreed.total_cents) == ("A", "B", 1000)


def test_the_same_count_form_sent_twice_at_once_is_saved_once():
    world = MoneyWorld(buckets=1)
    sheet = opened(world, world.returns[0])
    token = uuid.uuid4()

    errors = run_at_once([
        count_job(sheet_pk=sheet.pk, counter_pk=world.ann.pk, quantities={"bill_5": 2},
                  token=token)
        for _n in range(2)
    ])

    assert errors == []
    assert Count.objects.get().request_token == token


def test_two_saves_of_one_session_at_once_make_one_conflict():
    world = MoneyWorld(buckets=1)
    session = session_open(event=world.event, place="Hall", by=world.ann)

    def save(person_pk, place):
        def job():
            session_update(session=CountSession.objects.get(pk=session.pk), version=1,
                           place=place, present=[], note="", by=User.objects.get(pk=person_pk))
        return job

    errors = run_at_once([save(world.ben.pk, "Kitchen"), save(world.tess.pk, "Library")])

    assert len(errors) == 1
    assert isinstance(errors[0], MoneyConflict)
    session.refresh_from_db()
    assert session.version == 2
    winner = world.ben if session.place == "Kitchen" else world.tess
    assert errors[0].message.startswith(f"{winner} saved this count session a moment ago")


def test_one_bucket_opened_from_two_sessions_at_once_is_one_sheet():
    world = MoneyWorld(buckets=1)
    sessions = [session_open(event=world.event, place=place, by=world.ann)
                for place in ("Hall", "Kitchen")]

    def open_job(session_pk, person_pk):
        def job():
            sheet_open(session=CountSession.objects.get(pk=session_pk),
                       returned=CustodyEvent.objects.get(pk=world.returns[0].pk),
                       by=User.objects.get(pk=person_pk))
        return job

    errors = run_at_once([open_job(sessions[0].pk, world.ann.pk),
                          open_job(sessions[1].pk, world.ben.pk)])

    assert errors == []
    assert CountSheet.objects.count() == 1
