"""The bank's CSV export, read into bank lines: all of the file or none of it.

1. ``read_bank_csv`` reads the uploaded file (UTF-8 with or without a byte order mark,
   UTF-16 as spreadsheets save "Unicode text", else Windows-1252; comma, semicolon or tab;
   a few summary lines above the column names, as some banks write, are passed over) into
   the column names and the rows, each with its row number as a spreadsheet shows it.
2. ``guess_mapping`` proposes which column holds what (date, amount or debit and credit,
   description, reference), the date format and the decimal mark; the treasurer checks it.
3. ``bank_import_preview`` parses every row with the mapping: the lines to import, the rows
   refused (row number, column, why), the rows passed over (no amount, money out) and the
   lines already in Rally. A mapping that names the wrong column (most rows of it are not
   dates, or not amounts) is refused at that column.
4. ``bank_import_commit`` does the same inside one transaction and saves every line or none:
   any refused row, or a line already in Rally (unless the treasurer chose to pass over those),
   raises ``BankImportError`` with every row's message."""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections import Counter
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from volunteers.models import User

from .banking import (
    DESCRIPTION_MAX,
    REFERENCE_MAX,
    already_recorded_message,
    day,
    one_line,
)
from .ledger import MoneyError, audit
from .models import BankImport, BankLine
from .money import MAX_CENTS, AmountError, format_cents, parse_cents

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 60
MAX_CELL = 1000
# Summary lines some banks write above the column names.
HEADER_SEARCH = 30

DATE_FORMATS = {
    "ymd": gettext_lazy("YYYY-MM-DD (2026-06-03)"),
    "mdy": gettext_lazy("MM/DD/YYYY (06/03/2026, the US way)"),
    "dmy": gettext_lazy("DD/MM/YYYY (03/06/2026)"),
}
DATE_FORMAT_NAMES = {"ymd": "YYYY-MM-DD", "mdy": "MM/DD/YYYY", "dmy": "DD/MM/YYYY"}
DECIMAL_MARKS = {
    ".": gettext_lazy("1,234.56 (a point before the cents)"),
    ",": gettext_lazy("1.234,56 (a comma before the cents)"),
}
COLUMN_KEYS = ("date", "amount", "debit", "credit", "description", "reference")

# Column names banks use, most telling first; compared in lower case with single spaces.
NAMES = {
    "date": ("posting date", "posted date", "post date", "date posted", "booking date",
             "transaction date", "date", "value date", "effective date", "fecha",
             "fecha de operación", "fecha operación", "datum", "buchungstag"),
    "amount": ("amount", "transaction amount", "amount (usd)", "amount usd", "amt", "monto",
               "importe", "betrag"),
    "debit": ("debit", "debits", "debit amount", "withdrawal", "withdrawals",
              "withdrawal amount", "money out", "paid out", "cargo", "cargos"),
    "credit": ("credit", "credits", "credit amount", "deposit", "deposits", "deposit amount",
               "money in", "paid in", "abono", "abonos"),
    "description": ("description", "transaction description", "memo", "narrative",
                    "details", "payee", "name", "descripción", "descripcion", "concepto"),
    "reference": ("reference", "reference number", "reference no", "ref", "ref.",
                  "check or slip #", "check number", "check #", "check no", "slip number",
                  "serial number", "transaction id", "referencia", "num", "no."),
}
# Words that show a column is something else (a running balance is not an amount).
NOT_AMOUNT = ("balance", "bal.", "saldo")

ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
PARTS_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:[ T].*)?$")
COMMA_CENTS = re.compile(r",\d{2}\)?-?$")
POINT_CENTS = re.compile(r"\.\d{2}\)?-?$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class BankImportError(MoneyError):
    """The file, or some of its rows, cannot be imported; nothing was saved. ``errors`` is a
    list of ``(row_number | None, column | None, message)``."""

    def __init__(self, errors: list[tuple[int | None, str | None, str]]):
        self.errors = sorted(errors, key=lambda error: (error[0] or 0, error[1] or ""))
        super().__init__(self.errors[0][2] if self.errors else "", "file")


def _file_error(message: str) -> BankImportError:
    return BankImportError([(None, None, message)])


# --- Reading the file ------------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise _file_error(_("Rally cannot read the characters of this file. Export the statement "
                        "again as CSV (UTF-8 if the bank offers a choice)."))


