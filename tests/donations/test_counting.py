"""The counting services (donations/counting.py): count sessions, sheets, blind double counts,
recounts and agreement, counter independence and its override, odd items' proceeds, and every
refusal of the issue's "bad input" list that concerns counting."""

import datetime
import uuid

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from donations.counting import (
    count_submit,
    counter_refusal,
    counts_equal,
    figures_visible,
    proceeds_post,
    returned_uncounted,
    session_open,
    session_update,
    sheet_open,
    sheet_state,
    sheets_for,
    trip_holders,
)
from donations.custody import bucket_hand_over, bucket_issue, bucket_return
from donations.handoff import personal_code
from donations.ledger import MoneyConflict, MoneyError
from donations.models import (
    AgreedCount,
    Count,
    CountLine,
    CountSheet,
    CustodyEvent,
    DriveMoneyStep,
    MoneyAudit,
    OddItemProceeds,
)
from donations.money import BY_CODE, DENOMINATIONS
from tests.donations.money_world import MoneyWorld
from tests.factories import (
    BucketFactory,
    EventFactory,
    RoleGrantFactory,
    ShiftFactory,
    SignupFactory,
    SiteFactory,
    TeamMembershipFactory,
    UserFactory,
    treasurer,
)
from volunteers.models import Role, TeamMembership

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return MoneyWorld(buckets=2)


def open_session(world, **kwargs):
    kwargs.setdefault("present", [world.ann, world.ben])
    return session_open(event=world.event, place="Peoples Church hall", by=world.ann, **kwargs)


@pytest.fixture
def sheet(world):
    return sheet_open(session=open_session(world), returned=world.returns[0], by=world.ann)


def submit(sheet, counter, quantities=None, checks=(), odd_items=(), **kwargs):
    return count_submit(sheet=sheet, counter=counter,
                        quantities=quantities if quantities is not None else {"bill_20": 3},
                        checks=list(checks), odd_items=list(odd_items), **kwargs)


def check(amount_cents=2500, payer="Maria Lopez", **kwargs):
    return {"number": "1041", "payer": payer, "amount_cents": amount_cents, **kwargs}


def other_drive_return():
    """A bucket out and back on another drive (its returned custody row)."""
    event = EventFactory(title="Clovis Drive")
    shift = ShiftFactory(event=event, site=SiteFactory())
    collector = SignupFactory(shift=shift).volunteer
    boss = RoleGrantFactory(role=Role.ORGANIZER).user
    bucket = BucketFactory()
    bucket_issue(bucket=bucket, shift=shift, to=collector, seal_number="C-1", by=boss,
                 receiver_code=personal_code(collector, event))
    return bucket_return(bucket=bucket, seal_number="C-1", seal_intact=True, by=boss)


def lock(world):
    DriveMoneyStep.objects.create(event=world.event, kind=DriveMoneyStep.Kind.RECONCILED,
                                  by=world.tess)


# --- Sessions ------------------------------------------------------------------------------


def test_session_open_records_place_people_and_audit(world):
    session = open_session(world, note="Two tables")

    assert session.event == world.event
    assert session.place == "Peoples Church hall"
    assert set(session.present.all()) == {world.ann, world.ben}
    assert session.opened_by == world.ann
    assert session.version == 1
    row = MoneyAudit.objects.get(action="session.opened")
    assert row.by == world.ann
    assert row.event_id == world.event.pk
    assert row.after["session"] == session.pk
    assert row.after["present"] == sorted([world.ann.pk, world.ben.pk])


def test_session_open_without_place_is_refused_at_the_field(world):
    with pytest.raises(MoneyError) as refused:
        open_session_with_place(world, "   ")

    assert refused.value.field == "place"
    assert refused.value.message == "Write where the counting happens (a room, an address)."


def open_session_with_place(world, place):
    return session_open(event=world.event, place=place, by=world.ann)


def test_session_open_with_a_non_treasurer_present_is_refused(world):
    with pytest.raises(MoneyError) as refused:
        open_session(world, present=[world.ann, world.organizer])

    assert refused.value.field == "present"
    assert str(world.organizer) in refused.value.message


def test_session_open_by_a_non_treasurer_is_refused(world):
    with pytest.raises(MoneyError):
        session_open(event=world.event, place="Hall", by=world.organizer)


