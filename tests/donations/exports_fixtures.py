"""Money of every kind the exports read, on top of a ``MoneyWorld`` (tests of the journal, the
reconciliation report and the permit return). Rows are written with the ORM, as
books_fixtures.py does; the services' own rules are tested elsewhere.

``full_books(world)`` gives a drive whose books hold one of everything: three buckets counted
(bucket 0 with a $50 check, bucket 1 with an odd item sold for $5), one deposit matched to the
bank $20 short, a bank adjustment for the counterfeit note allocated to bucket 2, an adjustment
entry correcting bucket 0, and two card gifts (one with the team's code and a fee, one with an
unknown code)."""

import datetime
import itertools
from dataclasses import dataclass

from django.utils import timezone

from donations.books import adjustment_entry_create
from donations.models import (
    AdjustmentEntry,
    AgreedCount,
    BankAdjustment,
    BankMatch,
    CardGift,
    Deposit,
    OddItemProceeds,
)
from tests.donations.books_fixtures import (
    bank_adjustment,
    banked,
    counted,
    deposited,
    proceeds_of,
)

_references = itertools.count(1)


def card_gift(world, *, cents: int = 5000, fee: int = 0, team=None, site=None, code: str = "",
              processor: str = "Stripe", reference: str | None = None, given_at=None,
              event=None) -> CardGift:
    return CardGift.objects.create(
        event=event or world.event, processor=processor,
        reference=reference or f"ch_{next(_references):05d}", code=code, team=team, site=site,
        amount_cents=cents, fee_cents=fee, given_at=given_at or timezone.now(),
        entered_by=world.ann)


@dataclass
class FullBooks:
    agreed: list[AgreedCount]
    deposit: Deposit
    match: BankMatch
    adjustment: BankAdjustment
    entry: AdjustmentEntry
    proceeds: OddItemProceeds
    cards: list[CardGift]


def full_books(world) -> FullBooks:
    first = counted(world, 0, 12000, checks=(5000,))
    second = counted(world, 1, 4550, odd=("A Mexican 10-peso coin",))
    third = counted(world, 2, 8725)
    item = second.count.odd_items.get()
    sold = proceeds_of(item, second, by=world.ann, amount_cents=500,
                       how=OddItemProceeds.How.SOLD)
    deposit = deposited(world, [first, second, third], proceeds=[sold], slip="D-77",
                        on=timezone.localdate())
    held = first.total_cents + second.total_cents + third.total_cents + sold.amount_cents
    match = banked(deposit, held - 2000)
    adjustment = bank_adjustment(deposit, {third: -2000}, by=world.ann)
    entry = adjustment_entry_create(event=world.event, amount_cents=300,
                                    reason="Three $1 bills found in the bucket's lining.",
                                    approved_by=world.ben, by=world.tess,
                                    corrects_agreed=first)
    cards = [card_gift(world, cents=10000, fee=320, team=world.team, code="PCY"),
             card_gift(world, cents=2500, code="NOPE")]
    return FullBooks(agreed=[first, second, third], deposit=deposit, match=match,
                     adjustment=adjustment, entry=entry, proceeds=sold, cards=cards)


def days_from_today(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)
