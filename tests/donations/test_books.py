"""The drive's books as a whole (donations/books.py): the state open → counted → deposited →
reconciled, totals, variances, blockers, undeposited cash and its alert, reconciliation by an
independent treasurer, the lock, a superuser's reopening, adjustment entries, the audit lines.

Money rows are written with the ORM (tests/donations/books_fixtures.py); the books only read
them."""

import datetime

import pytest
from django.utils import timezone

from donations.books import (
    adjustment_entry_create,
    drive_books,
    drive_reconcile,
    drive_reopen,
    drives_with_money,
    undeposited_alerts,
)
from donations.ledger import MoneyConflict, MoneyError, is_locked
from donations.models import (
    AdjustmentEntry,
    BankAdjustment,
    DriveMoneyStep,
    MoneyAudit,
    OddItem,
    VarianceNote,
)
from tests.donations.books_fixtures import (
    bank_adjustment,
    bank_line,
    banked,
    count_of,
    counted,
    deposited,
    proceeds_of,
    quantities_for,
    ready_to_reconcile,
    second_world,
    sheet_for,
)
from tests.donations.money_world import MoneyWorld
from tests.factories import EventFactory, treasurer

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return MoneyWorld(buckets=3)


def reconciled(world, by=None, **kwargs):
    return drive_reconcile(event=world.event, by=by or world.tess, explanations={}, **kwargs)


# --- State ---------------------------------------------------------------------------------


def test_books_state_open_while_a_returned_bucket_is_not_counted(world):
    counted(world, 0, 1000)
    counted(world, 1, 2000)

    books = drive_books(world.event)

    assert books.state == "open"
    assert [trip.sheet_state for trip in books.trips] == ["agreed", "agreed", "unopened"]
    assert books.blockers[0] == (f"Bucket {world.buckets[2].number} has not been opened for "
                                 "counting.")
    assert not books.ready


def test_books_state_open_while_a_bucket_is_still_out(world):
    for index in range(3):
        counted(world, index, 1000)
    bucket = world.bucket_out()

    books = drive_books(world.event)

    assert books.state == "open"
    assert books.out == [bucket]
    assert books.blockers[0] == (f"Bucket {bucket.number} is still out on the street: it must "
                                 "come back and be counted.")


def test_books_state_open_with_no_bucket_back():
    books = drive_books(EventFactory())

    assert books.state == "open"
    assert books.blockers == ["No bucket of this drive has come back yet."]


def test_books_state_counted_when_every_bucket_is_agreed_and_one_is_not_deposited(world):
    agreed = [counted(world, index, 1000 * (index + 1)) for index in range(3)]
    deposited(world, agreed[:2])

    books = drive_books(world.event)

    assert books.state == "counted"
    assert books.blockers == [f"The counted money of bucket {world.buckets[2].number} is not in "
                              "a deposit yet.",
                              f"Deposit slip {books.deposits[0].deposit.slip_number} is not "
                              "matched to a bank line yet."]


def test_books_state_deposited_and_ready_when_the_bank_agrees_to_the_cent(world):
    ready_to_reconcile(world)

    books = drive_books(world.event)

    assert books.state == "deposited"
    assert books.blockers == []
    assert books.ready
    assert books.variances == []


def test_books_deposited_but_not_ready_while_a_deposit_is_not_matched(world):
    agreed = [counted(world, index, 500) for index in range(3)]
    deposit = deposited(world, agreed)

    books = drive_books(world.event)

    assert books.state == "deposited"
    assert not books.ready
    assert books.blockers == [f"Deposit slip {deposit.slip_number} is not matched to a bank "
                              "line yet."]


def test_books_state_reconciled_and_locked_after_reconciliation(world):
    ready_to_reconcile(world)
    reconciled(world)

    books = drive_books(world.event)

    assert (books.state, books.locked, books.blockers, books.ready) == (
        "reconciled", True, [], False)
    assert books.step.by == world.tess


