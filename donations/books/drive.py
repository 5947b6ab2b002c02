"""A drive's books as they stand (:func:`drive_books`): the state open → counted → deposited →
reconciled, the totals, each returned bucket's figure, variances, undeposited cash and its
age, odd items pending, and the blockers: what stands between the drive and reconciliation.

Read from the money tables directly, in a fixed number of queries however many buckets a
drive has; never through the counting or banking services."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from events.models import Event

from ..custody import buckets_with_state
from ..ledger import latest_step
from ..models import (
    AdjustmentAllocation,
    AdjustmentEntry,
    AgreedCount,
    BankAdjustment,
    BankMatch,
    Bucket,
    Count,
    CountSession,
    CustodyEvent,
    Deposit,
    DepositItem,
    DriveMoneyStep,
    OddItem,
    OddItemProceeds,
)
from ..money import format_cents

STATES = ("open", "counted", "deposited", "reconciled")
EXPLANATION_MAX = 2000
REASON_MAX = 2000
# A blocker names at most this many buckets, then "and N more".
NAMED_BUCKETS = 12


# --- What the books page shows -------------------------------------------------------------


@dataclass
class BucketTrip:
    """One return of one bucket on the drive, and what became of its money."""

    returned: CustodyEvent
    bucket: Bucket
    team: object | None
    sheet: object | None
    # "unopened" (no count sheet), "opened" (no count yet), "counting" (A in, not B),
    # "recount" (counts differ), "agreed".
    sheet_state: str
    agreed: AgreedCount | None = None
    proceeds_cents: int = 0
    allocations_cents: int = 0
    entries_cents: int = 0
    deposit: Deposit | None = None
    age_days: int | None = None  # counted, not deposited: days since it was agreed
    alert: bool = False
    overrides: list[str] = field(default_factory=list)  # counters' written exceptions

    @property
    def figure_cents(self) -> int | None:
        if self.agreed is None:
            return None
        return self.agreed.total_cents + self.proceeds_cents + self.allocations_cents

    @property
    def flagged(self) -> bool:
        return self.returned.flagged


@dataclass
class DepositState:
    deposit: Deposit
    counted_cents: int
    items: int
    match: BankMatch | None
    adjustments: list[BankAdjustment]

    @property
    def declared_difference_cents(self) -> int:
        """What the slip says less what the deposit holds."""
        return self.deposit.declared_cents - self.counted_cents

    @property
    def bank_cents(self) -> int | None:
        return self.match.bank_line.amount_cents if self.match else None

    @property
    def bank_difference_cents(self) -> int:
        return self.match.difference_cents if self.match else 0

    @property
    def adjusted_cents(self) -> int:
        return sum(adjustment.amount_cents for adjustment in self.adjustments)

    @property
    def unexplained_cents(self) -> int:
        """The bank's difference not covered by bank adjustments (0 when explained)."""
        return self.bank_difference_cents - self.adjusted_cents if self.match else 0


@dataclass(frozen=True)
class Variance:
    """Something a reconciling treasurer looks at. ``key`` names its explanation field;
    ``needs_words``: reconciliation refuses without an explanation."""

    key: str
    kind: str  # "declared", "bank", "seal", "missing"
    subject: str
    amount_cents: int | None
    needs_words: bool
    deposit: Deposit | None = None
    detail: str = ""


@dataclass(frozen=True)
class Undeposited:
    """Counted money (an agreed count, or what an odd item brought) not in a deposit."""

    bucket: Bucket
    amount_cents: int
    since: datetime.datetime
    days: int
    alert: bool
    agreed: AgreedCount | None = None
    proceeds: OddItemProceeds | None = None


