"""Deposits, typed bank lines, matching and bank adjustments, through the services: every rule
a treasurer meets the morning after a drive, and what the audit trail keeps."""

import datetime

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from donations.banking import (
    bank_adjustment_create,
    bank_line_create,
    bank_line_remove,
    bank_match,
    candidate_lines,
    deposit_add_items,
    deposit_counted_cents,
    deposit_create,
    deposit_delete,
    deposit_remove_item,
    deposit_unexplained_cents,
    deposit_update,
    deposits_for,
    undeposited_counts,
)
from donations.ledger import MoneyConflict, MoneyError
from donations.models import (
    AdjustmentAllocation,
    BankAdjustment,
    BankLine,
    BankMatch,
    Deposit,
    DepositItem,
    MoneyAudit,
)
from tests.donations.banking_fixtures import (
    agree,
    agree_all,
    bank_line,
    lock,
    other_drive_return,
    proceeds,
    session_for,
)
from tests.donations.money_world import MoneyWorld
from volunteers.models import User

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def world():
    return MoneyWorld(buckets=3)


def deposit(world, agreed, *, slip="4471", declared=None, by=None, **changes):
    fields = {
        "event": world.event, "deposited_on": TODAY(), "depositor": world.ben,
        "slip_number": slip, "bag_number": "B-7",
        "declared_cents": sum(a.total_cents for a in agreed) if declared is None else declared,
        "agreed_ids": [a.pk for a in agreed], "by": by or world.ben,
    }
    fields.update(changes)
    return deposit_create(**fields)


def edit(world, dep, *, version=None, by=None, **changes):
    fields = {"deposit": dep, "version": dep.version if version is None else version,
              "deposited_on": dep.deposited_on, "depositor": dep.depositor,
              "slip_number": dep.slip_number, "bag_number": dep.bag_number,
              "declared_cents": dep.declared_cents, "note": dep.note, "by": by or world.ann}
    fields.update(changes)
    return deposit_update(**fields)


# --- Deposits ------------------------------------------------------------------------------


def test_deposit_create_holds_the_chosen_counts_and_is_audited(world):
    first, second, _third = agree_all(world, [12_345, 8_000, 500])

    made = deposit(world, [first, second], declared=20_345)

    assert made.version == 1 and made.depositor == world.ben and made.bag_number == "B-7"
    assert sorted(made.items.values_list("amount_cents", flat=True)) == [8_000, 12_345]
    assert deposit_counted_cents(made) == 20_345
    assert [a.pk for a in undeposited_counts(world.event)] == [_third.pk]
    entry = MoneyAudit.objects.get(action="deposit.created")
    assert entry.by == world.ben and entry.event_id == world.event.pk
    assert entry.subject == "Deposit slip 4471"
    assert entry.after["counted_cents"] == 20_345
    assert entry.after["declared_cents"] == 20_345
    assert [i["bucket"] for i in entry.after["items"]] == [first.bucket.number,
                                                           second.bucket.number]


def test_deposit_create_holds_odd_item_proceeds(world):
    agreed = agree(world, 0, total_cents=1_000)
    exchanged = proceeds(agreed, 370, by=world.ann)

    made = deposit(world, [agreed], declared=1_370, proceeds_ids=[exchanged.pk])

    assert deposit_counted_cents(made) == 1_370
    assert DepositItem.objects.get(proceeds=exchanged).amount_cents == 370


def test_deposit_of_proceeds_worth_nothing_is_refused(world):
    agreed = agree(world, 0)
    worthless = proceeds(agreed, 0, by=world.ann, how="no_value", description="Arcade token")

    with pytest.raises(MoneyError) as refused:
        deposit(world, [agreed], proceeds_ids=[worthless.pk])

    assert refused.value.field == "proceeds"
    assert "“Arcade token”" in refused.value.message
    assert not Deposit.objects.exists()