def _records(text: str, delimiter: str, limit: int | None = None) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = []
    for cells in reader:
        records.append(cells)
        if limit is not None and len(records) >= limit:
            break
    return records


def _delimiter(text: str) -> str:
    """The separator that splits the first lines into the most rows of one width."""
    best, best_score = ",", (0, 0)
    for delimiter in (",", ";", "\t"):
        try:
            sample = [r for r in _records(text, delimiter, 40) if any(c.strip() for c in r)]
        except csv.Error:
            continue
        widths = Counter(len(r) for r in sample if len(r) > 1)
        if not widths:
            continue
        width, rows = max(widths.items(), key=lambda pair: (pair[1], pair[0]))
        if (rows, width) > best_score:
            best, best_score = delimiter, (rows, width)
    return best


def _cell(value: str) -> str:
    value = CONTROL.sub("", value.replace("\u00a0", " "))
    return value.strip()[:MAX_CELL]


def _has_columns(cells: list[str]) -> bool:
    guess = guess_mapping(cells)
    return guess["date"] is not None and any(
        guess[key] is not None for key in ("amount", "debit", "credit"))


@dataclass(frozen=True)
class CsvWords:
    """What a CSV import says when a file is not one it can read, in its own words (a bank
    statement, a processor's export); the reading itself is :func:`read_csv_rows`."""

    too_large: str  # %(max)s MB
    not_csv: str
    too_many_rows: str  # %(max)s rows
    too_many_columns: str  # %(row)s, %(max)s
    unreadable_row: str  # %(row)s, %(why)s
    one_column: str
    no_rows: str
    undecodable: str | None = None  # None: the decoder's own message


def read_csv_rows(uploaded_file, *, words: CsvWords, max_columns: int, has_columns,
                  error) -> tuple[list[str], list[list]]:
    """``(headers, rows)``: the column names (the first of the first rows that
    ``has_columns``), and each row below them as ``[row_number, cells]`` (``row_number`` as
    a spreadsheet numbers the file's rows, so that a message can point at it). Blank rows are
    left out. A file this cannot read raises ``error(message)`` with ``words``' message."""
    size = getattr(uploaded_file, "size", None)
    too_large = words.too_large % {"max": MAX_BYTES // (1024 * 1024)}
    if size is not None and size > MAX_BYTES:
        raise error(too_large)
    raw = uploaded_file.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise error(too_large)
    if not raw.strip():
        raise error(_("The file is empty."))
    try:
        text = _decode(raw)
    except BankImportError:
        if words.undecodable is None:
            raise
        raise error(words.undecodable) from None
    if "\x00" in text:
        raise error(words.not_csv)
    delimiter = _delimiter(text)
    numbered: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""),
                                                  delimiter=delimiter), start=1):
            if len(numbered) > MAX_ROWS + HEADER_SEARCH:
                raise error(words.too_many_rows % {"max": MAX_ROWS})
            cells = [_cell(value) for value in cells]
            if any(cells):
                if len(cells) > max_columns:
                    raise error(words.too_many_columns % {"row": number, "max": max_columns})
                numbered.append((number, cells))
    except csv.Error as why:
        raise error(words.unreadable_row % {"row": len(numbered) + 1, "why": why}) from None
    if not numbered:
        raise error(_("The file is empty."))
    header_at = next((i for i, (_n, cells) in enumerate(numbered[:HEADER_SEARCH])
                      if has_columns(cells)), 0)
    headers = numbered[header_at][1]
    rows = [[number, cells] for number, cells in numbered[header_at + 1:]]
    if len(headers) < 2:
        raise error(words.one_column)
    if not rows:
        raise error(words.no_rows)
    if len(rows) > MAX_ROWS:
        raise error(words.too_many_rows % {"max": MAX_ROWS})
    return headers, rows


BANK_WORDS = CsvWords(
    too_large=gettext_lazy("This file is larger than %(max)s MB. Export a shorter period of "
                           "the statement."),
    not_csv=gettext_lazy("This is not a CSV file. On the bank's website, export the "
                         "statement as CSV (comma-separated values)."),
    too_many_rows=gettext_lazy("This file has more than %(max)s rows. Export a shorter "
                               "period of the statement."),
    too_many_columns=gettext_lazy("Row %(row)s has more than %(max)s columns: this does "
                                  "not look like a bank statement."),
    unreadable_row=gettext_lazy("Rally cannot read row %(row)s of this file (%(why)s). Export "
                                "the statement again as CSV."),
    one_column=gettext_lazy("Rally found only one column in this file. A bank statement has "
                            "at least a date and an amount: export it as CSV."),
    no_rows=gettext_lazy("The file has column names but no lines below them."),
)