def test_session_open_on_a_locked_drive_is_refused(world):
    lock(world)

    with pytest.raises(MoneyError) as refused:
        open_session(world)

    assert "locked" in refused.value.message


def test_session_update_saves_and_keeps_before_and_after(world):
    session = open_session(world)

    updated = session_update(session=session, version=1, place="Fellowship room",
                             present=[world.ann, world.ben, world.tess], note="Late start",
                             by=world.ben)

    assert updated.version == 2
    assert updated.place == "Fellowship room"
    assert set(updated.present.all()) == {world.ann, world.ben, world.tess}
    assert updated.closed_at is None
    row = MoneyAudit.objects.get(action="session.edited")
    assert row.before["place"] == "Peoples Church hall"
    assert row.after["place"] == "Fellowship room"
    assert row.after["version"] == 2
    assert row.by == world.ben


def test_session_update_with_a_stale_version_is_a_conflict_naming_who_saved(world):
    session = open_session(world)
    session_update(session=session, version=1, place="Room 2", present=[world.ann],
                   note="", by=world.ben)

    with pytest.raises(MoneyConflict) as refused:
        session_update(session=session, version=1, place="Room 3", present=[world.ann],
                       note="", by=world.tess)

    assert refused.value.message.startswith(f"{world.ben} saved this count session a moment "
                                            "ago; your changes were not saved.")
    session.refresh_from_db()
    assert session.place == "Room 2"
    assert session.version == 2


def test_session_close_stays_closed(world):
    session = open_session(world)

    closed = session_update(session=session, version=1, place="Hall", present=[world.ann],
                            note="", by=world.ann, close=True)
    again = session_update(session=closed, version=2, place="Hall", present=[world.ann],
                           note="Done", by=world.ann, close=False)

    assert closed.closed_at is not None
    assert again.closed_at == closed.closed_at


# --- Sheets --------------------------------------------------------------------------------


def test_returned_uncounted_lists_the_drives_returns_without_a_sheet(world):
    world.bucket_out()
    elsewhere = other_drive_return()
    session = open_session(world)

    before = list(returned_uncounted(world.event))
    sheet_open(session=session, returned=world.returns[0], by=world.ann)
    after = list(returned_uncounted(world.event))

    assert before == world.returns
    assert after == [world.returns[1]]
    assert elsewhere not in before


def test_sheet_open_takes_bucket_and_team_from_the_return(world):
    session = open_session(world)

    sheet = sheet_open(session=session, returned=world.returns[1], by=world.ben)

    assert sheet.event == world.event
    assert sheet.bucket == world.buckets[1]
    assert sheet.team == world.team
    assert sheet.session == session
    assert sheet.opened_by == world.ben
    assert MoneyAudit.objects.filter(action="sheet.opened", after__sheet=sheet.pk).exists()


def test_sheet_open_twice_returns_the_same_sheet(world, sheet):
    again = sheet_open(session=open_session(world), returned=world.returns[0], by=world.ben)

    assert again == sheet
    assert CountSheet.objects.count() == 1


def test_sheet_open_for_a_bucket_never_returned_is_refused(world):
    bucket = world.bucket_out()
    issued = CustodyEvent.objects.get(bucket=bucket)

    with pytest.raises(MoneyError) as refused:
        sheet_open(session=open_session(world), returned=issued, by=world.ann)

    assert refused.value.field == "returned"
    assert refused.value.message == (f"Bucket {bucket.number} was never returned on this "
                                     "drive, so it cannot be counted here. Receive it at the "
                                     "staging point first.")
    assert not CountSheet.objects.exists()


def test_sheet_open_for_a_return_of_another_drive_is_refused(world):
    with pytest.raises(MoneyError) as refused:
        sheet_open(session=open_session(world), returned=other_drive_return(), by=world.ann)

    assert refused.value.field == "returned"


def test_sheet_open_in_a_closed_session_is_refused(world):
    session = open_session(world)
    session = session_update(session=session, version=1, place="Hall", present=[world.ann],
                             note="", by=world.ann, close=True)

    with pytest.raises(MoneyError) as refused:
        sheet_open(session=session, returned=world.returns[0], by=world.ann)

    assert "closed" in refused.value.message