def test_books_sheet_states_and_their_blockers(world):
    world.return_another()
    world.return_another()
    sheet_for(world, world.returns[1])  # opened, no count
    counting = sheet_for(world, world.returns[2])
    count_of(counting, counter=world.ann, letter="A", quantities={"bill_20": 3})
    recount = sheet_for(world, world.returns[3])
    count_of(recount, counter=world.ann, letter="A", quantities={"bill_20": 3})
    count_of(recount, counter=world.ben, letter="B", quantities={"bill_20": 2})
    counted(world, 4, 700)

    books = drive_books(world.event)

    assert [trip.sheet_state for trip in books.trips] == [
        "unopened", "opened", "counting", "recount", "agreed"]
    numbers = [bucket.number for bucket in world.buckets]
    assert books.blockers == [
        f"Bucket {numbers[0]} has not been opened for counting.",
        f"Bucket {numbers[1]} is waiting for its two counts.",
        f"Bucket {numbers[2]} is waiting for its second count.",
        f"The counts of bucket {numbers[3]} differ: it needs a recount.",
        f"The counted money of bucket {numbers[4]} is not in a deposit yet.",
    ]


def test_books_blockers_name_many_buckets_briefly():
    world = MoneyWorld(buckets=14)

    books = drive_books(world.event)

    numbers = ", ".join(str(bucket.number) for bucket in world.buckets[:12])
    assert books.blockers == [f"Buckets {numbers} and 2 more have not been opened for counting."]


def test_books_show_no_figure_before_a_bucket_is_agreed(world):
    sheet = sheet_for(world, world.returns[0])
    count_of(sheet, counter=world.ann, letter="A", quantities={"bill_100": 7})

    books = drive_books(world.event)

    trip = books.trips[0]
    assert (trip.agreed, trip.figure_cents) == (None, None)
    assert books.counted_cents == 0


# --- Totals --------------------------------------------------------------------------------


def test_books_totals_add_up_counts_proceeds_and_bank_adjustments(world):
    first = counted(world, 0, 12000, odd=("A 10-euro note",))
    second = counted(world, 1, 4550, checks=(2500,))
    third = counted(world, 2, 875)
    euro = OddItem.objects.get(count=first.count)
    brought = proceeds_of(euro, first, by=world.ann, amount_cents=1050)
    deposit = deposited(world, [first, second, third], proceeds=[brought], declared=21000)
    banked(deposit, 20975 - 2000)
    bank_adjustment(deposit, {first: -2000}, by=world.ann)

    books = drive_books(world.event)

    assert books.agreed_cents == 12000 + 7050 + 875
    assert books.proceeds_cents == 1050
    assert books.adjustments_cents == -2000
    assert [trip.figure_cents for trip in books.trips] == [12000 + 1050 - 2000, 7050, 875]
    assert books.counted_cents == 18975
    assert books.deposited_cents == 20975
    assert books.declared_cents == 21000
    assert books.bank_cents == 18975
    assert books.counted_cents == books.bank_cents
    assert books.total_cents == 18975


def test_books_adjustment_entries_are_shown_apart_from_the_figures(world):
    agreed, _deposit, _match = ready_to_reconcile(world)
    adjustment_entry_create(event=world.event, amount_cents=-500, reason="Miscounted dimes.",
                            approved_by=world.tess, by=world.ben, corrects_agreed=agreed[0])

    books = drive_books(world.event)

    assert books.trips[0].figure_cents == 12000
    assert books.trips[0].entries_cents == -500
    assert (books.counted_cents, books.entries_cents, books.total_cents) == (
        25275, -500, 24775)


# --- Variances -----------------------------------------------------------------------------


def test_books_slip_different_from_the_counts_is_a_variance_needing_words(world):
    agreed = [counted(world, index, 1000) for index in range(3)]
    deposit = deposited(world, agreed, declared=3100)
    banked(deposit)

    books = drive_books(world.event)

    [variance] = books.variances
    assert (variance.key, variance.kind, variance.amount_cents, variance.needs_words) == (
        f"declared_{deposit.pk}", "declared", 100, True)
    assert variance.subject == (f"Deposit slip {deposit.slip_number}: the slip says $31.00, "
                                "the counts it holds add up to $30.00")
    assert books.ready