def test_count_added_to_a_second_deposit_is_refused_naming_the_bucket(world):
    first, second = agree_all(world, [5_000, 2_500])
    deposit(world, [first], slip="4471")

    with pytest.raises(MoneyError) as refused:
        deposit(world, [second, first], slip="4472")

    assert refused.value.field == "agreed"
    assert refused.value.message.startswith(
        f"Bucket {first.bucket.number} is already in deposit slip 4471 of ")
    assert Deposit.objects.count() == 1
    assert not DepositItem.objects.filter(agreed=second).exists()


def test_count_of_another_drive_is_refused(world):
    theirs = agree(world, returned=other_drive_return(world))

    with pytest.raises(MoneyError) as refused:
        deposit(world, [theirs])

    assert refused.value.field == "agreed"
    assert "belongs to another drive" in refused.value.message


def test_deposit_without_any_count_is_refused(world):
    with pytest.raises(MoneyError) as refused:
        deposit(world, [], declared=100)

    assert refused.value.field == "agreed"
    assert refused.value.message == "Tick the counted buckets that went into this deposit."


def test_deposit_taken_by_someone_who_is_not_a_treasurer_is_refused(world):
    agreed = agree(world, 0)

    with pytest.raises(MoneyError) as refused:
        deposit(world, [agreed], depositor=world.organizer)

    assert refused.value.field == "depositor"
    assert refused.value.message.endswith("is not a treasurer. The person who takes the money "
                                          "to the bank must be one.")


def test_deposit_slip_recorded_twice_is_refused(world):
    first, second = agree_all(world, [5_000, 2_500])
    deposit(world, [first], slip="4471")

    with pytest.raises(MoneyError) as refused:
        deposit(world, [second], slip=" 4471 ")

    assert refused.value.field == "slip_number"
    assert refused.value.message.startswith("Deposit slip 4471 is already recorded (")


@pytest.mark.parametrize(("days", "message"), [
    (1, "is in the future. Enter the date on the deposit slip."),
    (-1, "after the deposit date"),
])
def test_deposit_date_in_the_future_or_before_the_bucket_came_back_is_refused(world, days,
                                                                             message):
    agreed = agree(world, 0)

    with pytest.raises(MoneyError) as refused:
        deposit(world, [agreed], deposited_on=TODAY() + datetime.timedelta(days=days))

    assert message in refused.value.message
    assert refused.value.field == ("deposited_on" if days > 0 else "agreed")
    assert not Deposit.objects.exists()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("slip_number", "  ", "Enter the number printed on the deposit slip."),
    ("slip_number", "9" * 41, "A slip number has at most 40 characters."),
    ("bag_number", "9" * 41, "A bag number has at most 40 characters."),
    ("declared_cents", -1, "The amount cannot be negative."),
    ("declared_cents", 12.5, "Enter an amount in dollars and cents, like 12.50."),
    ("depositor", None, "Choose who took the money to the bank."),
    ("deposited_on", "2026-06-03", "Enter the date on the deposit slip."),
])
def test_deposit_with_a_bad_field_is_refused_at_that_field(world, field, value, message):
    agreed = agree(world, 0)

    with pytest.raises(MoneyError) as refused:
        deposit(world, [agreed], **{field: value})

    assert (refused.value.field, refused.value.message) == (field, message)
    assert not DepositItem.objects.exists()


def test_deposit_on_a_locked_drive_is_refused(world):
    agreed = agree(world, 0)
    lock(world)

    with pytest.raises(MoneyError) as refused:
        deposit(world, [agreed])

    assert "reconciled and locked" in refused.value.message
    assert not Deposit.objects.exists()


def test_deposit_update_changes_the_slip_bumps_the_version_and_audits_both_sides(world):
    made = deposit(world, [agree(world, 0, total_cents=5_000)], declared=5_000)

    saved = edit(world, made, declared_cents=4_900, bag_number="B-8", note="Bag re-sealed")

    assert (saved.version, saved.declared_cents, saved.bag_number) == (2, 4_900, "B-8")
    entry = MoneyAudit.objects.get(action="deposit.edited")
    assert entry.by == world.ann
    assert entry.before == {"deposit": made.pk, "declared_cents": 5_000, "bag_number": "B-7",
                            "note": ""}
    assert entry.after == {"deposit": made.pk, "version": 2, "declared_cents": 4_900,
                           "bag_number": "B-8", "note": "Bag re-sealed"}