# --- Who held the bucket, who may count it -------------------------------------------------


def test_trip_holders_are_the_holders_of_that_trip_only():
    event = EventFactory()
    site = SiteFactory()
    start = event.starts_at
    first = ShiftFactory(event=event, site=site, starts_at=start,
                         ends_at=start + datetime.timedelta(hours=2))
    second = ShiftFactory(event=event, site=site, starts_at=start + datetime.timedelta(hours=2),
                          ends_at=start + datetime.timedelta(hours=4))
    boss = RoleGrantFactory(role=Role.ORGANIZER).user
    early, alice, bob = (SignupFactory(shift=first).volunteer, SignupFactory(shift=first).volunteer,
                         SignupFactory(shift=second).volunteer)
    bucket = BucketFactory()
    bucket_issue(bucket=bucket, shift=first, to=early, seal_number="S1", by=boss,
                 receiver_code=personal_code(early, event))
    bucket_return(bucket=bucket, seal_number="S1", seal_intact=True, by=boss)
    bucket_issue(bucket=bucket, shift=first, to=alice, seal_number="S2", by=boss,
                 receiver_code=personal_code(alice, event))
    bucket_hand_over(bucket=bucket, to=bob, by=boss, receiver_code=personal_code(bob, event))
    returned = bucket_return(bucket=bucket, seal_number="S2", seal_intact=True, by=boss)

    assert trip_holders(returned) == {alice.pk, bob.pk}


def test_counter_refusal_is_none_for_an_independent_treasurer(world, sheet):
    assert counter_refusal(sheet=sheet, counter=world.ann) is None


def test_counter_refusal_names_the_collecting_team(world, sheet):
    TeamMembershipFactory(team=world.team, user=world.ann)

    reason = counter_refusal(sheet=sheet, counter=world.ann)

    assert reason.startswith(f"You are on Peoples Church Youth, the team that collected "
                             f"Bucket {world.buckets[0].number}.")


def test_counter_refusal_names_a_holder_of_the_bucket(world, sheet):
    collector = world.collectors[0]
    TeamMembership.objects.filter(user=collector).delete()
    RoleGrantFactory(user=collector, role=Role.TREASURER)

    reason = counter_refusal(sheet=sheet, counter=collector)

    assert reason.startswith(f"You held Bucket {world.buckets[0].number} on this trip "
                             "(custody log).")


def test_counter_refusal_of_a_non_treasurer(world, sheet):
    assert counter_refusal(sheet=sheet, counter=world.organizer) == (
        f"{world.organizer} is not a treasurer: only treasurers count money.")


# --- Counting ------------------------------------------------------------------------------


def test_count_a_records_lines_checks_items_and_exact_totals(world, sheet):
    count = submit(sheet, world.ann,
                   {"bill_20": 3, "bill_1": 7, "coin_25": 9, "coin_1": 4, "roll_10": 1,
                    "bill_5": 0},
                   checks=[check(2500), check(1000, payer="J. Smith", donor_name="Jo Smith",
                                              donor_address="1 Main St")],
                   odd_items=["Canadian quarter", "Starbucks gift card"])

    assert count.letter == "A"
    assert count.event == world.event
    assert count.cash_cents == 3 * 2000 + 7 * 100 + 9 * 25 + 4 * 1 + 500
    assert count.checks_cents == 3500
    assert count.total_cents == count.cash_cents + 3500
    assert {(line.denomination, line.unit_cents, line.quantity) for line in count.lines.all()} \
        == {("bill_20", 2000, 3), ("bill_1", 100, 7), ("coin_25", 25, 9), ("coin_1", 1, 4),
            ("roll_10", 500, 1)}
    assert [c.payer for c in count.checks.all()] == ["Maria Lopez", "J. Smith"]
    assert count.checks.all()[1].donor_address == "1 Main St"
    assert [item.description for item in count.odd_items.all()] == [
        "Canadian quarter", "Starbucks gift card"]
    assert sheet_state(CountSheet.objects.get(pk=sheet.pk)) == "counting"