def test_books_bank_difference_explained_by_adjustments_needs_no_more_words(world):
    agreed = [counted(world, index, 2000) for index in range(3)]
    deposit = deposited(world, agreed)
    banked(deposit, 4000)
    bank_adjustment(deposit, {agreed[0]: -1500, agreed[1]: -500}, by=world.ann,
                    reason=BankAdjustment.Reason.BANK_RECOUNT, explanation="Bank recount.")

    books = drive_books(world.event)

    [variance] = books.variances
    assert (variance.kind, variance.amount_cents, variance.needs_words) == ("bank", -2000, False)
    assert variance.detail == "Bank recount: Bank recount."
    assert books.ready


def test_books_bank_difference_not_explained_blocks_reconciliation(world):
    agreed = [counted(world, index, 2000) for index in range(3)]
    deposit = deposited(world, agreed)
    banked(deposit, 5900)
    bank_adjustment(deposit, {agreed[0]: -50}, by=world.ann)

    books = drive_books(world.event)

    assert books.deposits[0].unexplained_cents == -50
    assert books.blockers == [f"Deposit slip {deposit.slip_number}: -$0.50 of the bank's "
                              "difference is not explained by a bank adjustment."]
    assert not books.ready


def test_books_flagged_seal_and_lost_bucket_are_variances_needing_words(world):
    from donations.custody import bucket_report_missing, bucket_return

    flagged_bucket = world.bucket_out()
    world.returns.append(bucket_return(bucket=flagged_bucket, seal_number="X-1",
                                       seal_intact=False, by=world.organizer))
    lost_bucket = world.bucket_out()
    bucket_report_missing(bucket=lost_bucket, kind="stolen", description="Taken.",
                          by=world.organizer)

    books = drive_books(world.event)

    assert [(v.kind, v.needs_words, v.amount_cents) for v in books.variances] == [
        ("seal", True, None), ("missing", True, None)]
    assert books.variances[1].subject == f"{lost_bucket} was reported stolen"
    assert books.missing == [lost_bucket]
    assert books.out == []


# --- Undeposited cash ----------------------------------------------------------------------


def test_books_undeposited_cash_shows_its_age_and_alerts_past_the_limit(world, settings):
    settings.MONEY_UNDEPOSITED_ALERT_DAYS = 3
    now = timezone.now()
    counted(world, 0, 1000, at=now - datetime.timedelta(days=5))
    counted(world, 1, 2000, at=now - datetime.timedelta(days=3))
    counted(world, 2, 3000, at=now)

    books = drive_books(world.event)

    assert [(row.days, row.alert) for row in books.undeposited] == [
        (5, True), (3, False), (0, False)]
    assert [trip.alert for trip in books.trips] == [True, False, False]
    assert [row.amount_cents for row in books.alerts] == [1000]


def test_undeposited_alerts_name_each_drive_past_the_limit(world, settings):
    settings.MONEY_UNDEPOSITED_ALERT_DAYS = 2
    old = timezone.now() - datetime.timedelta(days=4)
    counted(world, 0, 1000, at=old)
    counted(world, 1, 2500, at=old - datetime.timedelta(days=1))
    later = counted(world, 2, 999, at=old)
    deposited(world, [later])
    fresh = second_world(world)
    counted(fresh, 0, 700)

    [alert] = undeposited_alerts()

    assert (alert.event, alert.buckets, alert.amount_cents, alert.oldest_days) == (
        world.event, 2, 3500, 5)


def test_books_odd_items_pending_and_proceeds_not_deposited_block(world):
    first = counted(world, 0, 1000, odd=("A gift card", "A ring"))
    others = [counted(world, index, 1000) for index in (1, 2)]
    card, _ring = OddItem.objects.filter(count=first.count).order_by("pk")
    proceeds_of(card, first, by=world.ann, amount_cents=2500)
    banked(deposited(world, [first, *others]))

    books = drive_books(world.event)

    assert [item.description for item in books.odd_pending] == ["A ring"]
    assert books.state == "counted"
    assert books.blockers == [
        "What 1 odd item brought is not in a deposit yet.",
        "1 odd item (a foreign coin, a gift card …) is still pending: record what it brought, "
        "or that it has no value.",
    ]