def test_deposit_update_from_a_stale_form_is_a_conflict_and_overwrites_nothing(world):
    made = deposit(world, [agree(world, 0, total_cents=5_000)], declared=5_000)
    edit(world, made, declared_cents=4_900, by=world.ann)

    with pytest.raises(MoneyConflict) as conflict:
        edit(world, made, version=1, declared_cents=5_100, by=world.tess)

    assert conflict.value.message.startswith(
        f"{world.ann.name} saved this deposit a moment ago; your changes were not saved.")
    made.refresh_from_db()
    assert (made.version, made.declared_cents) == (2, 4_900)
    assert MoneyAudit.objects.filter(action="deposit.edited").count() == 1


def test_a_deposit_keeps_its_depositor_after_their_treasurer_role_ends(world):
    made = deposit(world, [agree(world, 0)])
    world.ben.role_grants.all().delete()
    former = User.objects.get(pk=world.ben.pk)

    saved = edit(world, made, depositor=former, note="Slip copy in the binder")

    assert (saved.depositor_id, saved.note) == (former.pk, "Slip copy in the binder")
    with pytest.raises(MoneyError) as refused:
        deposit(world, [agree(world, 1)], slip="2", depositor=former)
    assert refused.value.field == "depositor"


def test_deposit_update_without_a_change_keeps_the_version(world):
    made = deposit(world, [agree(world, 0)])

    saved = edit(world, made)

    assert saved.version == 1
    assert not MoneyAudit.objects.filter(action="deposit.edited").exists()


def test_deposit_update_to_a_date_before_a_bucket_came_back_is_refused(world):
    made = deposit(world, [agree(world, 0)])

    with pytest.raises(MoneyError) as refused:
        edit(world, made, deposited_on=TODAY() - datetime.timedelta(days=2))

    assert refused.value.field == "deposited_on"
    assert "came back on" in refused.value.message


def test_matched_deposit_can_no_longer_change(world):
    agreed = agree(world, 0, total_cents=5_000)
    made = deposit(world, [agreed])
    bank_match(deposit=made, bank_line=bank_line(5_000, by=world.ann), by=world.ann)
    other = agree(world, 1)

    for change in (
        lambda: edit(world, made, declared_cents=1),
        lambda: deposit_add_items(deposit=made, agreed_ids=[other.pk], by=world.ann),
        lambda: deposit_remove_item(item=made.items.get(), by=world.ann),
        lambda: deposit_delete(deposit=made, version=1, by=world.ann),
    ):
        with pytest.raises(MoneyError) as refused:
            change()
        assert refused.value.message.startswith("Deposit slip 4471 is matched to the bank line "
                                                "of ")

    made.refresh_from_db()
    assert made.declared_cents == 5_000 and made.items.count() == 1


def test_items_added_and_taken_out_of_an_unmatched_deposit(world):
    first, second = agree_all(world, [5_000, 2_500])
    made = deposit(world, [first])

    deposit_add_items(deposit=made, agreed_ids=[second.pk], by=world.ann)
    assert deposit_counted_cents(made) == 7_500
    deposit_remove_item(item=made.items.get(agreed=first), by=world.ann)

    assert deposit_counted_cents(made) == 2_500
    assert list(undeposited_counts(world.event)) == [first]
    removed = MoneyAudit.objects.get(action="deposit.item_removed")
    assert removed.before["bucket"] == first.bucket.number
    assert removed.before["amount_cents"] == 5_000
    assert removed.after == {"deposit": made.pk, "counted_cents": 2_500}


def test_adding_a_count_already_in_another_deposit_is_refused(world):
    first, second = agree_all(world, [5_000, 2_500])
    made = deposit(world, [first], slip="1")
    deposit(world, [second], slip="2")

    with pytest.raises(MoneyError) as refused:
        deposit_add_items(deposit=made, agreed_ids=[second.pk], by=world.ann)

    assert refused.value.field == "agreed"
    assert f"Bucket {second.bucket.number} is already in deposit slip 2" in refused.value.message


