"""The accountant's CSV journal: one row per money record of the books, each exported once.

A row is one agreed count (its cash), one check or named envelope of an agreed count, what an
odd item brought, one card or online gift (and its processor fee, a row of its own), one
deposit matched to the bank, one matched bank line, one bank adjustment or one adjustment
entry. The records are final when the journal reads them (a deposit is final once matched to
the bank, so it waits until then), so a row never changes after it was exported.

A download (:func:`journal_export_create`) records its rows as :class:`JournalLine` rows in the
same transaction as its :class:`JournalExport`; ``(kind, object id)`` is unique, so the next
download leaves them out. Two downloads at the same moment take turns (a PostgreSQL
transaction lock): the second sees the first's rows as exported. An earlier export is read
again from its lines (:func:`journal_rows` with ``export``), in the same order and words: the
text is always in the coalition's language (settings.LANGUAGE_CODE), whoever downloads it."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count as CountOf
from django.db.models import Exists, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from events.models import Event
from volunteers.models import User

from ..ledger import MoneyConflict, audit
from ..models import (
    AdjustmentAllocation,
    AdjustmentEntry,
    AgreedCount,
    BankAdjustment,
    BankLine,
    CardGift,
    CountCheck,
    Deposit,
    DepositItem,
    JournalExport,
    JournalLine,
    OddItemProceeds,
)
from ..money import plain_cents

COLUMNS = ("date", "accounting_code", "kind", "amount", "reference", "team", "site", "bucket",
           "description", "record")
# Columns of words a person typed: a spreadsheet would run one starting like a formula, so
# the file puts an apostrophe before it (the amount column keeps its minus sign).
TEXT_COLUMNS = ("accounting_code", "reference", "team", "site", "description")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

KINDS = {
    "count": gettext_lazy("Agreed count (cash)"),
    "check": gettext_lazy("Check or named envelope"),
    "proceeds": gettext_lazy("Odd item's proceeds"),
    "card": gettext_lazy("Card or online gift"),
    "card_fee": gettext_lazy("Processor fee"),
    "deposit": gettext_lazy("Deposit"),
    "bank_line": gettext_lazy("Bank line"),
    "bank_adjustment": gettext_lazy("Bank adjustment"),
    "adjustment": gettext_lazy("Adjustment entry"),
}
KIND_ORDER = {kind: index for index, kind in enumerate(KINDS)}
# A PostgreSQL transaction lock that journal downloads take in turn ("journal" in ASCII).
LOCK_KEY = 0x6A6F75726E616C


@dataclass(frozen=True)
class JournalRow:
    kind: str
    object_id: int
    day: datetime.date
    event: Event | None
    amount_cents: int
    reference: str = ""
    team: str = ""
    site: str = ""
    bucket: str = ""
    description: str = ""

    @property
    def accounting_code(self) -> str:
        return self.event.accounting_code if self.event is not None else ""

    @property
    def record(self) -> str:
        """Rally's own name for the record, unique in every journal: "count-12"."""
        return f"{self.kind}-{self.object_id}"

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind])

    def cells(self) -> list[str]:
        values = {
            "date": self.day.isoformat(), "accounting_code": self.accounting_code,
            "kind": self.kind, "amount": plain_cents(self.amount_cents),
            "reference": self.reference, "team": self.team, "site": self.site,
            "bucket": self.bucket, "description": self.description, "record": self.record,
        }
        return [_cell(values[column], column) for column in COLUMNS]


def _cell(value: str, column: str) -> str:
    text = str(value or "")
    if column in TEXT_COLUMNS and text.startswith(FORMULA_START):
        return f"'{text}"
    return text


def _day(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment)


def _name(thing) -> str:
    return thing.name if thing is not None else ""


def _site_of(sheet) -> str:
    """The site of the shift the bucket came back from (a count sheet's return)."""
    shift = sheet.returned.shift if sheet is not None else None
    return _name(shift.site) if shift is not None else ""


# --- Reading the records, one kind at a time -----------------------------------------------
# Each reader takes ``scope(queryset, kind, event_field)``: the records not yet exported (of
# one drive, or all), or the records of one earlier export.

Scope = Callable[..., object]


def _counts(scope: Scope) -> list[JournalRow]:
    rows = scope(AgreedCount.objects.select_related(
        "event", "bucket", "team", "sheet__returned__shift__site"), "count", "event")
    return [JournalRow(
        kind="count", object_id=agreed.pk, day=_day(agreed.sheet.returned.at),
        event=agreed.event, amount_cents=agreed.cash_cents, reference=f"sheet-{agreed.sheet_id}",
        team=_name(agreed.team), site=_site_of(agreed.sheet), bucket=str(agreed.bucket.number),
        description=_("Cash counted in %(bucket)s (%(total)s with its checks)") % {
            "bucket": agreed.bucket, "total": plain_cents(agreed.total_cents)},
    ) for agreed in rows]