@dataclass
class DriveBooks:
    event: Event
    state: str
    locked: bool
    step: DriveMoneyStep | None
    trips: list[BucketTrip]
    deposits: list[DepositState]
    sessions: list[CountSession]
    out: list[Bucket]  # issued on this drive and not back
    missing: list[Bucket]  # reported lost or stolen on this drive
    variances: list[Variance]
    undeposited: list[Undeposited]
    odd_pending: list[OddItem]
    entries: list[AdjustmentEntry]
    blockers: list[str]
    counters: set[int]  # everyone who submitted a count of the drive
    depositors: set[int]
    agreed_cents: int = 0
    proceeds_cents: int = 0
    adjustments_cents: int = 0
    counted_cents: int = 0  # the buckets' figures
    deposited_cents: int = 0
    declared_cents: int = 0
    bank_cents: int = 0
    entries_cents: int = 0
    alert_days: int = 3

    @property
    def total_cents(self) -> int:
        """The drive's money: its buckets' figures and the adjustment entries."""
        return self.counted_cents + self.entries_cents

    @property
    def ready(self) -> bool:
        """Nothing stands between the drive and reconciliation."""
        return not self.locked and self.state == "deposited" and not self.blockers

    @property
    def alerts(self) -> list[Undeposited]:
        return [row for row in self.undeposited if row.alert]

    @property
    def state_index(self) -> int:
        return STATES.index(self.state)

    @property
    def fingerprint(self) -> str:
        """Changes whenever a figure or a variance a reconciling treasurer saw changes."""
        parts = [self.counted_cents, self.deposited_cents, self.declared_cents,
                 self.bank_cents, self.adjustments_cents, len(self.trips)]
        parts += [f"{v.key}:{v.amount_cents}" for v in self.variances]
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]

    def independence_refusal(self, user) -> str | None:
        """Why ``user`` may not reconcile this drive (None: they may)."""
        if user.pk in self.counters:
            return _("You counted money of this drive, so another treasurer (who neither "
                     "counted nor deposited it) must reconcile it.")
        if user.pk in self.depositors:
            return _("You deposited money of this drive, so another treasurer (who neither "
                     "counted nor deposited it) must reconcile it.")
        return None


def days_since(moment: datetime.datetime, today: datetime.date) -> int:
    return (today - timezone.localdate(moment)).days


def _sums(queryset, key: str) -> dict[int, int]:
    return {row[key]: row["total"] for row in
            queryset.order_by().values(key).annotate(total=Sum("amount_cents"))}


def _numbers(buckets) -> str:
    numbers = [str(bucket.number) for bucket in buckets]
    if len(numbers) <= NAMED_BUCKETS:
        return ", ".join(numbers)
    return _("%(numbers)s and %(more)s more") % {
        "numbers": ", ".join(numbers[:NAMED_BUCKETS]), "more": len(numbers) - NAMED_BUCKETS}


def money_state(*, reconciled: bool, uncounted: int, out: int, undeposited: int) -> str:
    if reconciled:
        return "reconciled"
    if uncounted or out:
        return "open"
    if undeposited:
        return "counted"
    return "deposited"