def test_deposit_deleted_by_mistake_undeposits_its_counts_and_is_audited(world):
    agreed = agree(world, 0)
    made = deposit(world, [agreed])

    with pytest.raises(MoneyConflict):
        deposit_delete(deposit=made, version=7, by=world.ann)
    deposit_delete(deposit=made, version=1, by=world.ann)

    assert not Deposit.objects.exists()
    assert list(undeposited_counts(world.event)) == [agreed]
    entry = MoneyAudit.objects.get(action="deposit.deleted")
    assert entry.before["slip_number"] == "4471" and entry.before["items"] == [
        {"bucket": agreed.bucket.number, "amount_cents": 10_000}]


# --- Typed bank lines ----------------------------------------------------------------------


def test_typed_bank_line_is_recorded_on_one_line_and_audited(world):
    line = bank_line_create(posted_on=TODAY(), description="  DEPOSIT \n BRANCH 12 ",
                            amount_cents=123_450, reference=" 4471 ", by=world.ann)

    assert (line.description, line.reference, line.source) == ("DEPOSIT BRANCH 12", "4471",
                                                               "typed")
    entry = MoneyAudit.objects.get(action="bank_line.typed")
    assert entry.event_id is None and entry.after["amount_cents"] == 123_450


def test_typed_bank_line_twice_is_refused_naming_the_first(world):
    bank_line_create(posted_on=TODAY(), description="DEPOSIT", amount_cents=123_450,
                     reference="4471", by=world.ann)

    with pytest.raises(MoneyError) as refused:
        bank_line_create(posted_on=TODAY(), description=" DEPOSIT", amount_cents=123_450,
                         reference="4471", by=world.ben)

    message = refused.value.message
    assert message.startswith("This bank line is already in Rally: ")
    assert "$1,234.50, “DEPOSIT”, reference 4471" in message
    assert f"typed by {world.ann.name} on " in message
    assert BankLine.objects.count() == 1


@pytest.mark.parametrize(("field", "value", "message"), [
    ("amount_cents", 0, "The amount cannot be zero."),
    ("posted_on", "tomorrow", "the bank cannot have posted it yet."),
    ("description", "x" * 301, "A description has at most 300 characters."),
    ("reference", "x" * 101, "A reference has at most 100 characters."),
])
def test_typed_bank_line_with_a_bad_field_is_refused(world, field, value, message):
    fields = {"posted_on": TODAY(), "description": "DEPOSIT", "amount_cents": 100,
              "reference": ""}
    fields[field] = TODAY() + datetime.timedelta(days=1) if value == "tomorrow" else value

    with pytest.raises(MoneyError) as refused:
        bank_line_create(**fields, by=world.ann)

    assert refused.value.field == field and refused.value.message.endswith(message)
    assert not BankLine.objects.exists()


def test_bank_line_entered_by_mistake_is_removed_until_it_is_matched(world):
    wrong = bank_line(999, by=world.ann)
    bank_line_remove(bank_line=wrong, by=world.ann)
    assert not BankLine.objects.filter(pk=wrong.pk).exists()
    assert MoneyAudit.objects.get(action="bank_line.removed").before["amount_cents"] == 999

    made = deposit(world, [agree(world, 0, total_cents=5_000)])
    line = bank_line(5_000, by=world.ann)
    bank_match(deposit=made, bank_line=line, by=world.ann)
    with pytest.raises(MoneyError) as refused:
        bank_line_remove(bank_line=line, by=world.ann)

    assert refused.value.message == ("This bank line is matched to deposit slip 4471 and stays "
                                     "in the books.")


# --- Matching ------------------------------------------------------------------------------


def test_match_records_the_bank_less_the_counted_amount(world):
    made = deposit(world, [*agree_all(world, [10_000, 2_500])])
    line = bank_line(12_300, by=world.ann)

    match = bank_match(deposit=made, bank_line=line, by=world.tess, version=1)

    assert (match.difference_cents, match.event_id, match.matched_by) == (
        -200, world.event.pk, world.tess)
    assert deposit_unexplained_cents(made) == -200
    entry = MoneyAudit.objects.get(action="deposit.matched")
    assert entry.after == {"deposit": made.pk, "bank_line": line.pk, "bank_cents": 12_300,
                           "counted_cents": 12_500, "difference_cents": -200}