def _checks(scope: Scope) -> list[JournalRow]:
    agreed = AgreedCount.objects.filter(count_id=OuterRef("count_id"))
    rows = scope(CountCheck.objects.filter(Exists(agreed)).select_related(
        "count__event", "count__sheet__bucket", "count__sheet__team",
        "count__sheet__returned__shift__site"), "check", "count__event")
    found = []
    for check in rows:
        sheet = check.count.sheet
        if check.kind == CountCheck.Kind.ENVELOPE:
            text = _("Named envelope of cash from %(payer)s") % {"payer": check.payer}
        else:
            text = _("Check from %(payer)s") % {"payer": check.payer}
        found.append(JournalRow(
            kind="check", object_id=check.pk, day=_day(sheet.returned.at),
            event=check.count.event, amount_cents=check.amount_cents,
            reference=check.number, team=_name(sheet.team), site=_site_of(sheet),
            bucket=str(sheet.bucket.number), description=text))
    return found


def _proceeds(scope: Scope) -> list[JournalRow]:
    rows = scope(OddItemProceeds.objects.filter(amount_cents__gt=0).select_related(
        "event", "odd_item", "agreed__bucket", "agreed__team",
        "agreed__sheet__returned__shift__site"), "proceeds", "event")
    return [JournalRow(
        kind="proceeds", object_id=row.pk, day=_day(row.at), event=row.event,
        amount_cents=row.amount_cents, reference=f"sheet-{row.agreed.sheet_id}",
        team=_name(row.agreed.team), site=_site_of(row.agreed.sheet),
        bucket=str(row.agreed.bucket.number),
        description=_("%(how)s: %(item)s") % {"how": row.get_how_display(),
                                               "item": row.odd_item.description},
    ) for row in rows]


def _cards(scope: Scope) -> list[JournalRow]:
    rows = scope(CardGift.objects.select_related("event", "team", "site"), "card", "event")
    return [JournalRow(
        kind="card", object_id=gift.pk, day=_day(gift.given_at), event=gift.event,
        amount_cents=gift.amount_cents, reference=gift.reference, team=_name(gift.team),
        site=_name(gift.site),
        description=(_("Gift through %(processor)s, giving code %(code)s")
                     % {"processor": gift.processor, "code": gift.code} if gift.code else
                     _("Gift through %(processor)s") % {"processor": gift.processor}),
    ) for gift in rows]


def _card_fees(scope: Scope) -> list[JournalRow]:
    rows = scope(CardGift.objects.filter(fee_cents__gt=0).select_related("event", "team", "site"),
                 "card_fee", "event")
    return [JournalRow(
        kind="card_fee", object_id=gift.pk, day=_day(gift.given_at), event=gift.event,
        amount_cents=-gift.fee_cents, reference=gift.reference, team=_name(gift.team),
        site=_name(gift.site),
        description=_("%(processor)s's fee on the gift %(reference)s") % {
            "processor": gift.processor, "reference": gift.reference},
    ) for gift in rows]


def _deposits(scope: Scope) -> list[JournalRow]:
    items = DepositItem.objects.filter(deposit=OuterRef("pk")).order_by().values("deposit")
    held = Coalesce(Subquery(items.annotate(total=Sum("amount_cents")).values("total")), 0)
    many = Coalesce(Subquery(items.annotate(n=CountOf("pk")).values("n")), 0)
    rows = scope(Deposit.objects.filter(match__isnull=False)
                 .select_related("event", "match__bank_line").annotate(held=held, items_n=many),
                 "deposit", "event")
    return [JournalRow(
        kind="deposit", object_id=deposit.pk, day=deposit.deposited_on, event=deposit.event,
        amount_cents=deposit.held, reference=deposit.slip_number,
        description=_("Deposit slip %(slip)s (bag %(bag)s): %(n)s counted items; the slip "
                      "says %(declared)s") % {
            "slip": deposit.slip_number, "bag": deposit.bag_number or "—",
            "n": deposit.items_n, "declared": plain_cents(deposit.declared_cents)},
    ) for deposit in rows]


def _bank_lines(scope: Scope) -> list[JournalRow]:
    rows = scope(BankLine.objects.filter(match__isnull=False)
                 .select_related("match__event", "match__deposit"), "bank_line", "match__event")
    return [JournalRow(
        kind="bank_line", object_id=line.pk, day=line.posted_on, event=line.match.event,
        amount_cents=line.amount_cents, reference=line.reference,
        description=_("%(bank)s (deposit slip %(slip)s)") % {
            "bank": line.description or _("Bank line"), "slip": line.match.deposit.slip_number},
    ) for line in rows]


def _bank_adjustments(scope: Scope) -> list[JournalRow]:
    allocations = AdjustmentAllocation.objects.select_related("agreed__bucket").order_by(
        "agreed__bucket__number", "pk")
    rows = scope(BankAdjustment.objects.select_related("event", "deposit")
                 .prefetch_related(Prefetch("allocations", queryset=allocations)),
                 "bank_adjustment", "event")
    return [JournalRow(
        kind="bank_adjustment", object_id=adjustment.pk, day=_day(adjustment.at),
        event=adjustment.event, amount_cents=adjustment.amount_cents,
        reference=adjustment.deposit.slip_number,
        bucket=" ".join(str(row.agreed.bucket.number) for row in adjustment.allocations.all()),
        description=f"{adjustment.get_reason_display()}: {adjustment.explanation}",
    ) for adjustment in rows]