def drive_books(event: Event) -> DriveBooks:
    """The drive's money, read in a fixed number of queries whatever its size."""
    today = timezone.localdate()
    alert_days = settings.MONEY_UNDEPOSITED_ALERT_DAYS
    step = latest_step(event)
    locked = bool(step and step.kind == DriveMoneyStep.Kind.RECONCILED)

    returns = list(
        CustodyEvent.objects.filter(shift__event=event, kind=CustodyEvent.Kind.RETURNED)
        .select_related("bucket", "team", "count_sheet", "count_sheet__agreed",
                        "count_sheet__agreed__deposit_item__deposit")
        .order_by("bucket__number", "at", "pk"))
    counts = list(Count.objects.filter(event=event).order_by()
                  .values("sheet_id", "counter_id", "letter", "override_reason"))
    proceeds = list(OddItemProceeds.objects.filter(event=event)
                    .select_related("agreed__bucket", "deposit_item", "odd_item"))
    allocations = _sums(AdjustmentAllocation.objects.filter(agreed__event=event), "agreed_id")
    entries = list(AdjustmentEntry.objects.filter(event=event).select_related(
        "by", "approved_by", "corrects_agreed__bucket", "corrects_deposit",
        "corrects_bank_line"))
    deposits = list(Deposit.objects.filter(event=event)
                    .select_related("depositor", "match__bank_line", "match__matched_by"))
    items = {row["deposit_id"]: row for row in
             DepositItem.objects.filter(deposit__event=event).order_by().values("deposit_id")
             .annotate(total=Sum("amount_cents"), n=models.Count("pk"))}
    adjustments = list(BankAdjustment.objects.filter(event=event).select_related("by"))
    odd_pending = list(
        OddItem.objects.filter(count__event=event, proceeds__isnull=True)
        .filter(Exists(AgreedCount.objects.filter(count_id=OuterRef("count_id"))))
        .select_related("count__sheet__bucket").order_by("count__sheet__bucket__number", "pk"))
    away = list(buckets_with_state().filter(latest_event_id=event.pk,
                                            custody_state__in=("out", "lost", "stolen"))
                .order_by("number"))
    sessions = list(CountSession.objects.filter(event=event).select_related("opened_by")
                    .annotate(sheet_count=models.Count("sheets")))

    counts_by_sheet: dict[int, list[dict]] = {}
    for row in counts:
        counts_by_sheet.setdefault(row["sheet_id"], []).append(row)
    proceeds_by_agreed: dict[int, int] = {}
    for row in proceeds:
        proceeds_by_agreed[row.agreed_id] = proceeds_by_agreed.get(row.agreed_id, 0) + (
            row.amount_cents)
    entries_by_agreed: dict[int, int] = {}
    for entry in entries:
        if entry.corrects_agreed_id:
            entries_by_agreed[entry.corrects_agreed_id] = (
                entries_by_agreed.get(entry.corrects_agreed_id, 0) + entry.amount_cents)

    trips: list[BucketTrip] = []
    undeposited: list[Undeposited] = []
    for returned in returns:
        sheet = getattr(returned, "count_sheet", None)
        agreed = getattr(sheet, "agreed", None) if sheet else None
        sheet_counts = counts_by_sheet.get(sheet.pk, []) if sheet else []
        if sheet is None:
            sheet_state = "unopened"
        elif agreed is not None:
            sheet_state = "agreed"
        else:
            sheet_state = {0: "opened", 1: "counting"}.get(len(sheet_counts), "recount")
        trip = BucketTrip(
            returned=returned, bucket=returned.bucket, team=returned.team, sheet=sheet,
            sheet_state=sheet_state, agreed=agreed,
            overrides=[row["override_reason"] for row in sheet_counts if row["override_reason"]])
        if agreed is not None:
            trip.proceeds_cents = proceeds_by_agreed.get(agreed.pk, 0)
            trip.allocations_cents = allocations.get(agreed.pk, 0)
            trip.entries_cents = entries_by_agreed.get(agreed.pk, 0)
            item = getattr(agreed, "deposit_item", None)
            if item is not None:
                trip.deposit = item.deposit
            else:
                trip.age_days = days_since(agreed.agreed_at, today)
                trip.alert = trip.age_days > alert_days
                undeposited.append(Undeposited(
                    bucket=returned.bucket, amount_cents=agreed.total_cents,
                    since=agreed.agreed_at, days=trip.age_days, alert=trip.alert,
                    agreed=agreed))
        trips.append(trip)
    for row in proceeds:
        if row.amount_cents > 0 and getattr(row, "deposit_item", None) is None:
            days = days_since(row.at, today)
            undeposited.append(Undeposited(
                bucket=row.agreed.bucket, amount_cents=row.amount_cents, since=row.at,
                days=days, alert=days > alert_days, proceeds=row))

    adjustments_by_deposit: dict[int, list[BankAdjustment]] = {}
    for adjustment in adjustments:
        adjustments_by_deposit.setdefault(adjustment.deposit_id, []).append(adjustment)
    deposit_states = []
    for deposit in deposits:
        held = items.get(deposit.pk, {"total": 0, "n": 0})
        deposit_states.append(DepositState(
            deposit=deposit, counted_cents=held["total"] or 0, items=held["n"],
            match=getattr(deposit, "match", None),
            adjustments=adjustments_by_deposit.get(deposit.pk, [])))

    out = [bucket for bucket in away if bucket.custody_state == "out"]
    missing = [bucket for bucket in away if bucket.custody_state != "out"]
    variances = _variances(trips, deposit_states, missing)
    uncounted = [trip for trip in trips if trip.agreed is None]
    books = DriveBooks(
        event=event, state=money_state(reconciled=locked, uncounted=len(uncounted) or not trips,
                                       out=len(out), undeposited=len(undeposited)),
        locked=locked, step=step, trips=trips, deposits=deposit_states, sessions=sessions,
        out=out, missing=missing, variances=variances, undeposited=undeposited,
        odd_pending=odd_pending, entries=entries, blockers=[],
        counters={row["counter_id"] for row in counts},
        depositors={deposit.depositor_id for deposit in deposits},
        alert_days=alert_days,
    )
    books.agreed_cents = sum(trip.agreed.total_cents for trip in trips if trip.agreed)
    books.proceeds_cents = sum(row.amount_cents for row in proceeds)
    books.adjustments_cents = sum(adjustment.amount_cents for adjustment in adjustments)
    books.counted_cents = sum(trip.figure_cents or 0 for trip in trips)
    books.deposited_cents = sum(state.counted_cents for state in deposit_states)
    books.declared_cents = sum(state.deposit.declared_cents for state in deposit_states)
    books.bank_cents = sum(state.bank_cents or 0 for state in deposit_states)
    books.entries_cents = sum(entry.amount_cents for entry in entries)
    if not locked:
        books.blockers = _blockers(books, uncounted)
    return books


