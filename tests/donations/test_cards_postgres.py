"""Card gifts on PostgreSQL: final in the database itself (migration 0007: UPDATE and DELETE
refused by a trigger, from raw SQL and from the ORM alike), one gift per processor reference
even when two treasurers import the same file at once, and one giving code per team or site
even when a team and a site take the same code at the same instant."""

import io

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from donations.card_csv import (
    CardImportError,
    card_import_commit,
    default_days,
    guess_mapping,
    read_card_csv,
)
from donations.cards import giving_code_set
from donations.ledger import MoneyError
from donations.models import CardGift, CardImport
from events.models import Event, Site
from tests.concurrency import run_at_once
from tests.donations.cards_fixtures import past_world, stripe_csv
from tests.factories import EventFactory, SiteFactory, TeamFactory, organizer
from volunteers.models import Team, User

FINAL = "money rows are final: record a correction as a new entry"


def refused(sql: str, params: list) -> None:
    with (pytest.raises(DatabaseError) as error, transaction.atomic(),
          connection.cursor() as cursor):
        cursor.execute(sql, params)
    assert FINAL in str(error.value)


def refused_orm(action) -> None:
    with pytest.raises(DatabaseError) as error, transaction.atomic():
        action()
    assert FINAL in str(error.value)


@pytest.fixture
def card_gift(db):
    world = past_world()
    return CardGift.objects.create(
        event=world.event, processor="Stripe", reference="ch_final", code="PCY-27",
        team=world.team, amount_cents=2_500, fee_cents=103, donor_name="Ana Donor",
        given_at=timezone.now(), entered_by=world.ann)


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("change", [
    "amount_cents = amount_cents + 100", "fee_cents = 0", "team_id = NULL",
    "donor_name = 'Someone else'", "reference = 'ch_other'", "event_id = event_id"])
def test_raw_update_of_a_card_gift_fails(card_gift, change):
    refused(f"UPDATE donations_cardgift SET {change} WHERE id = %s",  # noqa: S608 (ours)
            [card_gift.pk])

    card_gift.refresh_from_db()
    assert (card_gift.amount_cents, card_gift.team_id is not None) == (2_500, True)


@pytest.mark.postgres
@pytest.mark.django_db
def test_raw_delete_of_a_card_gift_fails(card_gift):
    refused("DELETE FROM donations_cardgift WHERE id = %s", [card_gift.pk])

    assert CardGift.objects.filter(pk=card_gift.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db
def test_orm_save_update_and_delete_of_a_card_gift_fail(card_gift):
    def save():
        card_gift.amount_cents = 1
        card_gift.save()

    refused_orm(save)
    refused_orm(lambda: CardGift.objects.filter(pk=card_gift.pk).update(team=None))
    refused_orm(lambda: CardGift.objects.filter(pk=card_gift.pk).delete())
    refused_orm(lambda: CardGift.objects.all().delete())

    assert CardGift.objects.get(pk=card_gift.pk).amount_cents == 2_500


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_card_gift_is_still_written_and_read(card_gift):
    CardGift.objects.create(event=card_gift.event, processor="Stripe", reference="ch_next",
                            amount_cents=100, given_at=timezone.now(),
                            entered_by=card_gift.entered_by)

    assert CardGift.objects.filter(event=card_gift.event).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_refuses_a_second_gift_with_the_same_reference(card_gift):
    with pytest.raises(IntegrityError), transaction.atomic():
        CardGift.objects.create(event=card_gift.event, processor="Stripe",
                                reference="ch_final", amount_cents=100,
                                given_at=timezone.now(), entered_by=card_gift.entered_by)


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(("amount", "fee"), [(0, 0), (-100, 0), (100, -1)])
def test_the_database_refuses_a_gift_of_nothing_or_a_negative_fee(card_gift, amount, fee):
    with pytest.raises(IntegrityError), transaction.atomic():
        CardGift.objects.create(event=card_gift.event, processor="Stripe", reference="ch_x",
                                amount_cents=amount, fee_cents=fee, given_at=timezone.now(),
                                entered_by=card_gift.entered_by)


# --- At the same instant -------------------------------------------------------------------


class Upload(io.BytesIO):
    name = "payments.csv"

    @property
    def size(self) -> int:
        return len(self.getvalue())


def import_job(*, event_pk: int, person_pk: int, text: str):
    def job():
        event = Event.objects.get(pk=event_pk)
        headers, rows = read_card_csv(Upload(text.encode()))
        mapping = guess_mapping(headers, rows, processor="stripe")
        since, until = default_days(event)
        mapping.update(since=since.isoformat(), until=until.isoformat())
        card_import_commit(event=event, file_name="payments.csv", headers=headers, rows=rows,
                           mapping=mapping, by=User.objects.get(pk=person_pk))

    return job


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_treasurers_importing_one_file_at_once_import_it_once():
    world = past_world()
    text = stripe_csv(world.day)

    errors = run_at_once([import_job(event_pk=world.event.pk, person_pk=person.pk, text=text)
                          for person in (world.ann, world.ben)])

    assert CardGift.objects.count() == 4 and CardImport.objects.count() == 1
    assert len(errors) == 1 and isinstance(errors[0], CardImportError)
    assert errors[0].errors[0][2].startswith("This gift is already in Rally")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_file_imported_for_two_drives_at_once_lands_on_one():
    world = past_world()
    other = EventFactory(title="Clovis Street Drive", starts_at=world.event.starts_at,
                         ends_at=world.event.ends_at)
    text = stripe_csv(world.day)

    errors = run_at_once([import_job(event_pk=event.pk, person_pk=person.pk, text=text)
                          for event, person in ((world.event, world.ann), (other, world.ben))])

    assert CardGift.objects.count() == 4
    assert CardGift.objects.values("event").distinct().count() == 1
    assert len(errors) == 1 and isinstance(errors[0], CardImportError)
    assert errors[0].message.startswith(("Another treasurer imported some of these gifts",
                                         "This gift is already in Rally"))


def code_job(*, model, pk: int, person_pk: int, code: str):
    def job():
        giving_code_set(holder=model.objects.get(pk=pk), code=code,
                        by=User.objects.get(pk=person_pk))

    return job


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_team_and_a_site_taking_one_code_at_once_end_with_one_holder():
    boss = organizer()
    for attempt in range(5):
        code = f"SAME-{attempt}"
        team, site = TeamFactory(), SiteFactory()

        errors = run_at_once([code_job(model=Team, pk=team.pk, person_pk=boss.pk, code=code),
                              code_job(model=Site, pk=site.pk, person_pk=boss.pk, code=code)])

        holders = (Team.objects.filter(giving_code=code).count()
                   + Site.objects.filter(giving_code=code).count())
        assert holders == 1, attempt
        assert len(errors) == 1 and isinstance(errors[0], MoneyError)
        assert errors[0].field == "code"


@pytest.mark.postgres
@pytest.mark.django_db
def test_card_gift_on_a_locked_drive_is_refused_by_the_database(card_gift):
    from donations.models import DriveMoneyStep

    DriveMoneyStep.objects.create(event=card_gift.event, kind=DriveMoneyStep.Kind.RECONCILED,
                                  by=card_gift.entered_by)

    with pytest.raises(DatabaseError) as error, transaction.atomic():
        CardGift.objects.create(
            event=card_gift.event, processor="Stripe", reference="ch_late", code="",
            amount_cents=1_000, given_at=timezone.now(), entered_by=card_gift.entered_by)

    assert "reconciled and locked" in str(error.value)
    assert CardGift.objects.filter(reference="ch_late").count() == 0