def test_unmatched_deposit_has_nothing_to_explain_yet(world):
    made = deposit(world, [agree(world, 0)])

    assert deposit_unexplained_cents(made) is None
    assert deposits_for(world.event).get().unexplained_cents is None


def test_bank_line_already_matched_to_another_deposit_is_refused(world):
    first, second = agree_all(world, [5_000, 5_000])
    one, two = deposit(world, [first], slip="1"), deposit(world, [second], slip="2")
    line = bank_line(5_000, by=world.ann)
    bank_match(deposit=one, bank_line=line, by=world.ann)

    with pytest.raises(MoneyError) as refused:
        bank_match(deposit=two, bank_line=line, by=world.ann)

    assert refused.value.field == "bank_line"
    assert refused.value.message == (f"That bank line is already matched to deposit slip 1 "
                                     f"({world.event.title}). Choose another.")
    assert BankMatch.objects.count() == 1


def test_deposit_already_matched_is_not_matched_again(world):
    made = deposit(world, [agree(world, 0, total_cents=5_000)])
    bank_match(deposit=made, bank_line=bank_line(5_000, by=world.ann), by=world.ann)

    with pytest.raises(MoneyError) as refused:
        bank_match(deposit=made, bank_line=bank_line(5_000, by=world.ann, reference="x"),
                   by=world.ann)

    assert refused.value.message.startswith("Deposit slip 4471 is already matched to the bank "
                                            "line ")


@pytest.mark.parametrize(("amount", "days", "message"), [
    (-5_000, 0, "That bank line takes money out of the account"),
    (5_000, -1, "before the deposit date"),
])
def test_line_of_money_out_or_posted_before_the_deposit_is_refused(world, amount, days,
                                                                  message):
    made = deposit(world, [agree(world, 0, total_cents=5_000)])
    line = bank_line(amount, by=world.ann, posted_on=TODAY() + datetime.timedelta(days=days))

    with pytest.raises(MoneyError) as refused:
        bank_match(deposit=made, bank_line=line, by=world.ann)

    assert refused.value.field == "bank_line" and message in refused.value.message
    assert not BankMatch.objects.exists()


def test_empty_deposit_is_not_matched(world):
    agreed = agree(world, 0)
    made = deposit(world, [agreed])
    deposit_remove_item(item=made.items.get(), by=world.ann)

    with pytest.raises(MoneyError) as refused:
        bank_match(deposit=made, bank_line=bank_line(5_000, by=world.ann), by=world.ann)

    assert refused.value.message.startswith("This deposit holds no counted buckets yet")


def test_match_from_a_page_shown_before_the_deposit_changed_is_a_conflict(world):
    made = deposit(world, [agree(world, 0)])
    edit(world, made, declared_cents=9_000)

    with pytest.raises(MoneyConflict):
        bank_match(deposit=made, bank_line=bank_line(10_000, by=world.ann), by=world.ann,
                   version=1)

    assert not BankMatch.objects.exists()


def test_candidate_lines_are_unmatched_money_in_closest_first(world):
    made = deposit(world, [agree(world, 0, total_cents=10_000)])
    far = bank_line(20_000, by=world.ann, reference="far")
    near = bank_line(9_990, by=world.ann, reference="near")
    exact = bank_line(10_000, by=world.ann, reference="exact")
    bank_line(-10_000, by=world.ann, reference="out")
    bank_line(10_000, by=world.ann, reference="old", posted_on=TODAY() - datetime.timedelta(1))

    assert list(candidate_lines(made, 10_000)) == [exact, near, far]


# --- Bank adjustments ----------------------------------------------------------------------


def matched(world, amounts, bank_cents, slip="4471"):
    counts = agree_all(world, amounts)
    made = deposit(world, counts, slip=slip)
    bank_match(deposit=made, bank_line=bank_line(bank_cents, by=world.ann, reference=slip),
               by=world.ann)
    return made, counts