def test_submitted_counts_leave_no_amounts_in_the_audit_trail(world, sheet):
    submit(sheet, world.ann, {"bill_100": 2})
    submit(sheet, world.ben, {"bill_100": 3})

    rows = MoneyAudit.objects.filter(action="count.submitted").order_by("pk")
    assert [row.subject for row in rows] == [f"Bucket {world.buckets[0].number}, count A",
                                             f"Bucket {world.buckets[0].number}, count B"]
    for row in rows:
        assert row.after["counter"] in (world.ann.pk, world.ben.pk)
        assert "20000" not in str(row.after) and "30000" not in str(row.after)


def test_count_b_equal_to_a_makes_the_agreed_count(world, sheet):
    first = submit(sheet, world.ann, {"bill_20": 3}, checks=[check(2500)], odd_items=["ring"])
    second = submit(sheet, world.ben, {"bill_20": 3}, checks=[check(2500, payer="M Lopez")],
                    odd_items=["a ring"])

    agreed = AgreedCount.objects.get(sheet=sheet)
    assert second.letter == "B"
    assert (agreed.count, agreed.matched) == (first, second)
    assert (agreed.bucket, agreed.team, agreed.event) == (world.buckets[0], world.team,
                                                          world.event)
    assert (agreed.cash_cents, agreed.checks_cents, agreed.total_cents) == (6000, 2500, 8500)
    assert sheet_state(CountSheet.objects.get(pk=sheet.pk)) == "agreed"
    row = MoneyAudit.objects.get(action="count.agreed")
    assert row.after["total_cents"] == 8500
    assert (row.after["count_a_total_cents"], row.after["count_b_total_cents"]) == (8500, 8500)


def test_count_b_by_the_counter_of_a_is_refused_even_with_a_reason(world, sheet):
    submit(sheet, world.ann)

    with pytest.raises(MoneyError) as refused:
        submit(sheet, world.ann, override_reason="Only one of us tonight")

    assert refused.value.field is None
    assert refused.value.message.startswith(
        f"You made count A of Bucket {world.buckets[0].number}. Count B must be made by "
        "another person")
    assert Count.objects.count() == 1


def test_counts_that_differ_need_a_recount_that_settles_it(world, sheet):
    submit(sheet, world.ann, {"bill_20": 3})
    second = submit(sheet, world.ben, {"bill_20": 4})
    assert sheet_state(CountSheet.objects.get(pk=sheet.pk)) == "recount"
    assert not AgreedCount.objects.exists()

    third = submit(sheet, world.tess, {"bill_20": 4})

    agreed = AgreedCount.objects.get(sheet=sheet)
    assert third.letter == "C"
    assert (agreed.count, agreed.matched) == (second, third)
    assert agreed.total_cents == 8000
    assert Count.objects.filter(sheet=sheet).count() == 3  # nothing overwritten
    row = MoneyAudit.objects.get(action="count.agreed")
    assert (row.after["count"], row.after["matched"]) == ("B", "C")
    assert [row.after[f"count_{x}_total_cents"] for x in "abc"] == [6000, 8000, 8000]


def test_a_recount_equal_to_neither_leaves_the_sheet_in_recount(world, sheet):
    submit(sheet, world.ann, {"bill_20": 3})
    submit(sheet, world.ben, {"bill_20": 4})
    third = submit(sheet, world.tess, {"bill_20": 5})
    fourth = submit(sheet, treasurer(), {"bill_20": 5})

    agreed = AgreedCount.objects.get(sheet=sheet)
    assert (agreed.count, agreed.matched) == (third, fourth)
    assert fourth.letter == "D"


def test_counts_equal_ignores_check_order_but_not_amounts_or_items(world, sheet):
    a = submit(sheet, world.ann, {"coin_25": 4}, checks=[check(1000), check(2000)],
               odd_items=["peso"])
    b = submit(sheet, world.ben, {"coin_25": 4}, checks=[check(2000), check(1000)],
               odd_items=["Mexican peso"])
    other = sheet_open(session=sheet.session, returned=world.returns[1], by=world.ann)
    c = submit(other, world.ann, {"coin_25": 4}, checks=[check(1000), check(2000)])
    d = submit(other, world.ben, {"bill_1": 1}, checks=[check(1000), check(2000)],
               odd_items=["peso"])

    assert counts_equal(a, b)
    assert not counts_equal(a, c)  # one odd item fewer
    assert not counts_equal(a, d)  # four quarters are not a dollar bill


