"""The books are append-only in PostgreSQL itself (migration 0005), not only in the code: raw
SQL that rewrites or deletes a final money row fails with the trigger's message, a deposit is
final once matched, a bank line is never edited, and no money row can be added to a drive whose
latest step is "reconciled". Rows are built directly with the ORM, and every refused statement
runs in its own savepoint."""

import pytest
from django.db import DatabaseError, connection, transaction

from donations.models import (
    AdjustmentAllocation,
    AdjustmentEntry,
    AgreedCount,
    BankAdjustment,
    BankMatch,
    CountCheck,
    CountLine,
    DepositItem,
    DriveMoneyStep,
    MoneyAudit,
    OddItem,
    VarianceNote,
)
from tests.donations.books_fixtures import (
    agree,
    bank_adjustment,
    bank_line,
    banked,
    count_of,
    counted,
    deposited,
    proceeds_of,
    quantities_for,
    second_world,
    sheet_for,
)
from tests.donations.money_world import MoneyWorld

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

FINAL = "money rows are final: record a correction as a new entry"
LOCKED = "this drive is reconciled and locked: record a correction as an adjustment entry"
MATCHED = "this deposit is matched to a bank line and can no longer change"
LINE_MATCHED = "this bank line is matched to a deposit and can no longer change"


def refused(sql: str, params: list, message: str) -> None:
    with (pytest.raises(DatabaseError) as error, transaction.atomic(),
          connection.cursor() as cursor):
        cursor.execute(sql, params)
    assert message in str(error.value)


def refused_orm(action, message: str) -> None:
    with pytest.raises(DatabaseError) as error, transaction.atomic():
        action()
    assert message in str(error.value)