def test_books_odd_item_of_no_value_needs_no_deposit(world):
    first = counted(world, 0, 1000, odd=("A button",))
    others = [counted(world, index, 1000) for index in (1, 2)]
    proceeds_of(OddItem.objects.get(count=first.count), first, by=world.ann, amount_cents=0,
                how="no_value")
    banked(deposited(world, [first, *others]))

    assert drive_books(world.event).ready


# --- The money home's list -----------------------------------------------------------------


def test_drives_with_money_gives_each_drive_its_state_and_totals(world):
    ready_to_reconcile(world)
    reconciled(world)
    counting = second_world(world, 2)
    counted(counting, 0, 1500)
    EventFactory(title="No money here")

    drives = {drive.pk: drive for drive in drives_with_money()}

    assert set(drives) == {world.event.pk, counting.event.pk}
    done = drives[world.event.pk]
    assert (done.money_state, done.counted_cents, done.deposited_cents, done.bank_cents) == (
        "reconciled", 25275, 25275, 25275)
    assert (drives[counting.event.pk].money_state, drives[counting.event.pk].agreed_n,
            drives[counting.event.pk].returns_n) == ("open", 1, 2)


def test_drives_with_money_agrees_with_drive_books_on_the_state(world):
    agreed = [counted(world, index, 1000) for index in range(3)]
    deposited(world, agreed[:1])

    [drive] = drives_with_money()

    assert drive.money_state == drive_books(world.event).state == "counted"
    assert drive.counted_cents == drive_books(world.event).counted_cents


# --- Reconciliation ------------------------------------------------------------------------


def test_reconcile_by_a_treasurer_who_neither_counted_nor_deposited_locks_the_drive(world):
    ready_to_reconcile(world)

    step = drive_reconcile(event=world.event, by=world.tess, explanations={},
                           note="All good.")

    assert step.kind == DriveMoneyStep.Kind.RECONCILED
    assert (step.counted_cents, step.deposited_cents, step.bank_cents, step.total_cents) == (
        25275, 25275, 25275, 25275)
    assert step.reason == "All good."
    assert is_locked(world.event)
    line = MoneyAudit.objects.get(action="drive.reconciled")
    assert (line.by, line.event_id, line.reason) == (world.tess, world.event.pk, "All good.")
    assert line.after["total_cents"] == 25275


@pytest.mark.parametrize("who", ["ann", "ben"])
def test_reconcile_by_a_counter_is_refused(world, who):
    ready_to_reconcile(world)

    with pytest.raises(MoneyError) as refused:
        reconciled(world, by=getattr(world, who))

    assert refused.value.message.startswith("You counted money of this drive")
    assert not is_locked(world.event)


def test_reconcile_by_the_depositor_is_refused(world):
    dee = treasurer()
    ready_to_reconcile(world, depositor=dee)

    with pytest.raises(MoneyError) as refused:
        reconciled(world, by=dee)

    assert refused.value.message.startswith("You deposited money of this drive")
    assert not DriveMoneyStep.objects.exists()


def test_reconcile_by_someone_not_a_treasurer_is_refused(world):
    ready_to_reconcile(world)

    with pytest.raises(MoneyError, match="Only a treasurer"):
        reconciled(world, by=world.organizer)


def test_reconcile_of_a_drive_not_ready_says_what_stands_before_it(world):
    counted(world, 0, 1000)

    with pytest.raises(MoneyError) as refused:
        reconciled(world)

    number = world.buckets[1].number
    assert refused.value.message.startswith(
        "This drive cannot be reconciled yet. Buckets ")
    assert f"{number}" in refused.value.message
    assert not DriveMoneyStep.objects.exists()


def test_reconcile_refuses_a_variance_without_words_at_its_field(world):
    agreed = [counted(world, index, 1000) for index in range(3)]
    deposit = deposited(world, agreed, declared=2990)
    banked(deposit)

    with pytest.raises(MoneyError) as refused:
        drive_reconcile(event=world.event, by=world.tess,
                        explanations={f"declared_{deposit.pk}": "   "})

    assert (refused.value.field, refused.value.message) == (
        f"declared_{deposit.pk}", "Explain this variance in words.")
    assert not DriveMoneyStep.objects.exists()
    assert not MoneyAudit.objects.filter(action="drive.reconciled").exists()