def test_a_recount_by_an_earlier_counter_needs_a_reason(world, sheet):
    submit(sheet, world.ann, {"bill_20": 3})
    submit(sheet, world.ben, {"bill_20": 4})

    with pytest.raises(MoneyError) as refused:
        submit(sheet, world.ann, {"bill_20": 4})
    recount = submit(sheet, world.ann, {"bill_20": 4},
                     override_reason="Only two treasurers tonight")

    assert refused.value.field == "override_reason"
    assert "You already made count A" in refused.value.message
    assert recount.letter == "C"
    assert recount.override_reason == "Only two treasurers tonight"
    row = MoneyAudit.objects.get(action="count.submitted", after__letter="C")
    assert row.reason == "Only two treasurers tonight"


def test_a_collector_counting_their_own_bucket_is_refused(world, sheet):
    collector = world.collectors[0]
    RoleGrantFactory(user=collector, role=Role.TREASURER)

    with pytest.raises(MoneyError) as refused:
        submit(sheet, collector)

    assert refused.value.field == "override_reason"
    assert "You are on Peoples Church Youth" in refused.value.message
    assert "You held" in refused.value.message
    assert not Count.objects.exists()


def test_the_independence_override_is_stored_and_audited(world, sheet):
    collector = world.collectors[0]
    RoleGrantFactory(user=collector, role=Role.TREASURER)

    count = submit(sheet, collector, override_reason="  Small coalition:  only two of us ")

    assert count.override_reason == "Small coalition: only two of us"
    row = MoneyAudit.objects.get(action="count.submitted")
    assert row.reason == "Small coalition: only two of us"


def test_an_override_reason_without_need_is_not_recorded(world, sheet):
    count = submit(sheet, world.ann, override_reason="just in case")

    assert count.override_reason == ""


def test_a_non_treasurer_cannot_count_even_with_a_reason(world, sheet):
    with pytest.raises(MoneyError) as refused:
        submit(sheet, world.organizer, override_reason="I was there")

    assert refused.value.field is None
    assert "is not a treasurer" in refused.value.message
    assert not Count.objects.exists()


@pytest.mark.parametrize(("value", "message"), [
    (-1, "A quantity cannot be negative."),
    (1.5, "Enter a whole number."),
    ("3", "Enter a whole number."),
    (True, "Enter a whole number."),
    (100_001, "That quantity is too large to be right."),
])
def test_a_bad_quantity_is_refused_at_its_denomination(world, sheet, value, message):
    with pytest.raises(MoneyError) as refused:
        submit(sheet, world.ann, {"bill_20": 1, "coin_10": value})

    assert (refused.value.field, refused.value.message) == ("coin_10", message)
    assert not Count.objects.exists()
    assert not CountLine.objects.exists()


def test_an_unknown_denomination_is_refused(world, sheet):
    with pytest.raises(MoneyError):
        submit(sheet, world.ann, {"bill_3": 1})


@pytest.mark.parametrize(("row", "field", "message"), [
    (check(0), "checks-1-amount", "A check's amount is more than zero."),
    (check(-500), "checks-1-amount", "A check's amount is more than zero."),
    (check("25.00"), "checks-1-amount", "Write the amount of the check, like 25.00."),
    (check(2500, payer="  "), "checks-1-payer",
     "Write who the check is from (the name printed on it)."),
    (check(2500, number="x" * 31), "checks-1-number", "Keep this under 30 characters."),
])
def test_a_bad_check_is_refused_at_its_row(world, sheet, row, field, message):
    with pytest.raises(MoneyError) as refused:
        submit(sheet, world.ann, checks=[check(), row])

    assert (refused.value.field, refused.value.message) == (field, message)
    assert not Count.objects.exists()


def test_a_blank_odd_item_is_refused_at_its_row(world, sheet):
    with pytest.raises(MoneyError) as refused:
        submit(sheet, world.ann, odd_items=["ring", " "])

    assert refused.value.field == "odd_items-1-description"


def test_counting_an_agreed_bucket_is_a_conflict(world, sheet):
    submit(sheet, world.ann)
    submit(sheet, world.ben)

    with pytest.raises(MoneyConflict) as refused:
        submit(sheet, world.tess)

    assert refused.value.message == (f"Nothing was saved: Bucket {world.buckets[0].number} "
                                      "already has an agreed count (A and B match), so there "
                                      "is nothing more to count.")
    assert Count.objects.count() == 2


