"""The printable reconciliation report of a drive: every bucket's counts with all their
counters, the exceptions they wrote, the deposits and the bank lines they were matched to,
the variances and how they were explained, the bank adjustments, the adjustment entries, the
card gifts, and who reconciled the drive and when (or that nobody has yet).

Read from the books (donations/books: :func:`drive_books`) and a few more queries, a fixed
number however many buckets the drive has; nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count as CountOf
from django.db.models import Q, Sum

from events.models import Event

from ..books import DriveBooks, drive_books
from ..books.drive import BucketTrip, DepositState, Variance
from ..models import (
    AdjustmentAllocation,
    BankAdjustment,
    CardGift,
    Count,
    Deposit,
    DriveMoneyStep,
    VarianceNote,
)


@dataclass
class ReportTrip:
    trip: BucketTrip
    counts: list[Count]


@dataclass
class ReportVariance:
    variance: Variance
    explanation: str  # the reconciling treasurer's words, or "" when none (yet)


@dataclass
class ReportAdjustment:
    adjustment: BankAdjustment
    deposit: Deposit
    allocations: list[AdjustmentAllocation]  # the buckets it concerns


@dataclass
class CardSummary:
    gifts: int = 0
    amount_cents: int = 0
    fees_cents: int = 0
    unattributed: int = 0


@dataclass
class ReconciliationReport:
    event: Event
    books: DriveBooks
    trips: list[ReportTrip]
    deposits: list[DepositState]
    adjustments: list[ReportAdjustment]
    variances: list[ReportVariance]
    steps: list[DriveMoneyStep]  # reconciled and reopened, oldest first, with their notes
    cards: CardSummary
    counts_total: int = 0
    counters: list[str] = field(default_factory=list)

    @property
    def reconciled_by(self) -> DriveMoneyStep | None:
        """The step that reconciled the drive, when it stands reconciled now."""
        return self.books.step if self.books.locked else None

    @property
    def total_raised_cents(self) -> int:
        return self.books.total_cents + self.cards.amount_cents


def _explanations(books: DriveBooks, notes: list[VarianceNote]) -> list[ReportVariance]:
    """Each variance with the words it was reconciled with (a note's subject is the
    variance's subject as it stood, cut at 120 characters)."""
    words = {note.subject: note.explanation for note in notes}
    return [ReportVariance(variance, words.get(variance.subject[:120], ""))
            for variance in books.variances]


def reconciliation_report(event: Event) -> ReconciliationReport:
    books = drive_books(event)
    counts: dict[int, list[Count]] = {}
    for count in (Count.objects.filter(event=event).select_related("counter")
                  .order_by("sheet_id", "letter")):
        counts.setdefault(count.sheet_id, []).append(count)
    trips = [ReportTrip(trip, counts.get(trip.sheet.pk, []) if trip.sheet else [])
             for trip in books.trips]

    allocations: dict[int, list[AdjustmentAllocation]] = {}
    for row in (AdjustmentAllocation.objects.filter(adjustment__event=event)
                .select_related("agreed__bucket").order_by("agreed__bucket__number", "pk")):
        allocations.setdefault(row.adjustment_id, []).append(row)
    adjustments = [ReportAdjustment(adjustment, state.deposit, allocations.get(adjustment.pk, []))
                   for state in books.deposits for adjustment in state.adjustments]

    steps = list(DriveMoneyStep.objects.filter(event=event).select_related("by")
                 .prefetch_related("notes").order_by("at", "pk"))
    notes = next((list(step.notes.all()) for step in steps
                  if books.locked and step.pk == books.step.pk), [])

    gifts = CardGift.objects.filter(event=event).aggregate(
        gifts=CountOf("pk"), amount=Sum("amount_cents"), fees=Sum("fee_cents"),
        unattributed=CountOf("pk", filter=Q(team__isnull=True, site__isnull=True)))
    cards = CardSummary(gifts=gifts["gifts"], amount_cents=gifts["amount"] or 0,
                        fees_cents=gifts["fees"] or 0, unattributed=gifts["unattributed"])
    counters = sorted({count.counter.name for rows in counts.values() for count in rows})
    return ReconciliationReport(
        event=event, books=books, trips=trips, deposits=books.deposits, adjustments=adjustments,
        variances=_explanations(books, notes), steps=steps, cards=cards,
        counts_total=sum(len(rows) for rows in counts.values()), counters=counters)