def run(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def lock(world) -> DriveMoneyStep:
    """The drive's latest step "reconciled", written directly (as a stray script might)."""
    return DriveMoneyStep.objects.create(event=world.event, kind="reconciled", by=world.tess)


class Books:
    """One of every money row: bucket 0 counted with a check and a gift card (sold), bucket 1
    counted, both deposited and matched $1 short, the dollar explained by a bank adjustment,
    reconciled with a variance note, then an adjustment entry and the audit trail."""

    def __init__(self):
        self.world = world = MoneyWorld(buckets=2)
        self.first = counted(world, 0, 2000, checks=(2500,), odd=("A gift card",))
        self.second = counted(world, 1, 735)
        self.odd_item = OddItem.objects.get(count=self.first.count)
        self.proceeds = proceeds_of(self.odd_item, self.first, by=world.ann, amount_cents=1000)
        self.deposit = deposited(world, [self.first, self.second], proceeds=[self.proceeds])
        self.match = banked(self.deposit, 6135)
        self.adjustment = bank_adjustment(self.deposit, {self.first: -100}, by=world.ann)
        self.step = lock(world)
        self.note = VarianceNote.objects.create(step=self.step, subject="Slip", amount_cents=5,
                                                explanation="Added wrong.")
        self.entry = AdjustmentEntry.objects.create(
            event=world.event, amount_cents=-500, reason="Returned check.",
            approved_by=world.ann, by=world.tess, corrects_agreed=self.first)
        self.audit = MoneyAudit.objects.create(event=world.event, action="drive.reconciled",
                                               subject="Reconciled", by=world.tess,
                                               after={"total_cents": 6135})

    def pk_of(self, table: str) -> int:
        count = self.first.count
        return {
            "count": count.pk,
            "countline": CountLine.objects.filter(count=count).first().pk,
            "countcheck": CountCheck.objects.get(count=count).pk,
            "odditem": self.odd_item.pk,
            "countsheet": self.first.sheet_id,
            "agreedcount": self.first.pk,
            "odditemproceeds": self.proceeds.pk,
            "bankmatch": self.match.pk,
            "bankadjustment": self.adjustment.pk,
            "adjustmentallocation": AdjustmentAllocation.objects.get(
                adjustment=self.adjustment).pk,
            "drivemoneystep": self.step.pk,
            "variancenote": self.note.pk,
            "adjustmententry": self.entry.pk,
            "moneyaudit": self.audit.pk,
        }[table]


@pytest.fixture
def books():
    return Books()


FINAL_UPDATES = [
    ("count", "cash_cents = cash_cents + 100, total_cents = total_cents + 100"),
    ("countline", "quantity = quantity + 1"),
    ("countcheck", "amount_cents = amount_cents + 100"),
    ("odditem", "description = 'nothing at all'"),
    ("countsheet", "team_id = NULL"),
    ("agreedcount", "cash_cents = cash_cents + 100, total_cents = total_cents + 100"),
    ("odditemproceeds", "amount_cents = 0"),
    ("bankmatch", "difference_cents = 0"),
    ("bankadjustment", "amount_cents = -1"),
    ("adjustmentallocation", "amount_cents = 0"),
    ("drivemoneystep", "kind = 'reopened'"),
    ("variancenote", "explanation = ''"),
    ("adjustmententry", "amount_cents = 1"),
    ("moneyaudit", "reason = 'rewritten'"),
]


@pytest.mark.parametrize(("table", "change"), FINAL_UPDATES)
def test_raw_update_of_a_final_row_fails(books, table, change):
    pk = books.pk_of(table)

    # The table and the change come from the list above, never from input.
    refused(f"UPDATE donations_{table} SET {change} WHERE id = %s", [pk], FINAL)  # noqa: S608


@pytest.mark.parametrize("table", [table for table, _change in FINAL_UPDATES])
def test_raw_delete_of_a_final_row_fails(books, table):
    pk = books.pk_of(table)

    refused(f"DELETE FROM donations_{table} WHERE id = %s", [pk], FINAL)  # noqa: S608


def test_raw_update_of_a_count_total_fails_and_the_total_stays(books):
    count = books.first.count

    refused("UPDATE donations_count SET total_cents = 1 WHERE id = %s", [count.pk], FINAL)

    count.refresh_from_db()
    assert count.total_cents == 4500


def test_orm_update_and_delete_of_final_rows_fail_too(books):
    refused_orm(lambda: AgreedCount.objects.filter(pk=books.first.pk).update(total_cents=1),
                FINAL)
    refused_orm(lambda: CountLine.objects.filter(count=books.second.count).delete(), FINAL)
    refused_orm(lambda: MoneyAudit.objects.all().delete(), FINAL)


# --- Deposits, their items, bank lines -----------------------------------------------------


def test_unmatched_deposit_may_change_and_its_items_may_be_removed():
    world = MoneyWorld(buckets=2)
    first, second = counted(world, 0, 100), counted(world, 1, 200)
    deposit = deposited(world, [first, second])

    assert run("UPDATE donations_deposit SET declared_cents = 250, version = version + 1 "
               "WHERE id = %s", [deposit.pk]) == 1
    assert run("DELETE FROM donations_deposititem WHERE agreed_id = %s", [second.pk]) == 1
    refused("UPDATE donations_deposititem SET amount_cents = 1 WHERE deposit_id = %s",
            [deposit.pk], FINAL)


def test_matched_deposit_is_final():
    world = MoneyWorld(buckets=1)
    deposit = deposited(world, [counted(world, 0, 100)])
    banked(deposit)

    refused("UPDATE donations_deposit SET declared_cents = 1 WHERE id = %s", [deposit.pk],
            MATCHED)
    refused("DELETE FROM donations_deposit WHERE id = %s", [deposit.pk], MATCHED)
    refused("DELETE FROM donations_deposititem WHERE deposit_id = %s", [deposit.pk], MATCHED)


def test_no_item_can_join_a_matched_deposit():
    world = MoneyWorld(buckets=2)
    first, second = counted(world, 0, 100), counted(world, 1, 200)
    deposit = deposited(world, [first])
    banked(deposit)

    refused_orm(lambda: DepositItem.objects.create(deposit=deposit, agreed=second,
                                                   amount_cents=200, added_by=world.ann),
                MATCHED)


def test_bank_line_is_never_edited_and_removed_only_while_unmatched(books):
    loose = bank_line(4200, by=books.world.ann)

    refused("UPDATE donations_bankline SET amount_cents = 1 WHERE id = %s", [loose.pk], FINAL)
    refused("UPDATE donations_bankline SET description = 'x' WHERE id = %s",
            [books.match.bank_line_id], FINAL)
    refused("DELETE FROM donations_bankline WHERE id = %s", [books.match.bank_line_id],
            LINE_MATCHED)
    assert run("DELETE FROM donations_bankline WHERE id = %s", [loose.pk]) == 1


# --- Nothing new on a locked drive ---------------------------------------------------------


class Pending:
    """Rows that could be written next on a drive: a bucket back but not opened, a sheet with
    counts A and B (not agreed yet), an agreed count with an odd item, an agreed count not
    deposited, a deposit not matched and a bank line."""

    def __init__(self):
        self.world = world = MoneyWorld(buckets=4)
        self.sheet = sheet_for(world, world.returns[1])
        quantities = quantities_for(500)
        self.a = count_of(self.sheet, counter=world.ann, letter="A", quantities=quantities)
        self.b = count_of(self.sheet, counter=world.ben, letter="B", quantities=quantities)
        self.with_odd = counted(world, 2, 300, odd=("A Canadian dollar",))
        self.loose = counted(world, 3, 700)
        self.deposit = deposited(world, [self.with_odd])
        self.line = bank_line(300, by=world.ann)


@pytest.fixture
def pending():
    return Pending()


def inserts(pending: Pending) -> dict:
    world = pending.world
    return {
        "countsheet": lambda: sheet_for(world, world.returns[0]),
        "count": lambda: count_of(pending.sheet, counter=world.tess, letter="C"),
        "agreedcount": lambda: agree(pending.sheet, pending.a, pending.b),
        "odditemproceeds": lambda: proceeds_of(
            OddItem.objects.get(count=pending.with_odd.count), pending.with_odd, by=world.ann,
            amount_cents=75),
        "deposit": lambda: deposited(world, []),
        "deposititem": lambda: DepositItem.objects.create(
            deposit=pending.deposit, agreed=pending.loose, amount_cents=700, added_by=world.ann),
        "bankmatch": lambda: BankMatch.objects.create(
            bank_line=pending.line, deposit=pending.deposit, event=world.event,
            difference_cents=0, matched_by=world.ann),
    }


@pytest.mark.parametrize("table", ["countsheet", "count", "agreedcount", "odditemproceeds",
                                   "deposit", "deposititem", "bankmatch"])
def test_insert_on_a_locked_drive_fails(pending, table):
    lock(pending.world)

    refused_orm(inserts(pending)[table], LOCKED)


def test_bank_adjustment_insert_on_a_locked_drive_fails():
    world = MoneyWorld(buckets=1)
    agreed = counted(world, 0, 1000)
    deposit = deposited(world, [agreed])
    banked(deposit, 900)
    lock(world)

    refused_orm(lambda: BankAdjustment.objects.create(
        deposit=deposit, event=world.event, amount_cents=-100, reason="other",
        explanation="x", by=world.ann), LOCKED)


def test_unmatched_deposit_of_a_locked_drive_cannot_change(pending):
    lock(pending.world)

    refused("UPDATE donations_deposit SET declared_cents = 1 WHERE id = %s",
            [pending.deposit.pk], LOCKED)
    refused("DELETE FROM donations_deposititem WHERE deposit_id = %s", [pending.deposit.pk],
            LOCKED)


@pytest.mark.parametrize("table", ["countsheet", "count", "agreedcount", "odditemproceeds",
                                   "deposit", "deposititem", "bankmatch"])
def test_insert_after_the_drive_is_reopened_succeeds(pending, table):
    step = lock(pending.world)
    DriveMoneyStep.objects.create(event=pending.world.event, kind="reopened", reason="Fix",
                                  by=pending.world.superuser, at=step.at)

    inserts(pending)[table]()


def test_adjustment_entry_and_audit_line_may_be_added_to_a_locked_drive(books):
    world = books.world

    AdjustmentEntry.objects.create(event=world.event, amount_cents=100, reason="Found $1.",
                                   approved_by=world.ann, by=world.tess,
                                   corrects_deposit=books.deposit)
    MoneyAudit.objects.create(event=world.event, action="adjustment.created", subject="x")

    assert AdjustmentEntry.objects.filter(event=world.event).count() == 2


def test_other_drives_are_not_locked(books):
    elsewhere = second_world(books.world)

    agreed = counted(elsewhere, 0, 100)

    assert agreed.event == elsewhere.event
