"""Which column of a processor's export holds what: reading the file (with the bank
import's helpers), each processor's preset of column names, the mapping checked."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from events.models import Event

from ..bank_csv import (
    DATE_FORMATS,
    DECIMAL_MARKS,
    MAX_COLUMNS,
    CsvWords,
    _guess_date_format,
    _guess_decimal,
    _name,
    column_indexes,
    column_label,
    read_csv_rows,
)
from ..banking import one_line
from ..ledger import MoneyError
from ..models import CardGift

PROCESSOR_MAX = CardGift._meta.get_field("processor").max_length

# Which column holds what. Required: reference, amount, date.
COLUMN_KEYS = ("reference", "amount", "fee", "refunded", "date", "time", "donor_name",
               "donor_last_name", "email", "code", "status", "type", "currency", "language")
REQUIRED = ("reference", "amount", "date")
TIMES = {
    "local": gettext_lazy("In the coalition's time zone"),
    "utc": gettext_lazy("In UTC (Stripe writes “Created (UTC)”)"),
}

@dataclass(frozen=True)
class Preset:
    label: str
    names: dict  # column key -> names the processor uses (compared as bank_csv._name does)
    times: str = "local"


# Column names as each processor's export writes them (checked against their exports in
# 2025-2026); "Other" uses the common names only. A preset is only a first guess: the
# treasurer sees every column and may change any.
COMMON = {
    "reference": ("reference", "transaction id", "payment id", "charge id", "id",
                  "receipt id", "receipt number", "confirmation number", "donation id"),
    "amount": ("amount", "gross", "gross amount", "donation amount", "total", "amount (usd)",
               "total amount", "gift amount"),
    "fee": ("fee", "fees", "processing fee", "transaction fee", "fee amount"),
    "refunded": ("amount refunded", "refunded", "refund amount", "refunded amount"),
    "date": ("date", "created", "created (utc)", "created date (utc)", "transaction date",
             "donation date", "payment date", "date created", "gift date"),
    "time": ("time",),
    "donor_name": ("name", "donor name", "full name", "donor", "customer name", "first name",
                   "billing name", "card name", "payer name"),
    "donor_last_name": ("last name", "surname", "family name"),
    "email": ("email", "email address", "donor email", "customer email", "from email address",
              "payer email", "e-mail"),
    "code": ("code", "giving code", "team code", "code (metadata)", "team_code (metadata)",
             "giving_code (metadata)", "team", "note", "notes", "memo", "description"),
    "status": ("status", "payment status", "transaction status"),
    "type": ("type", "transaction type"),
    "currency": ("currency", "currency code"),
    "language": ("language", "locale", "lang", "language (metadata)", "locale (metadata)"),
}
PRESETS = {
    "stripe": Preset("Stripe", {
        "reference": ("id", "payment id", "charge id"),
        "amount": ("amount",),
        "fee": ("fee",),
        "refunded": ("amount refunded",),
        "date": ("created (utc)", "created date (utc)", "created"),
        "donor_name": ("card name", "customer name", "billing details name"),
        "email": ("customer email", "receipt email", "email"),
        "code": ("code (metadata)", "giving_code (metadata)", "team_code (metadata)",
                 "team (metadata)", "client reference id", "description"),
        "status": ("status",),
        "currency": ("currency",),
        "language": ("language (metadata)", "locale (metadata)"),
    }, times="utc"),
    "paypal": Preset("PayPal", {
        "reference": ("transaction id",),
        "amount": ("gross",),
        "fee": ("fee",),
        "date": ("date",),
        "time": ("time",),
        "donor_name": ("name",),
        "email": ("from email address",),
        "code": ("custom number", "custom field", "note", "item title", "subject"),
        "status": ("status",),
        "type": ("type",),
        "currency": ("currency",),
    }),
    "square": Preset("Square", {
        "reference": ("transaction id", "payment id"),
        "amount": ("total collected", "gross sales", "net sales"),
        "fee": ("fees",),
        "refunded": ("partial refunds",),
        "date": ("date",),
        "time": ("time",),
        "donor_name": ("customer name",),
        "email": ("customer email",),
        "code": ("notes", "transaction notes", "customer reference id", "description"),
        "status": ("transaction status",),
        "type": ("event type",),
    }),
    "givebutter": Preset("Givebutter", {
        "reference": ("transaction id", "id"),
        "amount": ("amount", "donated"),
        "fee": ("fee", "fees", "processing fee"),
        "date": ("transaction date", "date", "created at"),
        "donor_name": ("first name", "name"),
        "donor_last_name": ("last name",),
        "email": ("email",),
        "code": ("code", "giving code", "team code", "team", "custom field", "custom fields"),
        "status": ("status",),
        "currency": ("currency",),
    }),
    "other": Preset(gettext_lazy("Other"), {}),
}
PROCESSOR_LABELS = {key: preset.label for key, preset in PRESETS.items() if key != "other"}


class CardImportError(MoneyError):
    """The file, or some of its rows, cannot be imported; nothing was saved. ``errors`` is a
    list of ``(row_number | None, column | None, message)``."""

    def __init__(self, errors: list[tuple[int | None, str | None, str]]):
        self.errors = sorted(errors, key=lambda error: (error[0] or 0, error[1] or ""))
        super().__init__(self.errors[0][2] if self.errors else "", "file")


def _file_error(message: str) -> CardImportError:
    return CardImportError([(None, None, message)])


# --- Reading the file ------------------------------------------------------------------------


CARD_WORDS = CsvWords(
    too_large=gettext_lazy("This file is larger than %(max)s MB. Export a shorter period from "
                           "the processor."),
    undecodable=gettext_lazy("Rally cannot read the characters of this file. Export the "
                             "payments again as CSV (UTF-8 if the processor offers a "
                             "choice)."),
    not_csv=gettext_lazy("This is not a CSV file. In the processor's dashboard, export the "
                         "payments (or transactions) as CSV."),
    too_many_rows=gettext_lazy("This file has more than %(max)s rows. Export a shorter period "
                               "from the processor."),
    too_many_columns=gettext_lazy("Row %(row)s has more than %(max)s columns: this does not "
                                  "look like a processor's export."),
    unreadable_row=gettext_lazy("Rally cannot read row %(row)s of this file (%(why)s). Export "
                                "the payments again as CSV."),
    one_column=gettext_lazy("Rally found only one column in this file. A processor's export "
                            "has at least a reference, a date and an amount: export it as "
                            "CSV."),
    no_rows=gettext_lazy("The file has column names but no rows below them."),
)


def read_card_csv(uploaded_file) -> tuple[list[str], list[list]]:
    """:func:`donations.bank_csv.read_csv_rows` for a processor's export: CardImportError for
    a file Rally cannot read (too large, empty, binary, one column, no rows). Stripe's
    exports are wide: twice the bank's columns are allowed."""
    return read_csv_rows(uploaded_file, words=CARD_WORDS, max_columns=MAX_COLUMNS * 2,
                         has_columns=_has_columns, error=_file_error)