def test_adjustment_explains_the_difference_and_goes_back_to_the_bucket(world):
    made, (_first, second) = matched(world, [10_000, 2_500], 10_500)

    adjustment = bank_adjustment_create(
        deposit=made, amount_cents=-2_000, reason="counterfeit",
        explanation="Bank letter 06/04: a $20 note from bucket 2 was counterfeit.",
        allocations={second.pk: -2_000}, by=world.tess)

    assert adjustment.event_id == world.event.pk
    assert list(adjustment.allocations.values_list("agreed_id", "amount_cents")) == [
        (second.pk, -2_000)]
    assert deposit_unexplained_cents(made) == 0
    listed = deposits_for(world.event).get()
    assert (listed.counted_cents, listed.items_count, listed.adjusted_cents,
            listed.unexplained_cents) == (12_500, 2, -2_000, 0)
    entry = MoneyAudit.objects.get(action="bank_adjustment.created")
    assert entry.reason.startswith("Bank letter")
    assert entry.after["allocations"] == {str(second.bucket.number): -2_000}
    assert entry.after["unexplained_cents"] == 0


def test_adjustments_of_both_signs_explain_a_net_difference(world):
    made, (first, second) = matched(world, [10_000, 2_500], 11_000)  # -15.00 net

    bank_adjustment_create(deposit=made, amount_cents=500, reason="bank_recount",
                           explanation="The bank counted $5 more in bucket 1.",
                           allocations={first.pk: 500}, by=world.tess)
    assert deposit_unexplained_cents(made) == -2_000
    bank_adjustment_create(deposit=made, amount_cents=-2_000, reason="counterfeit",
                           explanation="A $20 counterfeit, split by the two counters' notes.",
                           allocations={first.pk: -1_000, second.pk: -1_000}, by=world.tess)

    assert deposit_unexplained_cents(made) == 0


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"explanation": "  "}, "explanation", "Explain in words what happened"),
    ({"amount_cents": 0}, "amount_cents", "The amount cannot be zero."),
    ({"reason": "misc"}, "reason", "Choose what the bank found."),
    ({"allocations": {}}, "allocations", "Give the buckets the adjustment concerns their share"),
    ({"allocations": "half"}, "allocations", "Choose buckets of this deposit."),
])
def test_adjustment_with_a_bad_field_is_refused_at_it(world, changes, field, message):
    made, (first,) = matched(world, [10_000], 9_000)
    fields = {"deposit": made, "amount_cents": -1_000, "reason": "counterfeit",
              "explanation": "A $10 counterfeit.", "allocations": {first.pk: -1_000},
              "by": world.tess}
    fields.update(changes)
    if fields["allocations"] == "half":
        fields["allocations"] = {"half": -1_000}

    with pytest.raises(MoneyError) as refused:
        bank_adjustment_create(**fields)

    assert refused.value.field == field and refused.value.message.startswith(message)
    assert not BankAdjustment.objects.exists()


def test_adjustment_shares_that_do_not_add_up_are_refused(world):
    made, (first, second) = matched(world, [10_000, 2_500], 11_500)

    with pytest.raises(MoneyError) as refused:
        bank_adjustment_create(deposit=made, amount_cents=-1_000, reason="counterfeit",
                               explanation="A $10 counterfeit.",
                               allocations={first.pk: -500, second.pk: -400}, by=world.tess)

    assert refused.value.field == "allocations"
    assert refused.value.message == ("The buckets' shares add up to -$9.00 but the adjustment "
                                     "is -$10.00: they must add up to the adjustment.")
    assert not AdjustmentAllocation.objects.exists()


def test_adjustment_allocated_to_a_bucket_outside_the_deposit_is_refused(world):
    made, (_first,) = matched(world, [10_000], 9_000)
    outside = agree(world, 1)

    with pytest.raises(MoneyError) as refused:
        bank_adjustment_create(deposit=made, amount_cents=-1_000, reason="counterfeit",
                               explanation="A $10 counterfeit.",
                               allocations={outside.pk: -1_000}, by=world.tess)

    assert (refused.value.field, refused.value.message) == (
        f"allocation_{outside.pk}", "That bucket is not in this deposit.")


