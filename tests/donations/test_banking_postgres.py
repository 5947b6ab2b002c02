"""On PostgreSQL: a matched deposit, its bank line and what explains it are final in the
database itself (even raw SQL is refused by the triggers of migration 0005), and treasurers
acting at the same instant, each on their own connection, never deposit a bucket twice, match
a bank line twice, overwrite each other's slip, or import a line twice."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from donations.bank_csv import (
    BankImportError,
    bank_import_commit,
    guess_mapping,
    read_bank_csv,
)
from donations.banking import (
    bank_adjustment_create,
    bank_match,
    deposit_create,
    deposit_update,
)
from donations.ledger import MoneyConflict, MoneyError
from donations.models import AgreedCount, BankLine, BankMatch, Deposit, DepositItem
from tests.concurrency import run_at_once
from tests.donations.banking_fixtures import agree, agree_all, bank_line, lock
from tests.donations.money_world import MoneyWorld
from volunteers.models import User

MATCHED = "this deposit is matched to a bank line and can no longer change"
FINAL = "money rows are final: record a correction as a new entry"
LOCKED = "this drive is reconciled and locked"


def make_deposit(world, agreed, *, slip="4471", by=None):
    return deposit_create(event=world.event, deposited_on=timezone.localdate(),
                          depositor=world.ben, slip_number=slip, bag_number="",
                          declared_cents=sum(a.total_cents for a in agreed),
                          agreed_ids=[a.pk for a in agreed], by=by or world.ben)


def raw(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def explained_deposit(world):
    first, second = agree_all(world, [10_000, 2_500])
    made = make_deposit(world, [first, second])
    line = bank_line(11_500, by=world.ann, reference="4471")
    bank_match(deposit=made, bank_line=line, by=world.ann)
    adjustment = bank_adjustment_create(deposit=made, amount_cents=-1_000, reason="counterfeit",
                                        explanation="A $10 counterfeit.",
                                        allocations={first.pk: -1_000}, by=world.tess)
    return made, line, adjustment, first, second


@pytest.mark.postgres
@pytest.mark.django_db
class TestTheDatabaseKeepsTheBankSideFinal:
    def test_an_unmatched_deposit_may_still_be_corrected_in_sql(self):
        world = MoneyWorld(buckets=1)
        made = make_deposit(world, [agree(world, 0)])

        raw("UPDATE donations_deposit SET bag_number = 'B-2' WHERE id = %s", [made.pk])

        made.refresh_from_db()
        assert made.bag_number == "B-2"

    def test_a_matched_deposit_refuses_even_a_raw_update_or_delete(self):
        world = MoneyWorld(buckets=2)
        made, *_rest = explained_deposit(world)

        with pytest.raises(DatabaseError, match=MATCHED):
            raw("UPDATE donations_deposit SET declared_cents = 1 WHERE id = %s", [made.pk])
        with pytest.raises(DatabaseError, match=MATCHED):
            raw("DELETE FROM donations_deposit WHERE id = %s", [made.pk])

        made.refresh_from_db()
        assert made.declared_cents == 12_500

    def test_a_matched_deposits_items_refuse_insert_update_and_delete(self):
        world = MoneyWorld(buckets=3)
        made, *_rest = explained_deposit(world)
        third = agree(world, 2)
        item = made.items.first()

        with pytest.raises(DatabaseError, match=MATCHED), transaction.atomic():
            DepositItem.objects.create(deposit=made, agreed=third, amount_cents=1,
                                       added_by=world.ann)
        with pytest.raises(DatabaseError, match=FINAL):
            raw("UPDATE donations_deposititem SET amount_cents = 1 WHERE id = %s", [item.pk])
        with pytest.raises(DatabaseError, match=MATCHED):
            raw("DELETE FROM donations_deposititem WHERE id = %s", [item.pk])

        assert made.items.count() == 2

    def test_bank_lines_match_and_adjustments_refuse_raw_changes(self):
        world = MoneyWorld(buckets=2)
        made, line, adjustment, *_counts = explained_deposit(world)

        for sql, params, message in (
            ("UPDATE donations_bankline SET amount_cents = 12500 WHERE id = %s", [line.pk],
             FINAL),
            ("DELETE FROM donations_bankline WHERE id = %s", [line.pk],
             "this bank line is matched to a deposit"),
            ("UPDATE donations_bankmatch SET difference_cents = 0 WHERE deposit_id = %s",
             [made.pk], FINAL),
            ("DELETE FROM donations_bankmatch WHERE deposit_id = %s", [made.pk], FINAL),
            ("UPDATE donations_bankadjustment SET amount_cents = -1 WHERE id = %s",
             [adjustment.pk], FINAL),
            ("DELETE FROM donations_bankadjustment WHERE id = %s", [adjustment.pk], FINAL),
            ("UPDATE donations_adjustmentallocation SET amount_cents = 0 "
             "WHERE adjustment_id = %s", [adjustment.pk], FINAL),
        ):
            with pytest.raises(DatabaseError, match=message):
                raw(sql, params)

        assert BankMatch.objects.get().difference_cents == -1_000
        assert adjustment.allocations.get().amount_cents == -1_000

    def test_an_unmatched_bank_line_may_be_deleted_but_never_edited(self):
        world = MoneyWorld(buckets=0)
        line = bank_line(500, by=world.ann)

        with pytest.raises(DatabaseError, match=FINAL):
            raw("UPDATE donations_bankline SET amount_cents = 1 WHERE id = %s", [line.pk])
        raw("DELETE FROM donations_bankline WHERE id = %s", [line.pk])

        assert not BankLine.objects.exists()

    def test_a_locked_drive_takes_no_new_deposit_even_from_the_orm(self):
        world = MoneyWorld(buckets=1)
        lock(world)

        with pytest.raises(DatabaseError, match=LOCKED), transaction.atomic():
            Deposit.objects.create(event=world.event, deposited_on=timezone.localdate(),
                                   depositor=world.ben, slip_number="1", declared_cents=0,
                                   created_by=world.ben)


# --- Treasurers at the same instant ------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestTreasurersAtTheSameInstant:
    def test_one_bucket_ticked_into_two_deposits_at_once_is_deposited_once(self):
        world = MoneyWorld(buckets=2)
        first, second = agree_all(world, [5_000, 2_500])
        people = [world.ann.pk, world.ben.pk]

        def job(slip, agreed_ids, person_pk):
            def run():
                deposit_create(event=world.event, deposited_on=timezone.localdate(),
                               depositor=User.objects.get(pk=person_pk), slip_number=slip,
                               bag_number="", declared_cents=0, agreed_ids=agreed_ids,
                               by=User.objects.get(pk=person_pk))
            return run

        errors = run_at_once([job("1", [first.pk], people[0]),
                              job("2", [first.pk, second.pk], people[1])])

        assert DepositItem.objects.filter(agreed=first).count() == 1
        assert len(errors) == 1 and isinstance(errors[0], MoneyError)
        assert errors[0].field == "agreed"
        assert errors[0].message.startswith(f"Bucket {first.bucket.number} is already in "
                                            "deposit slip ")
        assert Deposit.objects.count() == 1

    def test_one_bank_line_matched_to_two_deposits_at_once_is_matched_once(self):
        world = MoneyWorld(buckets=2)
        first, second = agree_all(world, [5_000, 5_000])
        one, two = make_deposit(world, [first], slip="1"), make_deposit(world, [second],
                                                                        slip="2")
        line = bank_line(5_000, by=world.ann)

        def job(deposit_pk):
            def run():
                bank_match(deposit=Deposit.objects.get(pk=deposit_pk),
                           bank_line=BankLine.objects.get(pk=line.pk),
                           by=User.objects.get(pk=world.ann.pk))
            return run

        errors = run_at_once([job(one.pk), job(two.pk)])

        assert BankMatch.objects.filter(bank_line=line).count() == 1
        assert len(errors) == 1 and isinstance(errors[0], MoneyError)
        assert errors[0].message.startswith("That bank line is already matched to deposit slip")

    def test_two_treasurers_saving_one_slip_at_once_do_not_overwrite_each_other(self):
        world = MoneyWorld(buckets=1)
        made = make_deposit(world, [agree(world, 0)])

        def job(person_pk, declared):
            def run():
                deposit = Deposit.objects.get(pk=made.pk)
                deposit_update(deposit=deposit, version=1, deposited_on=deposit.deposited_on,
                               depositor=deposit.depositor, slip_number=deposit.slip_number,
                               bag_number="", declared_cents=declared, note="",
                               by=User.objects.get(pk=person_pk))
            return run

        errors = run_at_once([job(world.ann.pk, 9_900), job(world.tess.pk, 10_100)])

        assert len(errors) == 1 and isinstance(errors[0], MoneyConflict)
        made.refresh_from_db()
        assert made.version == 2 and made.declared_cents in (9_900, 10_100)

    def test_the_same_statement_imported_twice_at_once_is_imported_once(self):
        world = MoneyWorld(buckets=0)
        day = timezone.localdate()
        text = ("Date,Description,Amount,Reference\n"
                + "".join(f"{day:%m/%d/%Y},DEPOSIT {n},{n}.00,{n}\n" for n in range(1, 40)))
        headers, rows = read_bank_csv(SimpleUploadedFile("june.csv", text.encode()))
        mapping = guess_mapping(headers, rows)

        def job(person_pk):
            def run():
                bank_import_commit(file_name="june.csv", rows=rows, mapping=mapping,
                                   headers=headers, by=User.objects.get(pk=person_pk))
            return run

        errors = run_at_once([job(world.ann.pk), job(world.ben.pk)])

        assert BankLine.objects.count() == 39
        assert len(errors) == 1 and isinstance(errors[0], BankImportError)
        assert AgreedCount.objects.count() == 0
