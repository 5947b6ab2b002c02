"""Two treasurers at once on one drive's books, on PostgreSQL, each on its own connection: the
drive's row lock makes them take turns, and the second one gets a clear conflict instead of
locking books that changed under it."""

import pytest
from django.db import connection

from donations.banking import bank_adjustment_create
from donations.books import drive_books, drive_reconcile
from donations.ledger import MoneyConflict, MoneyError
from donations.models import BankAdjustment, DriveMoneyStep
from events.models import Event
from tests.concurrency import run_at_once
from tests.donations.books_fixtures import bank_adjustment, banked, counted, deposited
from tests.donations.money_world import MoneyWorld
from tests.factories import treasurer
from volunteers.models import User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def reconcile_job(*, event_pk, person_pk, seen):
    def job():
        drive_reconcile(event=Event.objects.get(pk=event_pk),
                        by=User.objects.get(pk=person_pk), explanations={}, seen=seen)
    return job


def test_two_treasurers_reconciling_at_once_lock_the_drive_once():
    assert connection.vendor == "postgresql"
    world = MoneyWorld(buckets=2)
    banked(deposited(world, [counted(world, 0, 1000), counted(world, 1, 2000)]))
    seen = drive_books(world.event).fingerprint
    other = treasurer()

    errors = run_at_once([reconcile_job(event_pk=world.event.pk, person_pk=person.pk, seen=seen)
                          for person in (world.tess, other)])

    assert DriveMoneyStep.objects.filter(event=world.event).count() == 1
    [error] = errors
    assert isinstance(error, MoneyConflict)
    winner = DriveMoneyStep.objects.get().by
    assert error.message == f"{winner} reconciled this drive a moment ago; it is locked now."


def test_reconciling_while_a_bank_adjustment_is_added_never_locks_stale_books():
    world = MoneyWorld(buckets=2)
    first, second = counted(world, 0, 1000), counted(world, 1, 2000)
    deposit = deposited(world, [first, second])
    banked(deposit, 2900)
    bank_adjustment(deposit, {first: -100}, by=world.ann)
    seen = drive_books(world.event).fingerprint
    assert drive_books(world.event).ready

    def adjust():
        bank_adjustment_create(deposit=deposit, amount_cents=-30, reason="other",
                               explanation="Another foreign coin.",
                               allocations={second.pk: -30}, by=User.objects.get(pk=world.ben.pk))

    errors = run_at_once([
        reconcile_job(event_pk=world.event.pk, person_pk=world.tess.pk, seen=seen), adjust])

    assert len(errors) == 1
    assert isinstance(errors[0], MoneyError)
    reconciled = DriveMoneyStep.objects.filter(event=world.event).exists()
    added = BankAdjustment.objects.filter(deposit=deposit).count() == 2
    assert reconciled != added
    if reconciled:
        assert errors[0].message.startswith("This drive's books are reconciled and locked.")
        assert DriveMoneyStep.objects.get().bank_cents == drive_books(world.event).bank_cents
    else:
        assert isinstance(errors[0], MoneyConflict)