def _entries(scope: Scope) -> list[JournalRow]:
    rows = scope(AdjustmentEntry.objects.select_related(
        "event", "corrects_agreed__bucket", "corrects_agreed__team",
        "corrects_agreed__sheet__returned__shift__site", "corrects_deposit",
        "corrects_bank_line"), "adjustment", "event")
    found = []
    for entry in rows:
        agreed = entry.corrects_agreed
        if agreed is not None:
            corrects = _("corrects the agreed count of %(bucket)s") % {"bucket": agreed.bucket}
        elif entry.corrects_deposit is not None:
            corrects = _("corrects deposit slip %(slip)s") % {
                "slip": entry.corrects_deposit.slip_number}
        else:
            corrects = _("corrects the bank line %(reference)s of %(date)s") % {
                "reference": entry.corrects_bank_line.reference,
                "date": entry.corrects_bank_line.posted_on.isoformat()}
        found.append(JournalRow(
            kind="adjustment", object_id=entry.pk, day=_day(entry.at), event=entry.event,
            amount_cents=entry.amount_cents, reference=f"entry-{entry.pk}",
            team=_name(agreed.team) if agreed else "",
            site=_site_of(agreed.sheet) if agreed else "",
            bucket=str(agreed.bucket.number) if agreed else "",
            description=f"{entry.reason} ({corrects})"))
    return found


READERS = (_counts, _checks, _proceeds, _cards, _card_fees, _deposits, _bank_lines,
           _bank_adjustments, _entries)


def journal_rows(*, event: Event | None = None, export: JournalExport | None = None
                 ) -> list[JournalRow]:
    """The journal's rows: those not exported yet (of ``event``, or of every drive), or with
    ``export`` those an earlier download held. Sorted by date, kind and record; one query per
    kind (and one for the bank adjustments' buckets), however many rows."""

    def scope(queryset, kind: str, event_field: str):
        if export is not None:
            lines = JournalLine.objects.filter(export=export, kind=kind).values("object_id")
            return queryset.filter(pk__in=lines)
        exported = JournalLine.objects.filter(kind=kind, object_id=OuterRef("pk"))
        queryset = queryset.filter(~Exists(exported))
        if event is not None:
            queryset = queryset.filter(**{event_field: event})
        return queryset

    with translation.override(settings.LANGUAGE_CODE):
        rows = [row for reader in READERS for row in reader(scope)]
    return sorted(rows, key=lambda row: (row.day, KIND_ORDER[row.kind], row.object_id))


def journal_csv(rows: list[JournalRow]) -> str:
    """The rows as CSV: a header, one line per row, UTF-8 with a byte-order mark so that
    spreadsheets read accents right, amounts as plain 123.45 (negative with a minus)."""
    out = io.StringIO(newline="")
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row.cells())
    return out.getvalue()


def _take_turns() -> None:
    """Two downloads at once wait for each other here, so the second sees the first's rows
    as exported. (SQLite runs one writing transaction at a time anyway.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def journal_export_create(*, by: User, event: Event | None = None) -> JournalExport | None:
    """Record a download of the rows not exported yet (of ``event``, or of every drive):
    one transaction, in turn with any other download, writing the :class:`JournalExport`, a
    :class:`JournalLine` per row and the audit line ``journal.exported``. Returns None when
    there is nothing new (nothing is written). A line already recorded by a download that did
    not wait its turn is refused by the database; that is a MoneyConflict, nothing saved."""
    try:
        with transaction.atomic():
            _take_turns()
            rows = journal_rows(event=event)
            if not rows:
                return None
            export = JournalExport.objects.create(event=event, rows=len(rows), by=by,
                                                  content=journal_csv(rows), at=timezone.now())
            JournalLine.objects.bulk_create([
                JournalLine(export=export, kind=row.kind, object_id=row.object_id)
                for row in rows])
            kinds: dict[str, int] = {}
            for row in rows:
                kinds[row.kind] = kinds.get(row.kind, 0) + 1
            audit(action="journal.exported",
                  subject=_("Journal export %(n)s: %(rows)s rows") % {"n": export.pk,
                                                                     "rows": len(rows)},
                  by=by, event=event, after={"export": export.pk, "rows": len(rows), **kinds})
            return export
    except IntegrityError as clash:
        raise MoneyConflict(_("Another treasurer downloaded the journal at the same moment. "
                              "Nothing was recorded for you: look at the list again and "
                              "download what is left.")) from clash


def kinds_summary(rows: list[JournalRow]) -> list[dict]:
    """How many rows of each kind, and their amounts, in the kinds' order."""
    found: dict[str, dict] = {}
    for row in rows:
        entry = found.setdefault(row.kind, {"kind": row.kind, "label": row.kind_label,
                                            "rows": 0, "amount_cents": 0})
        entry["rows"] += 1
        entry["amount_cents"] += row.amount_cents
    return sorted(found.values(), key=lambda entry: KIND_ORDER[entry["kind"]])