def test_adjustment_may_go_to_the_bucket_whose_odd_item_was_deposited(world):
    agreed = agree(world, 0, total_cents=1_000)
    exchanged = proceeds(agreed, 370, by=world.ann)
    made = deposit(world, [], declared=370, agreed_ids=[], proceeds_ids=[exchanged.pk])
    bank_match(deposit=made, bank_line=bank_line(350, by=world.ann), by=world.ann)

    bank_adjustment_create(deposit=made, amount_cents=-20, reason="foreign_item",
                           explanation="The bank's rate for the Canadian note was lower.",
                           allocations={agreed.pk: -20}, by=world.tess)

    assert deposit_unexplained_cents(made) == 0


def test_adjustment_before_the_deposit_is_matched_is_refused(world):
    agreed = agree(world, 0)
    made = deposit(world, [agreed])

    with pytest.raises(MoneyError) as refused:
        bank_adjustment_create(deposit=made, amount_cents=-100, reason="other",
                               explanation="?", allocations={agreed.pk: -100}, by=world.tess)

    assert refused.value.message.startswith("Match this deposit to its bank line first")


def test_every_banking_change_is_refused_on_a_locked_drive(world):
    made, (first,) = matched(world, [10_000], 9_000)
    second = agree(world, 1)
    waiting = deposit(world, [second], slip="2")
    third = agree(world, 2)
    lock(world)

    for change in (
        lambda: deposit(world, [third], slip="3"),
        lambda: edit(world, waiting, declared_cents=1),
        lambda: deposit_remove_item(item=waiting.items.get(), by=world.ann),
        lambda: deposit_delete(deposit=waiting, version=1, by=world.ann),
        lambda: bank_match(deposit=waiting, bank_line=bank_line(10_000, by=world.ann,
                                                                reference="2"), by=world.ann),
        lambda: bank_adjustment_create(deposit=made, amount_cents=-1_000, reason="counterfeit",
                                       explanation="late", allocations={first.pk: -1_000},
                                       by=world.tess),
    ):
        with pytest.raises(MoneyError) as refused:
            change()
        assert "reconciled and locked" in refused.value.message

    assert Deposit.objects.count() == 2 and not BankAdjustment.objects.exists()


# --- Totals stay consistent (property) -----------------------------------------------------


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(amounts=st.lists(st.integers(min_value=0, max_value=5_000_00), min_size=1, max_size=3),
       bank_offset=st.integers(min_value=-50_00, max_value=50_00),
       split=st.lists(st.integers(min_value=0, max_value=100), min_size=3, max_size=3))
def test_explained_deposit_figures_add_up_to_the_bank(world, amounts, bank_offset, split):
    """Whatever the counts and the bank's figure, once the difference is allocated to the
    buckets the buckets' figures (agreed + allocations) add up to the bank's amount. (Each
    example brings new buckets back to the same drive.)"""
    session = session_for(world)
    counts = [agree(world, returned=world.return_another(), total_cents=cents, session=session)
              for cents in amounts]
    counted = sum(amounts)
    bank = max(1, counted + bank_offset)
    slip = f"P-{counts[0].pk}"
    made = deposit(world, counts, slip=slip)
    match = bank_match(deposit=made, bank_line=bank_line(bank, by=world.ann, reference=slip),
                       by=world.ann)
    difference = match.difference_cents
    if difference:
        weights = [w + 1 for w in split[:len(counts)]]
        shares = [difference * w // sum(weights) for w in weights]
        shares[0] += difference - sum(shares)
        bank_adjustment_create(deposit=made, amount_cents=difference, reason="bank_recount",
                               explanation="The bank's count.",
                               allocations=dict(zip([c.pk for c in counts], shares,
                                                    strict=True)), by=world.tess)

    allocated = AdjustmentAllocation.objects.filter(agreed__in=counts).aggregate(
        total=Sum("amount_cents"))["total"] or 0
    assert counted + allocated == bank
    assert deposit_unexplained_cents(made) == 0
    assert deposits_for(world.event).get(pk=made.pk).unexplained_cents == 0