def read_bank_csv(uploaded_file) -> tuple[list[str], list[list]]:
    """:func:`read_csv_rows` for a bank statement: BankImportError for a file that is not one
    Rally can read (too large, empty, binary, no columns)."""
    return read_csv_rows(uploaded_file, words=BANK_WORDS, max_columns=MAX_COLUMNS,
                         has_columns=_has_columns, error=_file_error)


# --- Which column holds what -----------------------------------------------------------------


def _name(header: str) -> str:
    return " ".join(str(header).lower().replace("_", " ").split()).rstrip(":")


def guess_mapping(headers: list[str], rows: list[list] = ()) -> dict:
    """A first guess at the mapping from the column names (and, when given, the rows: the
    date format and the decimal mark). Column numbers count from 0; None: no such column."""
    names = [_name(h) for h in headers]
    taken: set[int] = set()
    mapping: dict = dict.fromkeys(COLUMN_KEYS)

    def find(key: str) -> int | None:
        for wanted in NAMES[key]:
            for index, name in enumerate(names):
                if index not in taken and name == wanted:
                    return index
        return None

    for key in ("date", "amount", "description", "reference"):
        mapping[key] = find(key)
        if mapping[key] is not None:
            taken.add(mapping[key])
    if mapping["amount"] is None:
        for key in ("debit", "credit"):
            mapping[key] = find(key)
            if mapping[key] is not None:
                taken.add(mapping[key])
    # Then names that contain the word: "Transaction Posting Date", "Amount in USD".
    loose = {"date": ("date", "fecha"), "description": ("description", "memo"),
             "reference": ("reference", "ref ", "check", "slip")}
    if mapping["amount"] is None and mapping["debit"] is None and mapping["credit"] is None:
        loose["amount"] = ("amount", "amt", "importe", "monto")
    for key, words in loose.items():
        if mapping[key] is not None:
            continue
        for index, name in enumerate(names):
            if index in taken or (key == "amount" and any(n in name for n in NOT_AMOUNT)):
                continue
            if any(word in f"{name} " for word in words):
                mapping[key] = index
                taken.add(index)
                break
    mapping["date_format"] = _guess_date_format(mapping["date"], rows)
    mapping["decimal"] = _guess_decimal(
        [mapping[key] for key in ("amount", "debit", "credit") if mapping[key] is not None],
        rows)
    mapping["money_in_only"] = True
    return mapping


def _column(rows, index: int | None, limit: int = 300) -> list[str]:
    if index is None:
        return []
    values = []
    for _number, cells in rows[:limit]:
        if index < len(cells) and cells[index]:
            values.append(cells[index])
    return values


def _guess_date_format(index: int | None, rows) -> str:
    values = _column(rows, index)
    if values and all(ISO_DATE.match(v) for v in values):
        return "ymd"
    firsts, seconds = [], []
    for value in values:
        match = PARTS_DATE.match(value)
        if match:
            firsts.append(int(match[1]))
            seconds.append(int(match[2]))
    if any(n > 12 for n in firsts):
        return "dmy"
    if any(n > 12 for n in seconds):
        return "mdy"
    if values and not firsts and any(ISO_DATE.match(v) for v in values):
        return "ymd"
    return "mdy"


def _guess_decimal(indexes: list[int], rows) -> str:
    values = [v for index in indexes for v in _column(rows, index)]
    comma = sum(1 for v in values if COMMA_CENTS.search(v))
    point = sum(1 for v in values if POINT_CENTS.search(v))
    return "," if comma > point else "."


def column_label(headers: list[str], index: int) -> str:
    """"C: Amount": the spreadsheet letter and the column's name."""
    letters, n = "", index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    name = headers[index] if index < len(headers) and headers[index] else _("(no name)")
    return f"{letters}: {name}"


# --- Parsing the rows ------------------------------------------------------------------------