def test_a_reposted_count_form_returns_the_first_count(world, sheet):
    token = uuid.uuid4()

    first = submit(sheet, world.ann, request_token=token)
    again = submit(sheet, world.ann, {"bill_20": 9}, request_token=str(token))

    assert again == first
    assert Count.objects.count() == 1


def test_a_token_used_by_someone_else_is_refused(world, sheet):
    token = uuid.uuid4()
    submit(sheet, world.ann, request_token=token)

    with pytest.raises(MoneyError):
        submit(sheet, world.ben, request_token=token)

    assert Count.objects.count() == 1


def test_counting_on_a_locked_drive_is_refused(world, sheet):
    lock(world)

    with pytest.raises(MoneyError) as refused:
        submit(sheet, world.ann)

    assert "locked" in refused.value.message
    assert not Count.objects.exists()


def test_an_empty_bucket_may_be_counted_as_zero(world, sheet):
    submit(sheet, world.ann, {})
    submit(sheet, world.ben, {"bill_20": 0})

    assert AgreedCount.objects.get(sheet=sheet).total_cents == 0


# --- Blind counting ------------------------------------------------------------------------


def fresh(sheet):
    return sheets_for(sheet.session).get(pk=sheet.pk)


def test_nobody_sees_count_a_but_its_counter_until_b_is_in(world, sheet):
    a = submit(sheet, world.ann)
    current = fresh(sheet)

    assert figures_visible(sheet=current, user=world.ann, count=a)
    assert not figures_visible(sheet=current, user=world.ben, count=a)
    assert not figures_visible(sheet=current, user=world.tess, count=a)
    assert not figures_visible(sheet=current, user=world.superuser, count=a)
    assert not figures_visible(sheet=current, user=world.ann)


def test_a_pending_recount_stays_blind_for_the_recounter(world, sheet):
    a = submit(sheet, world.ann, {"bill_20": 3})
    b = submit(sheet, world.ben, {"bill_20": 4})
    current = fresh(sheet)

    assert figures_visible(sheet=current, user=world.ann, count=b)
    assert figures_visible(sheet=current, user=world.ben, count=a)
    assert not figures_visible(sheet=current, user=world.tess, count=a)
    assert not figures_visible(sheet=current, user=world.tess)


def test_every_treasurer_sees_every_count_once_agreed(world, sheet):
    submit(sheet, world.ann, {"bill_20": 3})
    b = submit(sheet, world.ben, {"bill_20": 4})
    submit(sheet, world.tess, {"bill_20": 4})
    current = fresh(sheet)

    assert figures_visible(sheet=current, user=treasurer(), count=b)
    assert figures_visible(sheet=current, user=world.superuser)


def test_sheet_state_goes_opened_counting_recount_agreed(world, sheet):
    states = [sheet_state(fresh(sheet))]
    submit(sheet, world.ann, {"bill_1": 1})
    states.append(sheet_state(fresh(sheet)))
    submit(sheet, world.ben, {"bill_1": 2})
    states.append(sheet_state(fresh(sheet)))
    submit(sheet, world.tess, {"bill_1": 2})
    states.append(sheet_state(fresh(sheet)))

    assert states == ["opened", "counting", "recount", "agreed"]


# --- Odd items -----------------------------------------------------------------------------


def agreed_with_items(world, sheet, items=("Canadian quarter", "Gift card $25")):
    submit(sheet, world.ann, {"bill_20": 1}, odd_items=items)
    submit(sheet, world.ben, {"bill_20": 1}, odd_items=items)
    return AgreedCount.objects.get(sheet=sheet)


def test_proceeds_are_posted_back_to_the_bucket_once(world, sheet):
    agreed = agreed_with_items(world, sheet)
    item = agreed.count.odd_items.first()

    proceeds = proceeds_post(odd_item=item, how="exchanged", amount_cents=18,
                             note="Bank exchange", by=world.tess)

    assert (proceeds.agreed, proceeds.event, proceeds.amount_cents) == (agreed, world.event, 18)
    assert MoneyAudit.objects.get(action="proceeds.posted").after["amount_cents"] == 18
    with pytest.raises(MoneyConflict) as refused:
        proceeds_post(odd_item=item, how="sold", amount_cents=20, note="", by=world.ann)
    assert "already posted ($0.18" in refused.value.message
    assert OddItemProceeds.objects.count() == 1