def _variances(trips: list[BucketTrip], deposits: list[DepositState],
               missing: list[Bucket]) -> list[Variance]:
    variances = []
    for state in deposits:
        deposit = state.deposit
        if state.declared_difference_cents:
            variances.append(Variance(
                key=f"declared_{deposit.pk}", kind="declared", deposit=deposit,
                subject=_("Deposit slip %(slip)s: the slip says %(declared)s, the counts it "
                          "holds add up to %(counted)s") % {
                    "slip": deposit.slip_number, "declared": format_cents(deposit.declared_cents),
                    "counted": format_cents(state.counted_cents)},
                amount_cents=state.declared_difference_cents, needs_words=True))
        if state.match and state.bank_difference_cents:
            variances.append(Variance(
                key=f"bank_{deposit.pk}", kind="bank", deposit=deposit,
                subject=_("Deposit slip %(slip)s: the bank received %(bank)s for %(counted)s "
                          "counted") % {
                    "slip": deposit.slip_number, "bank": format_cents(state.bank_cents),
                    "counted": format_cents(state.counted_cents)},
                amount_cents=state.bank_difference_cents, needs_words=False,
                detail=" ".join(f"{a.get_reason_display()}: {a.explanation}"
                                for a in state.adjustments)))
    for trip in trips:
        if trip.flagged:
            variances.append(Variance(
                key=f"seal_{trip.returned.pk}", kind="seal",
                subject=_("%(bucket)s came back with a broken seal or not the seal it was "
                          "issued with") % {"bucket": trip.bucket},
                amount_cents=None, needs_words=True, detail=trip.returned.note))
    for bucket in missing:
        variances.append(Variance(
            key=f"missing_{bucket.pk}", kind="missing",
            subject=(_("%(bucket)s was reported stolen") if bucket.custody_state == "stolen"
                     else _("%(bucket)s was reported lost")) % {"bucket": bucket},
            amount_cents=None, needs_words=True))
    return variances


def _blockers(books: DriveBooks, uncounted: list[BucketTrip]) -> list[str]:
    blockers = []
    if not books.trips and not books.out:
        blockers.append(_("No bucket of this drive has come back yet."))
    if books.out:
        blockers.append(ngettext(
            "Bucket %(numbers)s is still out on the street: it must come back and be counted.",
            "Buckets %(numbers)s are still out on the street: they must come back and be "
            "counted.", len(books.out)) % {"numbers": _numbers(books.out)})
    by_state: dict[str, list[Bucket]] = {}
    for trip in uncounted:
        by_state.setdefault(trip.sheet_state, []).append(trip.bucket)
    sentences = {
        "unopened": ("Bucket %(numbers)s has not been opened for counting.",
                     "Buckets %(numbers)s have not been opened for counting."),
        "opened": ("Bucket %(numbers)s is waiting for its two counts.",
                   "Buckets %(numbers)s are waiting for their two counts."),
        "counting": ("Bucket %(numbers)s is waiting for its second count.",
                     "Buckets %(numbers)s are waiting for their second count."),
        "recount": ("The counts of bucket %(numbers)s differ: it needs a recount.",
                    "The counts of buckets %(numbers)s differ: they need a recount."),
    }
    for state, (one, many) in sentences.items():
        if by_state.get(state):
            found = by_state[state]
            blockers.append(ngettext(one, many, len(found)) % {"numbers": _numbers(found)})
    counted_out = [row.bucket for row in books.undeposited if row.agreed is not None]
    if counted_out:
        blockers.append(ngettext(
            "The counted money of bucket %(numbers)s is not in a deposit yet.",
            "The counted money of buckets %(numbers)s is not in a deposit yet.",
            len(counted_out)) % {"numbers": _numbers(counted_out)})
    proceeds_out = [row for row in books.undeposited if row.proceeds is not None]
    if proceeds_out:
        blockers.append(ngettext(
            "What %(n)s odd item brought is not in a deposit yet.",
            "What %(n)s odd items brought is not in a deposit yet.",
            len(proceeds_out)) % {"n": len(proceeds_out)})
    if books.odd_pending:
        blockers.append(ngettext(
            "%(n)s odd item (a foreign coin, a gift card …) is still pending: record what it "
            "brought, or that it has no value.",
            "%(n)s odd items (foreign coins, gift cards …) are still pending: record what they "
            "brought, or that they have no value.",
            len(books.odd_pending)) % {"n": len(books.odd_pending)})
    for state in books.deposits:
        slip = state.deposit.slip_number
        if state.match is None:
            blockers.append(_("Deposit slip %(slip)s is not matched to a bank line yet.")
                            % {"slip": slip})
        elif state.unexplained_cents:
            blockers.append(_(
                "Deposit slip %(slip)s: %(amount)s of the bank's difference is not explained "
                "by a bank adjustment.") % {"slip": slip,
                                            "amount": format_cents(state.unexplained_cents)})
    return blockers