def test_reconcile_keeps_the_words_for_each_variance(world):
    agreed = [counted(world, index, 1000) for index in range(3)]
    deposit = deposited(world, agreed, declared=2990)
    banked(deposit, 2980)
    bank_adjustment(deposit, {agreed[0]: -20}, by=world.ann, explanation="Two dimes were "
                                                                         "Canadian.")

    step = drive_reconcile(event=world.event, by=world.tess, explanations={
        f"declared_{deposit.pk}": "The slip was added up wrong by ten cents.",
        f"bank_{deposit.pk}": "See the bank adjustment."})

    assert VarianceNote.objects.filter(step=step).count() == 2
    declared = VarianceNote.objects.get(step=step, amount_cents=-10)
    assert declared.explanation == "The slip was added up wrong by ten cents."
    assert declared.deposit == deposit
    assert VarianceNote.objects.get(step=step, amount_cents=-20).explanation == (
        "See the bank adjustment.")


def test_reconcile_twice_is_a_conflict(world):
    ready_to_reconcile(world)
    reconciled(world)

    with pytest.raises(MoneyConflict, match="reconciled this drive a moment ago"):
        reconciled(world, by=treasurer())

    assert DriveMoneyStep.objects.count() == 1


def test_reconcile_of_books_changed_since_the_page_was_shown_is_a_conflict(world):
    _agreed, deposit, _match = ready_to_reconcile(world)
    seen = drive_books(world.event).fingerprint
    bank_line(100, by=world.ann)  # not matched to this drive: its books are the same
    adjustment_entry_create(event=world.event, amount_cents=100, reason="x",
                            approved_by=world.ben, by=world.ann, corrects_deposit=deposit)
    assert drive_books(world.event).fingerprint == seen  # entries are shown apart
    world.return_another()
    banked(deposited(world, [counted(world, 3, 500)]))
    assert drive_books(world.event).ready

    with pytest.raises(MoneyConflict, match="changed since you opened this page"):
        reconciled(world, seen=seen)

    assert not is_locked(world.event)
    reconciled(world, seen=drive_books(world.event).fingerprint)
    assert is_locked(world.event)


# --- Reopen --------------------------------------------------------------------------------


def test_reopen_by_a_superuser_with_a_reason_unlocks_the_drive(world):
    ready_to_reconcile(world)
    reconciled(world)

    step = drive_reopen(event=world.event, by=world.superuser, reason="The bank reversed a "
                                                                      "deposit.")

    assert step.kind == DriveMoneyStep.Kind.REOPENED
    assert not is_locked(world.event)
    assert drive_books(world.event).state == "deposited"
    line = MoneyAudit.objects.get(action="drive.reopened")
    assert (line.by, line.reason) == (world.superuser, "The bank reversed a deposit.")
    assert line.before["reconciled_by"] == world.tess.pk


def test_reopen_by_a_treasurer_is_refused(world):
    ready_to_reconcile(world)
    reconciled(world)

    with pytest.raises(MoneyError, match="Only a superuser"):
        drive_reopen(event=world.event, by=world.tess, reason="Because.")

    assert is_locked(world.event)


def test_reopen_without_a_reason_is_refused_at_the_reason(world):
    ready_to_reconcile(world)
    reconciled(world)

    with pytest.raises(MoneyError) as refused:
        drive_reopen(event=world.event, by=world.superuser, reason="  ")

    assert refused.value.field == "reason"
    assert is_locked(world.event)


def test_reopen_of_a_drive_not_reconciled_is_refused(world):
    with pytest.raises(MoneyConflict, match="nothing to reopen"):
        drive_reopen(event=world.event, by=world.superuser, reason="Why not.")


def test_reopened_drive_can_be_reconciled_again(world):
    ready_to_reconcile(world)
    reconciled(world)
    drive_reopen(event=world.event, by=world.superuser, reason="Check.")

    reconciled(world)

    assert is_locked(world.event)
    assert list(DriveMoneyStep.objects.values_list("kind", flat=True)) == [
        "reconciled", "reopened", "reconciled"]