def _has_columns(cells: list[str]) -> bool:
    guess = guess_mapping(cells, processor="other")
    return guess["amount"] is not None and (guess["date"] is not None
                                            or guess["reference"] is not None)


# --- Which column holds what -----------------------------------------------------------------


def guess_mapping(headers: list[str], rows: list[list] = (), *, processor: str = "other"
                  ) -> dict:
    """A first guess at the mapping: the processor's own column names first, then common
    ones (exact names, compared in lower case with single spaces). Column numbers count from
    0; None: no such column. Also the date format and the decimal mark (from the rows) and
    whether times are in UTC."""
    preset = PRESETS.get(processor) or PRESETS["other"]
    names = [_name(h) for h in headers]
    taken: set[int] = set()
    mapping: dict = dict.fromkeys(COLUMN_KEYS)
    for key in COLUMN_KEYS:  # the order of COLUMN_KEYS settles a name two keys share
        for wanted in (*preset.names.get(key, ()), *COMMON[key]):
            index = next((i for i, name in enumerate(names)
                          if name == wanted and i not in taken), None)
            if index is not None:
                mapping[key] = index
                taken.add(index)
                break
    mapping["date_format"] = _guess_date_format(mapping["date"], rows)
    mapping["decimal"] = _guess_decimal(
        [mapping[key] for key in ("amount", "fee") if mapping[key] is not None], rows)
    mapping["times"] = preset.times
    mapping["processor"] = processor if processor in PRESETS else "other"
    mapping["processor_name"] = ""
    return mapping