def parse_bank_date(text: str, date_format: str) -> datetime.date:
    """A date as the bank writes it; a time after it ("2026-06-03 10:15") is ignored."""
    text = text.strip()
    if date_format == "ymd":
        match = ISO_DATE.match(text)
        parts = (match[1], match[2], match[3]) if match else None
    else:
        match = PARTS_DATE.match(text)
        if match and date_format == "mdy":
            parts = (match[3], match[1], match[2])
        elif match:
            parts = (match[3], match[2], match[1])
        else:
            parts = None
    if parts is None:
        raise ValueError(text)
    year, month, day_of_month = (int(p) for p in parts)
    if year < 100:
        year += 2000
    return datetime.date(year, month, day_of_month)


def parse_bank_amount(text: str, decimal: str) -> int:
    """"1,234.56", "-1,234.56", "$1,234.56", "(1,234.56)", "1234.56-", "1.234,56 €" (with
    ``decimal`` ",") → cents. Raises AmountError."""
    raw = text.replace(" ", "").replace("\u00a0", "").upper()
    for symbol in ("$", "€", "£", "USD", "EUR"):
        raw = raw.replace(symbol, "")
    signs = 0
    if raw.startswith("(") and raw.endswith(")"):
        signs, raw = signs + 1, raw[1:-1]
    if raw.endswith(("CR", "DR")):
        signs, raw = signs + raw.endswith("DR"), raw[:-2]
    if raw.endswith("-"):
        signs, raw = signs + 1, raw[:-1]
    if raw.startswith(("-", "+")):
        signs, raw = signs + (raw[0] == "-"), raw[1:]
    if decimal == ",":
        raw = raw.replace(".", "").replace(",", ".")
    if signs > 1 or not raw or (not raw[0].isdigit() and raw[0] != "."):
        raise AmountError(_("Enter an amount in dollars and cents, like 12.50."))
    cents = parse_cents(raw)
    return -cents if signs else cents


@dataclass
class ParsedLine:
    row: int
    posted_on: datetime.date
    amount_cents: int
    description: str
    reference: str

    @property
    def key(self) -> tuple:
        return (self.posted_on, self.amount_cents, self.reference, self.description)


