"""Exports at the same instant on PostgreSQL, each from its own connection: two treasurers
downloading the journal get every row once between them (the second waits its turn and finds
nothing new, or only what is left), and two runs of the permit-return reminder queue one email
per organizer."""

import pytest
from django.db import connection

from donations.exports import journal_export_create, permit_return_reminders_queue
from donations.models import JournalExport, JournalLine
from tests.concurrency import run_at_once
from tests.donations.books_fixtures import second_world
from tests.donations.exports_fixtures import days_from_today, full_books
from tests.donations.money_world import MoneyWorld
from tests.factories import PermitFactory, organizer
from volunteers.models import Message, User

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def download_job(*, person_pk, event=None, results):
    def job():
        results.append(journal_export_create(by=User.objects.get(pk=person_pk), event=event))
    return job


def test_two_treasurers_downloading_the_journal_at_once_export_each_row_once():
    assert connection.vendor == "postgresql"
    world = MoneyWorld(buckets=3)
    full_books(world)
    results = []

    errors = run_at_once([download_job(person_pk=person.pk, results=results)
                          for person in (world.tess, world.ann)])

    assert errors == []
    exports = [export for export in results if export is not None]
    assert len(exports) == 1
    assert results.count(None) == 1
    assert JournalExport.objects.get().rows == 12
    assert JournalLine.objects.count() == 12


def test_many_downloads_at_once_never_record_a_row_twice():
    world = MoneyWorld(buckets=3)
    full_books(world)
    world.team.name = "Blackstone youth"  # second_world names teams by id: keep them apart
    world.team.save(update_fields=["name"])
    other = second_world(world, buckets=3)
    full_books(other)
    people = [world.tess, world.ann, world.ben, world.superuser]
    results = []

    errors = run_at_once(
        [download_job(person_pk=person.pk, results=results) for person in people[:2]]
        + [download_job(person_pk=person.pk, event=world.event, results=results)
           for person in people[2:]])

    assert errors == []
    lines = list(JournalLine.objects.values_list("kind", "object_id"))
    assert len(lines) == len(set(lines)) == 24
    assert sum(export.rows for export in results if export is not None) == 24


def remind_job(*, today):
    def job():
        permit_return_reminders_queue(today=today)
    return job


def test_two_reminder_runs_at_once_queue_one_email_per_organizer():
    organizers = [organizer(), organizer()]
    permit = PermitFactory(return_due=days_from_today(3))
    today = days_from_today(0)

    errors = run_at_once([remind_job(today=today), remind_job(today=today)])

    assert errors == []
    queued = Message.objects.filter(kind="permit_return_reminder")
    assert sorted(queued.values_list("recipient_id", flat=True)) == sorted(
        person.pk for person in organizers)
    assert {row.context["permit"] for row in queued} == {permit.pk}