def _resolve_processor(key: str, typed: str) -> str:
    """The processor's name as stored on gifts: a preset's label, or the name typed for
    "Other" (spelled as an earlier import spelled it, so references stay unique per
    processor)."""
    if key != "other":
        return str(PRESETS[key].label)
    name = one_line(typed)[:PROCESSOR_MAX]
    if not name:
        raise MoneyError(_("Type the processor's name (for example Benevity or Donorbox)."),
                         "processor_name")
    for label in PROCESSOR_LABELS.values():
        if name.casefold() == str(label).casefold():
            return str(label)
    earlier = (CardGift.objects.filter(processor__iexact=name).values_list("processor",
                                                                            flat=True).first())
    return earlier or name


def _day(value) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or ""))
    except ValueError:
        return None


def clean_mapping(mapping: dict, headers: list[str]) -> dict:
    """The mapping checked: every column in the file, each used once, the reference, amount
    and date columns chosen, known formats, a processor, and the drive's days as a range.
    MoneyError at the mapping's field."""
    cleaned = column_indexes(mapping, headers, COLUMN_KEYS)
    missing = {
        "reference": _("Choose the column that holds the processor's reference of each "
                       "payment (its transaction or payment ID): Rally imports each gift "
                       "once by it."),
        "amount": _("Choose the column that holds the amount of each gift."),
        "date": _("Choose the column that holds the date of each gift."),
    }
    for key in REQUIRED:
        if cleaned[key] is None:
            raise MoneyError(missing[key], key)
    seen: dict[int, str] = {}
    for key in COLUMN_KEYS:
        index = cleaned[key]
        if index is None:
            continue
        if index in seen:
            raise MoneyError(_("Column %(column)s is chosen twice. Each column holds one "
                               "thing.") % {"column": column_label(headers, index)}, key)
        seen[index] = key
    if mapping.get("date_format") not in DATE_FORMATS:
        raise MoneyError(_("Choose how the file writes dates."), "date_format")
    if mapping.get("decimal", ".") not in DECIMAL_MARKS:
        raise MoneyError(_("Choose how the file writes amounts."), "decimal")
    if mapping.get("times", "local") not in TIMES:
        raise MoneyError(_("Choose the time zone of the file's times."), "times")
    processor = mapping.get("processor")
    if processor not in PRESETS:
        raise MoneyError(_("Choose the processor."), "processor")
    since, until = _day(mapping.get("since")), _day(mapping.get("until"))
    if since is None:
        raise MoneyError(_("Enter the first day of gifts for this drive."), "since")
    if until is None:
        raise MoneyError(_("Enter the last day of gifts for this drive."), "until")
    if until < since:
        raise MoneyError(_("The last day comes before the first day."), "until")
    cleaned.update(
        date_format=mapping["date_format"], decimal=mapping.get("decimal", "."),
        times=mapping.get("times", "local"), processor=processor,
        processor_name=_resolve_processor(processor, mapping.get("processor_name", "")),
        since=since.isoformat(), until=until.isoformat())
    return cleaned


def default_days(event: Event) -> tuple[datetime.date, datetime.date]:
    """The gifts of a drive, at first: from a week before its first day (a team shares its
    link ahead) to a month after its last (gifts that come late)."""
    first = timezone.localdate(event.starts_at)
    last = timezone.localdate(event.ends_at)
    return first - datetime.timedelta(days=7), last + datetime.timedelta(days=30)