def test_proceeds_of_an_item_on_a_count_that_was_not_agreed_are_refused(world, sheet):
    submit(sheet, world.ann, {"bill_20": 1}, odd_items=["ring", "coin"])
    submit(sheet, world.ben, {"bill_20": 1}, odd_items=["ring"])
    submit(sheet, world.tess, {"bill_20": 1}, odd_items=["ring"])
    not_agreed = Count.objects.get(sheet=sheet, letter="A").odd_items.first()

    with pytest.raises(MoneyError) as refused:
        proceeds_post(odd_item=not_agreed, how="sold", amount_cents=500, note="",
                      by=world.tess)

    assert "count A, which is not the agreed count" in refused.value.message


@pytest.mark.parametrize(("how", "amount", "note", "field"), [
    ("no_value", 100, "thrown away", "amount"),
    ("exchanged", 0, "", "amount"),
    ("sold", -5, "", "amount"),
    ("no_value", 0, "", "note"),
    ("melted", 100, "", "how"),
])
def test_bad_proceeds_are_refused_at_the_field(world, sheet, how, amount, note, field):
    item = agreed_with_items(world, sheet).count.odd_items.first()

    with pytest.raises(MoneyError) as refused:
        proceeds_post(odd_item=item, how=how, amount_cents=amount, note=note, by=world.tess)

    assert refused.value.field == field
    assert not OddItemProceeds.objects.exists()


def test_an_item_of_no_value_is_posted_at_zero_with_a_note(world, sheet):
    item = agreed_with_items(world, sheet).count.odd_items.first()

    proceeds = proceeds_post(odd_item=item, how="no_value", amount_cents=0,
                             note="Returned to the donor", by=world.tess)

    assert proceeds.amount_cents == 0


def test_proceeds_on_a_locked_drive_are_refused(world, sheet):
    item = agreed_with_items(world, sheet).count.odd_items.first()
    lock(world)

    with pytest.raises(MoneyError):
        proceeds_post(odd_item=item, how="sold", amount_cents=500, note="", by=world.tess)


# --- Property: a count's total is exact ----------------------------------------------------

quantities = st.dictionaries(st.sampled_from([d.code for d in DENOMINATIONS]),
                             st.integers(min_value=0, max_value=100_000), max_size=19)
check_amounts = st.lists(st.integers(min_value=1, max_value=10_000_000_00), max_size=5)


@settings(max_examples=40, deadline=None, derandomize=True, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(lines=quantities, amounts=check_amounts)
def test_a_counts_total_is_the_sum_of_quantity_times_face_value(world, lines, amounts):
    returned = world.return_another()
    session = world.event.count_sessions.first() or open_session(world)
    sheet = sheet_open(session=session, returned=returned, by=world.ann)

    count = submit(sheet, world.ann, lines, checks=[check(a) for a in amounts])

    cash = sum(quantity * BY_CODE[code].unit_cents for code, quantity in lines.items())
    assert count.cash_cents == cash
    assert count.checks_cents == sum(amounts)
    assert count.total_cents == cash + sum(amounts)
    stored = sum(line.quantity * line.unit_cents for line in count.lines.all())
    assert stored == cash
    assert all(isinstance(value, int) for value in (count.cash_cents, count.total_cents))


def test_the_audit_trail_of_a_sheet_is_one_row_per_event(world, sheet):
    submit(sheet, world.ann)
    submit(sheet, world.ben)

    actions = list(MoneyAudit.objects.order_by("at", "pk").values_list("action", flat=True))
    assert actions == ["session.opened", "sheet.opened", "count.submitted", "count.submitted",
                       "count.agreed"]


def test_a_treasurer_without_other_links_is_independent_of_another_teams_bucket(world):
    other_member = UserFactory()
    RoleGrantFactory(user=other_member, role=Role.TREASURER)
    TeamMembershipFactory(user=other_member)  # some other team
    sheet = sheet_open(session=open_session(world), returned=world.returns[0], by=world.ann)

    assert counter_refusal(sheet=sheet, counter=other_member) is None