# --- Adjustment entries --------------------------------------------------------------------


def test_adjustment_entry_on_a_locked_drive_is_recorded_and_audited(world):
    agreed, _deposit, _match = ready_to_reconcile(world)
    step = reconciled(world)

    entry = adjustment_entry_create(
        event=world.event, amount_cents=-1000, reason="A returned check.",
        approved_by=world.ann, by=world.tess, corrects_agreed=agreed[1])

    assert (entry.amount_cents, entry.approved_by, entry.corrects_agreed) == (
        -1000, world.ann, agreed[1])
    books = drive_books(world.event)
    assert books.locked
    assert (books.counted_cents, books.deposited_cents, books.bank_cents) == (
        step.counted_cents, step.deposited_cents, step.bank_cents)
    assert books.total_cents == step.total_cents - 1000
    line = MoneyAudit.objects.get(action="adjustment.created")
    assert line.after == {"amount_cents": -1000, "approved_by": world.ann.pk,
                          "corrects_agreed": agreed[1].pk, "corrects_deposit": None,
                          "corrects_bank_line": None}
    assert line.subject == f"Adjustment entry of -$10.00 on {agreed[1].bucket}'s agreed count"


def test_adjustment_entry_approved_by_its_own_writer_is_refused(world):
    agreed, _deposit, _match = ready_to_reconcile(world)

    with pytest.raises(MoneyError) as refused:
        adjustment_entry_create(event=world.event, amount_cents=100, reason="x",
                                approved_by=world.tess, by=world.tess,
                                corrects_agreed=agreed[0])

    assert refused.value.field == "approved_by"
    assert not AdjustmentEntry.objects.exists()


def test_adjustment_entry_approved_by_someone_not_a_treasurer_is_refused(world):
    agreed, _deposit, _match = ready_to_reconcile(world)

    with pytest.raises(MoneyError) as refused:
        adjustment_entry_create(event=world.event, amount_cents=100, reason="x",
                                approved_by=world.organizer, by=world.tess,
                                corrects_agreed=agreed[0])

    assert refused.value.field == "approved_by"


@pytest.mark.parametrize(("amount", "reason", "field"), [
    (0, "x", "amount"), (100, "  ", "reason"), (10_000_000_01, "x", "amount"),
    (1.5, "x", "amount"),
])
def test_adjustment_entry_bad_amount_or_reason_is_refused(world, amount, reason, field):
    agreed, _deposit, _match = ready_to_reconcile(world)

    with pytest.raises(MoneyError) as refused:
        adjustment_entry_create(event=world.event, amount_cents=amount, reason=reason,
                                approved_by=world.ann, by=world.tess, corrects_agreed=agreed[0])

    assert refused.value.field == field
    assert not AdjustmentEntry.objects.exists()


def test_adjustment_entry_must_correct_one_record_of_this_drive(world):
    agreed, deposit, match = ready_to_reconcile(world)
    other = second_world(world)
    elsewhere = counted(other, 0, 100)
    loose_line = bank_line(999, by=world.ann)

    def attempt(**target):
        with pytest.raises(MoneyError) as refused:
            adjustment_entry_create(event=world.event, amount_cents=100, reason="x",
                                    approved_by=world.ann, by=world.tess, **target)
        return refused.value

    assert attempt().field == "corrects"
    assert attempt(corrects_agreed=agreed[0], corrects_deposit=deposit).field == "corrects"
    assert attempt(corrects_agreed=elsewhere).message == (
        "That record is not part of this drive's books.")
    assert attempt(corrects_bank_line=loose_line).field == "corrects"
    entry = adjustment_entry_create(event=world.event, amount_cents=100, reason="Bank fee "
                                    "refunded.", approved_by=world.ann, by=world.tess,
                                    corrects_bank_line=match.bank_line)
    assert entry.corrects_bank_line == match.bank_line


def test_quantities_for_makes_exact_cents():
    from donations.money import lines_total

    for cents in (0, 1, 99, 12345, 100_000_07):
        assert lines_total(quantities_for(cents)) == cents
