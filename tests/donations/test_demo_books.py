"""The demo's books (issue 11): October's Fresno drive counted (one recount), one deposit
matched to a bank line with a small explained difference, one bucket uncounted, one counted
but undeposited, and not reconciled, so that the demo treasurer (who neither counted nor
deposited) can finish it."""

import pytest

from donations.books import drive_books
from donations.models import AgreedCount, BankAdjustment, BankMatch, Count, Deposit
from donations.rules import can_handle_money
from events.models import Event
from volunteers.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def october(seeded_demo):
    return Event.objects.get(title__startswith="Pledge 2 Stop Trafficking Street Drive — Fresno, "
                                               "October")


def test_demo_drive_has_counted_buckets_with_one_recount(october):
    agreed = AgreedCount.objects.filter(event=october)
    recounted = [a for a in agreed if Count.objects.filter(sheet=a.sheet).count() == 3]

    assert agreed.count() == 7
    assert [a.bucket.number for a in recounted] == [43]
    # one deposit, matched to a bank line with a small explained difference
    deposit = Deposit.objects.get(event=october)
    match = BankMatch.objects.get(deposit=deposit)
    adjustment = BankAdjustment.objects.get(deposit=deposit)

    assert match.difference_cents == -2000
    assert adjustment.amount_cents == -2000
    assert "counterfeit" in adjustment.explanation
    # issue 12: card gifts (one unattributed), the $300 check acknowledged, the permit, a journal
    from donations.models import Acknowledgment, CardGift, JournalExport
    from events.models import Permit

    gifts = CardGift.objects.filter(event=october)
    assert gifts.count() == 10
    assert gifts.filter(team__isnull=True, site__isnull=True).count() == 1
    assert Acknowledgment.objects.get(event=october).donor_name == "Robert and Linda Chen"
    assert Permit.objects.filter(sites__shifts__event=october).exists()
    assert JournalExport.objects.filter(event=october).count() == 1
    assert october.accounting_code and october.show_leaderboard


def test_demo_drive_is_left_for_an_independent_treasurer_to_finish(october):
    books = drive_books(october)

    assert books.state == "open"
    assert not books.locked
    assert any("48" in str(blocker) for blocker in books.blockers)
    assert any("47" in str(blocker) for blocker in books.blockers)
    grace = User.objects.get(email="treasurer@example.org")
    counters = set(Count.objects.filter(event=october).values_list("counter", flat=True))
    depositors = set(Deposit.objects.filter(event=october).values_list("depositor", flat=True))

    assert can_handle_money(grace)
    assert grace.pk not in counters | depositors


def test_demo_books_can_be_finished_and_locked_by_the_demo_treasurer(october):
    from django.utils import timezone

    from donations.banking import bank_line_create, bank_match, deposit_create
    from donations.books import drive_reconcile
    from donations.counting import count_submit, proceeds_post
    from donations.models import CountSheet, OddItem

    ruth = User.objects.get(email="treasurer2@example.org")
    tom = User.objects.get(email="treasurer3@example.org")
    grace = User.objects.get(email="treasurer@example.org")
    last = CountSheet.objects.get(event=october, bucket__number=48)
    for counter in (ruth, tom):
        count_submit(sheet=last, counter=counter, quantities={"bill_10": 3, "coin_25": 12},
                     checks=[], odd_items=[])
    peso = OddItem.objects.get(count=AgreedCount.objects.get(sheet__bucket__number=44,
                                                             event=october).count)
    proceeds_post(odd_item=peso, how="exchanged", amount_cents=50, note="Exchanged at the bank",
                  by=tom)
    rest = AgreedCount.objects.filter(event=october, deposit_item__isnull=True)
    amount = sum(a.total_cents for a in rest) + 50
    deposit = deposit_create(event=october, deposited_on=timezone.localdate(), depositor=tom,
                             slip_number="DS-20790", declared_cents=amount,
                             agreed_ids=[a.pk for a in rest], proceeds_ids=[peso.proceeds.pk],
                             by=tom)
    line = bank_line_create(posted_on=timezone.localdate(), description="BRANCH DEPOSIT",
                            amount_cents=amount, reference="DS-20790", by=tom)
    bank_match(deposit=deposit, bank_line=line, by=tom)
    books = drive_books(october)
    explanations = {v.key: "Seen and explained by Grace." for v in books.variances}

    drive_reconcile(event=october, by=grace, explanations=explanations)

    books = drive_books(october)
    assert books.state == "reconciled"
    assert books.locked
    assert books.bank_cents == books.counted_cents
