"""The permit return: what a city or county asks back after a street collection under its
permit. Per bucket collected at the permit's sites on the permit's dates: the collectors who
held it (from custody), the amount (its agreed figure), the total, the bank deposit references,
and lines for signatures; printable, and as CSV.

A bucket "collected under the permit" is one whose custody trip (issue, handoffs, return) had
a stretch at one of the permit's sites on a shift that starts on one of the permit's dates. A
trip that was only partly under the permit (handed over to another site) counts the share of
its figure that donations/totals.py attributes to those stretches (by time held, exact cents),
so the return agrees with the drive's totals by site. Figures come from the books
(:func:`donations.books.drive_books`), read once per drive the permit covers: a fixed number
of queries however many buckets."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Event, Permit

from ..books import DriveBooks, drive_books
from ..models import Bucket, CustodyEvent
from ..money import plain_cents
from ..totals import split_cents, trip_stretches
from .journal import FORMULA_START

Kind = CustodyEvent.Kind
HOLDING = (Kind.ISSUED, Kind.HANDED_OVER)
CSV_COLUMNS = ("drive", "date", "bucket", "collectors", "teams", "sites", "status", "amount",
               "deposit_slip", "bank_reference")


@dataclass
class ReturnRow:
    """One trip of one bucket under the permit. ``status``: "counted", "waiting" (back, not
    counted yet), "out" (not back), "lost" or "stolen"."""

    event: Event
    bucket: Bucket
    day: datetime.date
    status: str
    collectors: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    amount_cents: int | None = None
    figure_cents: int | None = None  # the whole trip's figure, when only a share is here
    deposit_slip: str = ""
    bank_reference: str = ""

    @property
    def shared(self) -> bool:
        return self.figure_cents is not None and self.figure_cents != self.amount_cents


@dataclass(frozen=True)
class DepositReference:
    slip: str
    deposited_on: datetime.date
    bank_reference: str
    bank_posted_on: datetime.date | None


@dataclass
class PermitReturn:
    permit: Permit
    sites: list
    events: list[Event]
    rows: list[ReturnRow]
    deposits: list[DepositReference]

    @property
    def total_cents(self) -> int:
        return sum(row.amount_cents or 0 for row in self.rows)

    @property
    def waiting(self) -> list[ReturnRow]:
        return [row for row in self.rows if row.status == "waiting"]

    @property
    def out(self) -> list[ReturnRow]:
        return [row for row in self.rows if row.status == "out"]

    @property
    def all_counted(self) -> bool:
        """Every bucket under the permit is back and counted (lost and stolen ones have
        nothing to count)."""
        return not self.waiting and not self.out

    @property
    def undeposited(self) -> list[ReturnRow]:
        return [row for row in self.rows if row.status == "counted" and not row.deposit_slip]

    @property
    def days_left(self) -> int | None:
        due = self.permit.return_due
        return None if due is None else (due - timezone.localdate()).days


def _window(permit: Permit) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_default_timezone()
    first = datetime.datetime.combine(permit.valid_from, datetime.time.min)
    after = datetime.datetime.combine(permit.valid_until + datetime.timedelta(days=1),
                                      datetime.time.min)
    return timezone.make_aware(first, zone), timezone.make_aware(after, zone)


def _trips(steps: list[CustodyEvent]) -> list[tuple[list[CustodyEvent], str]]:
    """Custody rows (ordered by bucket, time) cut into trips, each with how it ended:
    "returned", "lost", "stolen", or "out" (still on the street)."""
    trips = []
    current: list[CustodyEvent] = []
    bucket = None
    for step in steps:
        if step.bucket_id != bucket:
            if current:
                trips.append((current, "out"))
            bucket, current = step.bucket_id, []
        if step.kind == Kind.ISSUED:
            if current:
                trips.append((current, "out"))
            current = [step]
        elif step.kind == Kind.HANDED_OVER:
            current.append(step)
        elif step.kind == Kind.RETURNED:
            trips.append(([*current, step], "returned"))
            current = []
        elif step.kind in (Kind.LOST, Kind.STOLEN):
            if current:
                trips.append(([*current, step], step.kind))
            current = []
        else:  # found: back in stock, no trip
            current = []
    if current:
        trips.append((current, "out"))
    return trips


def _unique(values) -> list[str]:
    return list(dict.fromkeys(value for value in values if value))


def permit_return(permit: Permit) -> PermitReturn:
    start, end = _window(permit)
    sites = list(permit.sites.order_by("name"))
    site_ids = {site.pk for site in sites}
    under = CustodyEvent.objects.filter(shift__site_id__in=site_ids, shift__starts_at__gte=start,
                                        shift__starts_at__lt=end)
    events = list(Event.objects.filter(pk__in=under.values("shift__event_id"))
                  .order_by("starts_at", "pk"))
    books: dict[int, DriveBooks] = {event.pk: drive_books(event) for event in events}
    by_event = {event.pk: event for event in events}
    steps = list(CustodyEvent.objects.filter(shift__event__in=events)
                 .select_related("bucket", "holder", "team", "shift__site")
                 .order_by("bucket_id", "at", "pk"))

    def covered(step: CustodyEvent) -> bool:
        return (step.shift is not None and step.shift.site_id in site_ids
                and start <= step.shift.starts_at < end)

    trips_by_return = {trip.returned.pk: trip for drive in books.values() for trip in drive.trips}
    states = {state.deposit.pk: state for drive in books.values() for state in drive.deposits}
    rows = []
    for trip_steps, ending in _trips(steps):
        holding = [step for step in trip_steps if step.kind in HOLDING] or trip_steps[-1:]
        mine = [index for index, step in enumerate(holding) if covered(step)]
        if not mine:
            continue
        first = holding[mine[0]]
        row = ReturnRow(
            event=by_event[first.shift.event_id], bucket=first.bucket,
            day=timezone.localdate(first.shift.starts_at),
            status={"returned": "waiting"}.get(ending, ending),
            collectors=_unique(holding[i].holder.name if holding[i].holder else ""
                               for i in mine),
            teams=_unique(holding[i].team.name if holding[i].team else "" for i in mine),
            sites=_unique(holding[i].shift.site.name for i in mine))
        trip = trips_by_return.get(trip_steps[-1].pk) if ending == "returned" else None
        if trip is not None and trip.agreed is not None:
            figure = trip.figure_cents + trip.entries_cents
            stretches = trip_stretches([
                {"kind": step.kind, "team_id": step.team_id, "at": step.at,
                 "site_id": step.shift.site_id if step.shift else None} for step in trip_steps])
            shares = split_cents(figure, [stretch.seconds for stretch in stretches])
            row.status = "counted"
            row.amount_cents = sum(shares[index] for index in mine)
            row.figure_cents = figure
            if trip.deposit is not None:
                row.deposit_slip = trip.deposit.slip_number
                state = states.get(trip.deposit.pk)
                if state is not None and state.match is not None:
                    row.bank_reference = state.match.bank_line.reference
        rows.append(row)
    rows.sort(key=lambda row: (row.day, row.bucket.number, row.event.pk))

    used = {row.deposit_slip for row in rows if row.deposit_slip}
    deposits = [
        DepositReference(
            slip=state.deposit.slip_number, deposited_on=state.deposit.deposited_on,
            bank_reference=state.match.bank_line.reference if state.match else "",
            bank_posted_on=state.match.bank_line.posted_on if state.match else None)
        for state in states.values() if state.deposit.slip_number in used]
    deposits.sort(key=lambda ref: (ref.deposited_on, ref.slip))
    return PermitReturn(permit=permit, sites=sites, events=events, rows=rows,
                        deposits=deposits)


STATUS_WORDS = {
    "counted": "counted", "waiting": "not counted yet", "out": "still out",
    "lost": "lost", "stolen": "stolen",
}


def status_label(status: str) -> str:
    labels = {"counted": _("Counted"), "waiting": _("Not counted yet"),
              "out": _("Still out"), "lost": _("Lost"), "stolen": _("Stolen")}
    return labels[status]


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_START) else value


def permit_return_csv(found: PermitReturn) -> str:
    """The return as CSV (UTF-8 with a byte-order mark): a row per bucket, then the total."""
    out = io.StringIO(newline="")
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in found.rows:
        writer.writerow([
            _text(row.event.title), row.day.isoformat(), str(row.bucket.number),
            _text("; ".join(row.collectors)), _text("; ".join(row.teams)),
            _text("; ".join(row.sites)), STATUS_WORDS[row.status],
            "" if row.amount_cents is None else plain_cents(row.amount_cents),
            _text(row.deposit_slip), _text(row.bank_reference),
        ])
    writer.writerow(["total", "", "", "", "", "", "" if found.all_counted else "provisional",
                     plain_cents(found.total_cents), "", ""])
    return out.getvalue()