@dataclass
class ImportPreview:
    lines: list[ParsedLine] = field(default_factory=list)
    errors: list[tuple[int | None, str | None, str]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    known: list[tuple[ParsedLine, BankLine]] = field(default_factory=list)

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    def new_lines(self) -> list[ParsedLine]:
        known_rows = {line.row for line, _existing in self.known}
        return [line for line in self.lines if line.row not in known_rows]


def column_indexes(mapping: dict, headers: list[str], keys) -> dict:
    """``mapping``'s column for each of ``keys`` as an index into ``headers`` (None when not
    chosen); a value that is not a column of the file is a MoneyError at its key. Shared by
    the bank and the card imports."""
    cleaned: dict = {}
    for key in keys:
        value = mapping.get(key)
        if value in (None, ""):
            cleaned[key] = None
            continue
        try:
            index = int(value)
        except (TypeError, ValueError):
            raise MoneyError(_("Choose a column of the file."), key) from None
        if not 0 <= index < len(headers):
            raise MoneyError(_("Choose a column of the file."), key)
        cleaned[key] = index
    return cleaned


def clean_mapping(mapping: dict, headers: list[str]) -> dict:
    """The mapping checked: every column in the file, each used once, a date column, and an
    amount column or debit and credit columns (not both). MoneyError at the mapping's field."""
    cleaned = column_indexes(mapping, headers, COLUMN_KEYS)
    if cleaned["date"] is None:
        raise MoneyError(_("Choose the column that holds the date the bank posted each line."),
                         "date")
    pair = cleaned["debit"] is not None or cleaned["credit"] is not None
    if cleaned["amount"] is None and not pair:
        raise MoneyError(_("Choose the column that holds the amount (or, if the bank splits "
                           "it, the debit and credit columns)."), "amount")
    if cleaned["amount"] is not None and pair:
        raise MoneyError(_("Choose either one amount column, or debit and credit columns, not "
                           "both."), "amount")
    seen: dict[int, str] = {}
    for key in COLUMN_KEYS:
        index = cleaned[key]
        if index is None:
            continue
        if index in seen:
            raise MoneyError(_("Column %(column)s is chosen twice. Each column holds one "
                               "thing.") % {"column": column_label(headers, index)}, key)
        seen[index] = key
    date_format = mapping.get("date_format")
    if date_format not in DATE_FORMATS:
        raise MoneyError(_("Choose how the bank writes dates."), "date_format")
    decimal = mapping.get("decimal", ".")
    if decimal not in DECIMAL_MARKS:
        raise MoneyError(_("Choose how the bank writes amounts."), "decimal")
    cleaned["date_format"] = date_format
    cleaned["decimal"] = decimal
    cleaned["money_in_only"] = bool(mapping.get("money_in_only", True))
    return cleaned


def _cell_at(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index]


def _row_amount(cells: list[str], mapping: dict) -> tuple[int | None, str | None]:
    """(cents or None when the row has no amount, the column key of a bad amount)."""
    decimal = mapping["decimal"]
    if mapping["amount"] is not None:
        text = _cell_at(cells, mapping["amount"])
        if not text:
            return None, None
        try:
            return parse_bank_amount(text, decimal), None
        except ValueError:  # AmountError, or a number too long for int()
            return None, "amount"
    total, found = 0, False
    for key, sign in (("credit", 1), ("debit", -1)):
        text = _cell_at(cells, mapping[key])
        if not text:
            continue
        try:
            total += sign * abs(parse_bank_amount(text, decimal))
        except ValueError:
            return None, key
        found = True
    return (total if found else None), None


def bank_import_preview(*, headers: list[str], rows: list[list], mapping: dict
                        ) -> ImportPreview:
    """Parse every row with ``mapping`` (checked by ``clean_mapping``, MoneyError at its
    field). Rows without an amount, of zero, or of money out (when importing money in only)
    are passed over, with why; a bad date or amount is a row error; the same line twice in
    the file is an error at the second; lines already in Rally are listed in ``known``."""
    mapping = clean_mapping(mapping, headers)
    preview = ImportPreview()
    today = timezone.localdate()
    format_name = DATE_FORMAT_NAMES[mapping["date_format"]]
    date_failures: list[int] = []
    amount_failures: dict[str, list[int]] = {}
    with_amount = 0
    seen: dict[tuple, int] = {}
    for number, cells in rows:
        amount, bad_column = _row_amount(cells, mapping)
        if bad_column is not None:
            with_amount += 1
            amount_failures.setdefault(bad_column, []).append(number)
            preview.errors.append((number, column_label(headers, mapping[bad_column]), _(
                "“%(value)s” is not an amount of money.")
                % {"value": _cell_at(cells, mapping[bad_column])[:40]}))
            continue
        if amount is None:
            preview.skipped.append((number, _("no amount")))
            continue
        with_amount += 1
        date_text = _cell_at(cells, mapping["date"])
        try:
            posted_on = parse_bank_date(date_text, mapping["date_format"])
        except ValueError:
            date_failures.append(number)
            preview.errors.append((number, column_label(headers, mapping["date"]), _(
                "“%(value)s” is not a date written %(format)s.")
                % {"value": date_text[:40], "format": format_name} if date_text else _(
                "The date is missing.")))
            continue
        if posted_on > today:
            preview.errors.append((number, column_label(headers, mapping["date"]), _(
                "%(day)s is in the future. Is the date format right (%(format)s)?")
                % {"day": day(posted_on), "format": format_name}))
            continue
        if posted_on.year < 2000:
            preview.errors.append((number, column_label(headers, mapping["date"]), _(
                "%(day)s is too long ago to be right.") % {"day": day(posted_on)}))
            continue
        if abs(amount) > MAX_CENTS:
            preview.errors.append((number, None, _("%(amount)s is too large to be right.")
                                   % {"amount": format_cents(amount)}))
            continue
        if amount == 0:
            preview.skipped.append((number, _("amount of zero")))
            continue
        if amount < 0 and mapping["money_in_only"]:
            preview.skipped.append((number, _("money out")))
            continue
        line = ParsedLine(
            row=number, posted_on=posted_on, amount_cents=amount,
            description=one_line(_cell_at(cells, mapping["description"]))[:DESCRIPTION_MAX],
            reference=one_line(_cell_at(cells, mapping["reference"]))[:REFERENCE_MAX])
        if line.key in seen:
            preview.errors.append((number, None, _(
                "This line is the same as row %(row)s (same date, amount, description and "
                "reference). Rally keeps each bank line once: if the bank really shows it "
                "twice, delete one of the two rows from the file, import it, then type that "
                "line on the bank page with a reference that tells them apart.")
                % {"row": seen[line.key]}))
            continue
        seen[line.key] = number
        preview.lines.append(line)
    _refuse_wrong_columns(headers, mapping, date_failures, amount_failures, with_amount)
    _find_known(preview)
    return preview


def _refuse_wrong_columns(headers, mapping, date_failures, amount_failures, with_amount):
    """A column most of whose rows fail is the wrong column (or the wrong format): say so at
    that column, not once per row."""
    def wrong(failures: list[int]) -> bool:
        return len(failures) >= 2 and len(failures) * 2 > with_amount

    def rows_of(failures: list[int]) -> str:
        shown = ", ".join(str(n) for n in failures[:5])
        return shown + ("…" if len(failures) > 5 else "")

    if wrong(date_failures):
        raise MoneyError(_(
            "Column %(column)s does not hold dates written %(format)s (rows %(rows)s). Choose "
            "the date column, or the way the bank writes dates.")
            % {"column": column_label(headers, mapping["date"]),
               "format": DATE_FORMAT_NAMES[mapping["date_format"]],
               "rows": rows_of(date_failures)}, "date")
    for key, failures in amount_failures.items():
        if wrong(failures):
            raise MoneyError(_(
                "Column %(column)s does not hold amounts of money (rows %(rows)s). Choose the "
                "column of amounts, or the way the bank writes them.")
                % {"column": column_label(headers, mapping[key]), "rows": rows_of(failures)},
                key)


def _find_known(preview: ImportPreview) -> None:
    if not preview.lines:
        return
    dates = [line.posted_on for line in preview.lines]
    stored = {
        (line.posted_on, line.amount_cents, line.reference, line.description): line
        for line in BankLine.objects.filter(posted_on__range=(min(dates), max(dates)))
        .select_related("bank_import", "entered_by")
    }
    preview.known = [(line, stored[line.key]) for line in preview.lines if line.key in stored]


@transaction.atomic
def bank_import_commit(*, file_name: str, rows: list[list], mapping: dict, by: User,
                       headers: list[str] | None = None, skip_known: bool = False
                       ) -> BankImport:
    """Import every line of the file in one transaction, or none: any refused row raises
    BankImportError with every row's message; lines already in Rally too, unless
    ``skip_known`` (the treasurer saw them listed and chose to pass over them). A mapping
    naming the wrong columns raises MoneyError at its field. Audit ``bank.imported``.
    ``headers`` (``read_bank_csv``'s) name the columns in the messages."""
    if headers is None:
        headers = [""] * max((len(cells) for _number, cells in rows), default=0)
    preview = bank_import_preview(headers=headers, rows=rows, mapping=mapping)
    errors = list(preview.errors)
    if not skip_known:
        errors += [(line.row, None, already_recorded_message(existing))
                   for line, existing in preview.known]
    if errors:
        raise BankImportError(errors)
    lines = preview.new_lines()
    if not lines:
        raise _file_error(_("There is no new line of money in to import in this file."))
    cleaned = clean_mapping(mapping, headers)
    name = one_line(file_name)[:200] or "statement.csv"
    bank_import = BankImport.objects.create(
        file_name=name, imported_by=by, rows=len(lines),
        mapping={**cleaned, "columns": {key: headers[cleaned[key]] for key in COLUMN_KEYS
                                        if cleaned[key] is not None}})
    try:
        with transaction.atomic():
            BankLine.objects.bulk_create([
                BankLine(posted_on=line.posted_on, description=line.description,
                         amount_cents=line.amount_cents, reference=line.reference,
                         source=BankLine.Source.IMPORTED, bank_import=bank_import,
                         entered_by=by) for line in lines])
    except IntegrityError:
        raise _file_error(_("Another treasurer recorded some of these lines a moment ago, so "
                            "nothing was imported. Send the file again to see which.")) from None
    audit(action="bank.imported", subject=_("Bank statement %(file)s") % {"file": name}, by=by,
          after={"bank_import": bank_import.pk, "file": name, "lines": len(lines),
                 "total_cents": sum(line.amount_cents for line in lines),
                 "rows": [line.row for line in lines],
                 "passed_over_known": [line.row for line, _e in preview.known]})
    return bank_import
