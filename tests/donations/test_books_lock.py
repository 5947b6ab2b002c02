"""A reconciled drive is locked for every service that changes its money: the counting
services (sessions, sheets, counts, odd items' proceeds) and the banking ones (deposits,
their items, matching, bank adjustments) refuse with the same message, and nothing changes.
Reopened by a superuser, the drive takes changes again. (The database's own refusal, for code
that bypasses the services, is in test_money_triggers.py.)"""

import pytest
from django.utils import timezone

from donations import banking, counting
from donations.books import drive_books, drive_reconcile, drive_reopen
from donations.ledger import MoneyError
from donations.models import (
    BankAdjustment,
    Count,
    CountSession,
    CountSheet,
    Deposit,
    DepositItem,
    MoneyAudit,
    OddItem,
    OddItemProceeds,
)
from tests.donations.books_fixtures import (
    bank_line,
    banked,
    counted,
    deposited,
    proceeds_of,
)
from tests.donations.money_world import MoneyWorld

pytestmark = pytest.mark.django_db

LOCKED = "This drive's books are reconciled and locked."


class LockedDrive:
    """Three buckets counted (the first with a gift card sold for $15), deposited in one
    deposit, matched to the bank, reconciled by Tess; a fourth bucket came back afterwards."""

    def __init__(self):
        self.world = world = MoneyWorld(buckets=3)
        self.agreed = [counted(world, 0, 12000, odd=("A $25 gift card",)),
                       counted(world, 1, 4550), counted(world, 2, 875)]
        self.odd_item = OddItem.objects.get(count=self.agreed[0].count)
        self.proceeds = proceeds_of(self.odd_item, self.agreed[0], by=world.ann,
                                    amount_cents=1500)
        self.deposit = deposited(world, self.agreed, proceeds=[self.proceeds])
        self.match = banked(self.deposit)
        self.session = CountSession.objects.get(sheets=self.agreed[0].sheet)
        self.step = drive_reconcile(event=world.event, by=world.tess, explanations={})
        self.late_return = world.return_another()
        self.loose_line = bank_line(999, by=world.ann)


@pytest.fixture
def locked():
    return LockedDrive()


def rows() -> dict:
    return {model.__name__: model.objects.count() for model in (
        CountSession, CountSheet, Count, OddItemProceeds, Deposit, DepositItem, BankAdjustment,
        MoneyAudit)}


def refusals(locked: LockedDrive) -> dict:
    world = locked.world
    today = timezone.localdate()
    return {
        "session_open": lambda: counting.session_open(event=world.event, place="Hall",
                                                      by=world.ann),
        "session_update": lambda: counting.session_update(
            session=locked.session, version=locked.session.version, place="Other hall",
            present=[], note="", by=world.ann),
        "sheet_open": lambda: counting.sheet_open(session=locked.session,
                                                  returned=locked.late_return, by=world.ann),
        "count_submit": lambda: counting.count_submit(
            sheet=locked.agreed[1].sheet, counter=world.tess, quantities={"bill_20": 1},
            checks=[], odd_items=[]),
        "proceeds_post": lambda: counting.proceeds_post(
            odd_item=locked.odd_item, how="sold", amount_cents=2000, note="", by=world.ann),
        "deposit_create": lambda: banking.deposit_create(
            event=world.event, deposited_on=today, depositor=world.ann, slip_number="NEW-1",
            declared_cents=100, agreed_ids=[], by=world.ann),
        "deposit_update": lambda: banking.deposit_update(
            deposit=locked.deposit, version=locked.deposit.version, deposited_on=today,
            depositor=world.ann, slip_number="CHANGED", bag_number="", declared_cents=1,
            note="", by=world.ann),
        "deposit_add_items": lambda: banking.deposit_add_items(
            deposit=locked.deposit, agreed_ids=[locked.agreed[0].pk], by=world.ann),
        "deposit_remove_item": lambda: banking.deposit_remove_item(
            item=locked.deposit.items.first(), by=world.ann),
        "deposit_delete": lambda: banking.deposit_delete(
            deposit=locked.deposit, version=locked.deposit.version, by=world.ann),
        "bank_match": lambda: banking.bank_match(deposit=locked.deposit,
                                                 bank_line=locked.loose_line, by=world.ann),
        "bank_adjustment_create": lambda: banking.bank_adjustment_create(
            deposit=locked.deposit, amount_cents=-100, reason="other", explanation="x",
            allocations={locked.agreed[0].pk: -100}, by=world.ann),
    }


@pytest.mark.parametrize("service", [
    "session_open", "session_update", "sheet_open", "count_submit", "proceeds_post",
    "deposit_create", "deposit_update", "deposit_add_items", "deposit_remove_item",
    "deposit_delete", "bank_match", "bank_adjustment_create",
])
def test_every_money_service_refuses_a_locked_drive(locked, service):
    before = rows()
    figures = drive_books(locked.world.event)

    with pytest.raises(MoneyError) as refused:
        refusals(locked)[service]()

    assert refused.value.message.startswith(LOCKED)
    assert rows() == before
    after = drive_books(locked.world.event)
    assert (after.counted_cents, after.deposited_cents, after.bank_cents, after.locked) == (
        figures.counted_cents, figures.deposited_cents, figures.bank_cents, True)


def test_locked_total_is_the_reconciled_figures(locked):
    books = drive_books(locked.world.event)

    assert books.counted_cents == locked.step.counted_cents == 12000 + 4550 + 875 + 1500
    assert books.bank_cents == locked.step.bank_cents == books.counted_cents


def test_reopened_drive_takes_changes_again(locked):
    world = locked.world
    drive_reopen(event=world.event, by=world.superuser, reason="A fourth bucket came back.")

    session = counting.session_open(event=world.event, place="Hall", by=world.ann)
    sheet = counting.sheet_open(session=session, returned=locked.late_return, by=world.ann)

    assert sheet.bucket == locked.late_return.bucket
    books = drive_books(world.event)
    assert (books.state, books.locked) == ("open", False)

