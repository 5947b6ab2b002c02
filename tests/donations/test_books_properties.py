"""Properties of the books, for arbitrary drives (hypothesis):

- the agreed, deposited, bank and reconciled totals stay consistent under arbitrary bank
  differences and bank adjustments allocated to arbitrary buckets: the buckets' figures are
  the agreed counts plus the adjustments, the bank received the deposits plus their
  differences, and once every difference is explained the buckets' figures add up to what the
  bank received, which is what reconciliation records;
- no sequence of allowed (or attempted) actions changes a locked drive's totals: adjustment
  entries are added beside them, and everything else is refused by the services and, for
  raw SQL, by PostgreSQL.

Each example builds its own drive inside a transaction that is rolled back afterwards."""

import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from donations import banking, counting
from donations.books import adjustment_entry_create, drive_books, drive_reconcile, drive_reopen
from donations.ledger import MoneyError
from tests.donations.books_fixtures import bank_adjustment, banked, counted, deposited
from tests.donations.money_world import MoneyWorld

pytestmark = pytest.mark.django_db

EXAMPLES = settings(max_examples=25, deadline=None, derandomize=True,
                    phases=(Phase.explicit, Phase.generate),
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


class Rollback(Exception):
    pass


def in_a_rolled_back_transaction(check):
    try:
        with transaction.atomic():
            check()
            raise Rollback
    except Rollback:
        pass


drives = st.fixed_dictionaries({
    # Each bucket's counted cash, and the deposit (0 or 1) it goes into.
    "buckets": st.lists(st.tuples(st.integers(0, 500_000), st.integers(0, 1)),
                        min_size=1, max_size=4),
    # Per deposit: the bank's difference from the count, in cents.
    "differences": st.tuples(st.integers(-5_000, 5_000), st.integers(-5_000, 5_000)),
    # How each difference is split among the deposit's buckets (weights), and whether the
    # treasurers have explained it yet.
    "weights": st.lists(st.integers(0, 5), min_size=4, max_size=4),
    "explained": st.tuples(st.booleans(), st.booleans()),
})


def split(amount: int, weights: list[int]) -> list[int]:
    """``amount`` in whole cents shared by ``weights`` (at least one share non-zero)."""
    total = sum(weights) or 1
    shares = [amount * w // total for w in weights] if sum(weights) else [0] * len(weights)
    shares[0] += amount - sum(shares)
    return shares


@EXAMPLES
@given(drive=drives)
def test_books_totals_stay_consistent_under_arbitrary_adjustments(drive):
    def check():
        world = MoneyWorld(buckets=len(drive["buckets"]))
        agreed = [counted(world, index, cents)
                  for index, (cents, _slot) in enumerate(drive["buckets"])]
        groups = [[a for a, (_c, slot) in zip(agreed, drive["buckets"], strict=True)
                   if slot == n] for n in (0, 1)]
        explained_cents = 0
        all_explained = True
        for n, group in enumerate(groups):
            if not group:
                continue
            deposit = deposited(world, group, slip=f"S{n}")
            held = sum(a.total_cents for a in group)
            difference = max(drive["differences"][n], -held)
            banked(deposit, held + difference)
            if difference and drive["explained"][n]:
                shares = split(difference, drive["weights"][:len(group)])
                bank_adjustment(deposit, {a: s for a, s in zip(group, shares, strict=True)
                                          if s}, by=world.ann)
                explained_cents += difference
            elif difference:
                all_explained = False

        books = drive_books(world.event)

        agreed_cents = sum(a.total_cents for a in agreed)
        assert books.agreed_cents == agreed_cents
        assert books.deposited_cents == agreed_cents
        assert books.adjustments_cents == explained_cents
        assert books.counted_cents == agreed_cents + explained_cents
        assert books.counted_cents == sum(trip.figure_cents for trip in books.trips)
        assert books.bank_cents == books.deposited_cents + sum(
            state.bank_difference_cents for state in books.deposits)
        assert books.state == "deposited"
        assert books.ready == all_explained
        if all_explained:
            assert books.counted_cents == books.bank_cents
            step = drive_reconcile(event=world.event, by=world.tess, explanations={})
            assert (step.counted_cents, step.deposited_cents, step.bank_cents,
                    step.total_cents) == (books.counted_cents, books.deposited_cents,
                                          books.bank_cents, books.total_cents)

    in_a_rolled_back_transaction(check)


actions = st.lists(st.tuples(
    st.sampled_from(["entry", "reconcile", "reopen_by_treasurer", "reopen_without_reason",
                     "session", "count", "deposit", "bank_adjustment", "raw_update",
                     "raw_delete"]),
    st.integers(-100_000, 100_000),
    st.integers(0, 2),
), max_size=8)


@pytest.mark.postgres
@EXAMPLES
@given(steps=actions)
def test_no_sequence_of_actions_changes_a_locked_total(steps):
    def check():
        world = MoneyWorld(buckets=3)
        agreed = [counted(world, index, 1000 * (index + 1) + 7) for index in range(3)]
        deposit = deposited(world, agreed)
        match = banked(deposit, 6000)
        bank_adjustment(deposit, {agreed[0]: -21}, by=world.ann)
        step = drive_reconcile(event=world.event, by=world.tess, explanations={})
        people = [world.ann, world.ben, world.tess]
        entries = 0

        def attempt(kind: str, amount: int, who: int) -> bool:
            person = people[who]
            if kind == "entry":
                target = [{"corrects_agreed": agreed[who]}, {"corrects_deposit": deposit},
                          {"corrects_bank_line": match.bank_line}][who]
                adjustment_entry_create(event=world.event, amount_cents=amount, reason="Fix.",
                                        approved_by=people[(who + 1) % 3], by=person, **target)
                return True
            if kind == "reconcile":
                drive_reconcile(event=world.event, by=person, explanations={})
            elif kind == "reopen_by_treasurer":
                drive_reopen(event=world.event, by=person, reason="Because.")
            elif kind == "reopen_without_reason":
                drive_reopen(event=world.event, by=world.superuser, reason="")
            elif kind == "session":
                counting.session_open(event=world.event, place="Hall", by=person)
            elif kind == "count":
                counting.count_submit(sheet=agreed[who].sheet, counter=person,
                                      quantities={"coin_1": abs(amount)}, checks=[],
                                      odd_items=[])
            elif kind == "deposit":
                banking.deposit_create(
                    event=world.event, deposited_on=datetime.date.today(), depositor=person,
                    slip_number=f"X{amount}", declared_cents=abs(amount),
                    agreed_ids=[agreed[who].pk], by=person)
            elif kind == "bank_adjustment":
                banking.bank_adjustment_create(
                    deposit=deposit, amount_cents=amount or 1, reason="other",
                    explanation="x", allocations={agreed[who].pk: amount or 1}, by=person)
            else:
                table = ["agreedcount", "deposititem", "bankadjustment"][who]
                sql = (f"UPDATE donations_{table} SET amount_cents = %s"  # noqa: S608
                       if table != "agreedcount" else
                       "UPDATE donations_agreedcount SET total_cents = %s, cash_cents = %s - "
                       "checks_cents")
                params = [amount] if table != "agreedcount" else [amount, amount]
                if kind == "raw_delete":
                    sql, params = f"DELETE FROM donations_{table}", []  # noqa: S608
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
            return True

        for kind, amount, who in steps:
            try:
                with transaction.atomic():
                    if attempt(kind, amount, who) and kind == "entry":
                        entries += amount
            except (MoneyError, DatabaseError):
                pass

        books = drive_books(world.event)
        assert books.locked
        assert (books.counted_cents, books.deposited_cents, books.bank_cents) == (
            step.counted_cents, step.deposited_cents, step.bank_cents)
        assert books.total_cents == step.total_cents + entries

    in_a_rolled_back_transaction(check)
