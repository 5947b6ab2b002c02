"""A processor's rows read into card gifts: the preview (gifts, refused rows, rows passed
over, gifts already in Rally) and the all-or-nothing import."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format as format_date
from django.utils.translation import gettext as _

from events.models import Event
from volunteers.models import User

from ..bank_csv import DATE_FORMAT_NAMES, column_label, parse_bank_amount, parse_bank_date
from ..banking import one_line
from ..cards import CodeReader, Holder, known_codes
from ..ledger import MoneyError, audit, lock_drive, refuse_if_locked
from ..models import CardGift, CardImport
from ..money import MAX_CENTS, format_cents
from .columns import COLUMN_KEYS, CardImportError, _day, _file_error, clean_mapping

REFERENCE_MAX = CardGift._meta.get_field("reference").max_length
NAME_MAX = CardGift._meta.get_field("donor_name").max_length
EMAIL_MAX = CardGift._meta.get_field("donor_email").max_length
CODE_MAX = CardGift._meta.get_field("code").max_length

# A status that says the money arrived; any other status (refunded, failed, pending ...) is
# passed over, and said so.
PAID = {"paid", "succeeded", "success", "successful", "completed", "complete", "captured",
        "settled", "approved", "cleared", "processed", "charged"}
# Words in a "type" column that say a row is not a gift.
NOT_A_GIFT = ("withdrawal", "transfer", "payout", "conversion", "refund", "reversal", "hold",
              "chargeback", "dispute", "fee", "adjustment", "invoice sent")
DOLLARS = {"USD", "US$", "$", "US DOLLAR", "US DOLLARS"}
LANGUAGE_NAMES = {
    "en": ("en", "eng", "english", "inglés", "ingles"),
    "es": ("es", "spa", "spanish", "español", "espanol", "castellano"),
}
DATE_PART = re.compile(r"^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}")
TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([AP]\.?M\.?)?\s*"
                  r"(Z|UTC|GMT|[+-]\d{2}:?\d{2})?", re.IGNORECASE)


# --- Parsing the rows ------------------------------------------------------------------------


def parse_gift_time(date_text: str, time_text: str, *, date_format: str, times: str
                    ) -> datetime.datetime:
    """The moment of a gift: the date (with its time after it, or in its own column), in
    UTC or the coalition's time zone (an offset written in the file wins). Midnight when no
    time is written. Raises ValueError."""
    day = parse_bank_date(date_text, date_format)
    tail = DATE_PART.sub("", date_text.strip(), count=1)
    found = TIME.search(time_text or "") or TIME.search(tail)
    hour = minute = second = 0
    zone = None
    if found:
        hour, minute, second = int(found[1]), int(found[2]), int(found[3] or 0)
        meridiem = (found[4] or "").upper().replace(".", "")
        if meridiem:
            if not 1 <= hour <= 12:
                raise ValueError(date_text)
            hour = hour % 12 + (12 if meridiem == "PM" else 0)
        offset = (found[5] or "").upper()
        if offset in ("Z", "UTC", "GMT"):
            zone = datetime.UTC
        elif offset:
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            zone = datetime.timezone(sign * datetime.timedelta(hours=int(digits[:2]),
                                                               minutes=int(digits[2:])))
    naive = datetime.datetime.combine(day, datetime.time(hour, minute, second))
    if zone is not None:
        return naive.replace(tzinfo=zone)
    if times == "utc":
        return naive.replace(tzinfo=datetime.UTC)
    return timezone.make_aware(naive)


def language_of(text: str) -> str:
    """"es", "es-MX", "Spanish", "Español" → "es": a language Rally writes in, or ""."""
    value = str(text or "").strip().casefold().replace("_", "-")
    if not value:
        return ""
    ours = {code for code, _label in settings.LANGUAGES}
    base = value.split("-")[0]
    if base in ours:
        return base
    for code, names in LANGUAGE_NAMES.items():
        if code in ours and value in names:
            return code
    return ""


@dataclass
class ParsedGift:
    row: int
    reference: str
    amount_cents: int
    fee_cents: int
    given_at: datetime.datetime
    donor_name: str
    donor_email: str
    donor_language: str
    code: str
    holder: Holder | None

    @property
    def team_id(self) -> int | None:
        return self.holder.pk if self.holder and self.holder.kind == "team" else None

    @property
    def site_id(self) -> int | None:
        return self.holder.pk if self.holder and self.holder.kind == "site" else None


@dataclass
class CardPreview:
    processor: str = ""
    gifts: list[ParsedGift] = field(default_factory=list)
    errors: list[tuple[int | None, str | None, str]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    known: list[tuple[ParsedGift, CardGift]] = field(default_factory=list)

    def new_gifts(self) -> list[ParsedGift]:
        known_rows = {gift.row for gift, _existing in self.known}
        return [gift for gift in self.gifts if gift.row not in known_rows]

    @property
    def total_cents(self) -> int:
        return sum(gift.amount_cents for gift in self.new_gifts())

    @property
    def fees_cents(self) -> int:
        return sum(gift.fee_cents for gift in self.new_gifts())

    def unattributed(self) -> list[ParsedGift]:
        return [gift for gift in self.new_gifts() if gift.holder is None]

    def by_holder(self) -> list[dict]:
        """The new gifts per team or site, largest first, then the unattributed."""
        groups: dict[Holder | None, dict] = {}
        for gift in self.new_gifts():
            group = groups.setdefault(gift.holder, {"holder": gift.holder, "gifts": 0,
                                                    "cents": 0})
            group["gifts"] += 1
            group["cents"] += gift.amount_cents
        return sorted(groups.values(), key=lambda g: (g["holder"] is None, -g["cents"],
                                                      g["holder"].name if g["holder"] else ""))


def _cell_at(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index]


def _amount(cells: list[str], index: int | None, decimal: str) -> int | None:
    text = _cell_at(cells, index)
    if not text:
        return None
    return parse_bank_amount(text, decimal)  # AmountError, or ValueError for a long number


def _passed_over(cells: list[str], mapping: dict) -> str | None:
    """Why a row is not a gift (its status or its type says so), or None."""
    status = one_line(_cell_at(cells, mapping["status"]))
    if status and status.casefold() not in PAID:
        return _("status “%(status)s”") % {"status": status[:40]}
    kind = one_line(_cell_at(cells, mapping["type"]))
    if kind and any(word in kind.casefold() for word in NOT_A_GIFT):
        return _("type “%(type)s”") % {"type": kind[:40]}
    return None


class _RowRefused(Exception):
    def __init__(self, key: str | None, message: str):
        super().__init__(message)
        self.key = key
        self.message = message


def card_import_preview(*, event: Event, headers: list[str], rows: list[list], mapping: dict
                        ) -> CardPreview:
    """Parse every row with ``mapping`` (checked by ``clean_mapping``: MoneyError at its
    field). Rows whose status or type says they are not a gift, rows of money out, refunded
    in full or of zero, and rows dated outside the chosen days are passed over, with why; a
    bad reference, amount, fee, currency or date is a row error; the same reference twice in
    the file is an error at the second; gifts already in Rally are listed in ``known``."""
    mapping = clean_mapping(mapping, headers)
    preview = CardPreview(processor=mapping["processor_name"])
    reader = CodeReader(known_codes())
    since, until = _day(mapping["since"]), _day(mapping["until"])
    latest = timezone.now() + datetime.timedelta(days=1)
    failures: dict[str, list[int]] = {"amount": [], "date": []}
    with_amount = 0
    seen: dict[str, int] = {}
    for number, cells in rows:
        why = _passed_over(cells, mapping)
        if why:
            preview.skipped.append((number, why))
            continue
        reference = one_line(_cell_at(cells, mapping["reference"]))
        has_amount = bool(_cell_at(cells, mapping["amount"]))
        if not has_amount and not reference:
            preview.skipped.append((number, _("no amount")))
            continue
        with_amount += has_amount
        try:
            gift = _parse_row(number, cells, mapping, reference=reference, reader=reader,
                              latest=latest, failures=failures)
        except _RowRefused as refused:
            column = (column_label(headers, mapping[refused.key])
                      if refused.key and mapping.get(refused.key) is not None else None)
            preview.errors.append((number, column, refused.message))
            continue
        if isinstance(gift, str):  # passed over, with why
            preview.skipped.append((number, gift))
            continue
        local_day = timezone.localdate(gift.given_at)
        if not since <= local_day <= until:
            preview.skipped.append((number, _("dated before %(since)s or after %(until)s")
                                    % {"since": format_date(since, "SHORT_DATE_FORMAT"),
                                       "until": format_date(until, "SHORT_DATE_FORMAT")}))
            continue
        if gift.reference in seen:
            preview.errors.append((number, column_label(headers, mapping["reference"]), _(
                "The reference %(reference)s is also on row %(row)s. Each payment is "
                "imported once: remove the repeated row from the file.")
                % {"reference": gift.reference, "row": seen[gift.reference]}))
            continue
        seen[gift.reference] = number
        email_text = one_line(_cell_at(cells, mapping["email"]))
        if email_text and not gift.donor_email:
            preview.notes.append((number, _("“%(email)s” is not an email address: the gift "
                                            "is imported without it.")
                                  % {"email": email_text[:60]}))
        preview.gifts.append(gift)
    _refuse_wrong_columns(headers, mapping, failures, with_amount)
    _find_known(preview)
    return preview


def _parse_row(number: int, cells: list[str], mapping: dict, *, reference: str,
               reader: CodeReader, latest: datetime.datetime, failures: dict
               ) -> ParsedGift | str:
    decimal = mapping["decimal"]
    try:
        amount = _amount(cells, mapping["amount"], decimal)
    except ValueError:
        failures["amount"].append(number)
        raise _RowRefused("amount", _("“%(value)s” is not an amount of money.")
                          % {"value": _cell_at(cells, mapping["amount"])[:40]}) from None
    if amount is None:
        raise _RowRefused("amount", _("The amount is missing."))
    if amount < 0:
        return _("money out (a refund, a payout or a fee)")
    if amount == 0:
        return _("amount of zero")
    refunded = 0
    if mapping["refunded"] is not None:
        try:
            refunded = abs(_amount(cells, mapping["refunded"], decimal) or 0)
        except ValueError:
            raise _RowRefused("refunded", _("“%(value)s” is not an amount of money.")
                              % {"value": _cell_at(cells, mapping["refunded"])[:40]}) from None
    net = amount - refunded
    if net <= 0:
        return _("refunded")
    if net > MAX_CENTS:
        raise _RowRefused("amount", _("%(amount)s is too large to be right.")
                          % {"amount": format_cents(net)})
    fee = 0
    if mapping["fee"] is not None:
        try:
            fee = abs(_amount(cells, mapping["fee"], decimal) or 0)
        except ValueError:
            raise _RowRefused("fee", _("“%(value)s” is not an amount of money.")
                              % {"value": _cell_at(cells, mapping["fee"])[:40]}) from None
        if fee > amount:
            raise _RowRefused("fee", _("The fee (%(fee)s) is more than the gift (%(amount)s).")
                              % {"fee": format_cents(fee), "amount": format_cents(amount)})
    currency = one_line(_cell_at(cells, mapping["currency"])).upper()
    if currency and currency not in DOLLARS:
        raise _RowRefused("currency", _(
            "This gift is in %(currency)s. Rally counts US dollars: import the processor's "
            "export in USD (its converted amounts), or leave this row out and record the "
            "gift as an adjustment entry.") % {"currency": currency[:10]})
    if not reference:
        raise _RowRefused("reference", _("The processor's reference is missing: Rally needs "
                                         "it to import each gift once."))
    if len(reference) > REFERENCE_MAX:
        raise _RowRefused("reference", _("This reference is longer than %(max)s characters: "
                                         "is it the right column?") % {"max": REFERENCE_MAX})
    date_text = _cell_at(cells, mapping["date"])
    format_name = DATE_FORMAT_NAMES[mapping["date_format"]]
    try:
        given_at = parse_gift_time(date_text, _cell_at(cells, mapping["time"]),
                                   date_format=mapping["date_format"], times=mapping["times"])
    except (ValueError, OverflowError):
        if date_text:
            failures["date"].append(number)
            raise _RowRefused("date", _("“%(value)s” is not a date written %(format)s.")
                              % {"value": date_text[:40], "format": format_name}) from None
        raise _RowRefused("date", _("The date is missing.")) from None
    if given_at > latest:
        raise _RowRefused("date", _("%(day)s is in the future. Is the date format right "
                                    "(%(format)s)?")
                          % {"day": format_date(given_at.date(), "DATE_FORMAT"),
                             "format": format_name})
    if given_at.year < 2000:
        raise _RowRefused("date", _("%(day)s is too long ago to be right.")
                          % {"day": format_date(given_at.date(), "DATE_FORMAT")})
    name = " ".join(part for part in (one_line(_cell_at(cells, mapping["donor_name"])),
                                      one_line(_cell_at(cells, mapping["donor_last_name"])))
                    if part)[:NAME_MAX]
    email = one_line(_cell_at(cells, mapping["email"]))
    try:
        validate_email(email)
    except ValidationError:
        email = ""
    read = reader.read(_cell_at(cells, mapping["code"]))
    return ParsedGift(
        row=number, reference=reference, amount_cents=net, fee_cents=fee, given_at=given_at,
        donor_name=name, donor_email=email[:EMAIL_MAX].lower() if email else "",
        donor_language=language_of(_cell_at(cells, mapping["language"])),
        code=read.code[:CODE_MAX], holder=read.holder)


def _refuse_wrong_columns(headers, mapping, failures: dict, with_amount: int) -> None:
    """A column most of whose rows fail is the wrong column (or the wrong format): say so at
    that column, not once per row."""
    def wrong(rows: list[int]) -> bool:
        return len(rows) >= 2 and len(rows) * 2 > with_amount

    def shown(rows: list[int]) -> str:
        return ", ".join(str(n) for n in rows[:5]) + ("…" if len(rows) > 5 else "")

    if wrong(failures["amount"]):
        raise MoneyError(_(
            "Column %(column)s does not hold amounts of money (rows %(rows)s). Choose the "
            "column of amounts, or the way the file writes them.")
            % {"column": column_label(headers, mapping["amount"]),
               "rows": shown(failures["amount"])}, "amount")
    if wrong(failures["date"]):
        raise MoneyError(_(
            "Column %(column)s does not hold dates written %(format)s (rows %(rows)s). Choose "
            "the date column, or the way the file writes dates.")
            % {"column": column_label(headers, mapping["date"]),
               "format": DATE_FORMAT_NAMES[mapping["date_format"]],
               "rows": shown(failures["date"])}, "date")


def _find_known(preview: CardPreview) -> None:
    references = [gift.reference for gift in preview.gifts]
    stored: dict[str, CardGift] = {}
    for start in range(0, len(references), 500):
        for gift in (CardGift.objects.filter(processor=preview.processor,
                                             reference__in=references[start:start + 500])
                     .select_related("event", "card_import", "entered_by")):
            stored[gift.reference] = gift
    preview.known = [(gift, stored[gift.reference]) for gift in preview.gifts
                     if gift.reference in stored]


def already_imported_message(existing: CardGift) -> str:
    origin = (_("file %(file)s") % {"file": existing.card_import.file_name}
              if existing.card_import_id else _("entered by hand"))
    return _("This gift is already in Rally: %(processor)s %(reference)s, imported on %(day)s "
             "for %(drive)s (%(origin)s, by %(person)s). Each payment is imported once.") % {
        "processor": existing.processor, "reference": existing.reference,
        "day": format_date(timezone.localdate(existing.at), "DATE_FORMAT"),
        "drive": existing.event.localized.title, "origin": origin,
        "person": existing.entered_by.name}


def card_import_commit(*, event: Event, file_name: str, headers: list[str], rows: list[list],
                       mapping: dict, by: User, skip_known: bool = False) -> CardImport:
    """Import every gift of the file for ``event`` in one transaction, or none: the drive
    is locked first (refused when reconciled), then any refused row raises CardImportError
    with every row's message; gifts already in Rally too, unless ``skip_known`` (the
    treasurer saw them listed and chose to pass over them). A mapping naming the wrong
    columns raises MoneyError at its field. Audit ``card_import.imported``."""
    with transaction.atomic():
        lock_drive(event)
        refuse_if_locked(event)
        preview = card_import_preview(event=event, headers=headers, rows=rows, mapping=mapping)
        errors = list(preview.errors)
        if not skip_known:
            errors += [(gift.row, None, already_imported_message(existing))
                       for gift, existing in preview.known]
        if errors:
            raise CardImportError(errors)
        gifts = preview.new_gifts()
        if not gifts:
            raise _file_error(_("There is no new gift to import in this file."))
        cleaned = clean_mapping(mapping, headers)
        name = one_line(file_name)[:200] or "payments.csv"
        card_import = CardImport.objects.create(
            event=event, processor=preview.processor, file_name=name, imported_by=by,
            rows=len(gifts),
            mapping={**cleaned, "columns": {key: headers[cleaned[key]] for key in COLUMN_KEYS
                                            if cleaned[key] is not None}})
        now = timezone.now()
        try:
            with transaction.atomic():
                CardGift.objects.bulk_create([
                    CardGift(event=event, card_import=card_import, processor=preview.processor,
                             reference=gift.reference, code=gift.code, team_id=gift.team_id,
                             site_id=gift.site_id, amount_cents=gift.amount_cents,
                             fee_cents=gift.fee_cents, donor_name=gift.donor_name,
                             donor_email=gift.donor_email, donor_language=gift.donor_language,
                             given_at=gift.given_at, entered_by=by, at=now)
                    for gift in gifts])
        except IntegrityError:
            raise _file_error(_("Another treasurer imported some of these gifts a moment ago, "
                                "so nothing was imported. Send the file again to see "
                                "which.")) from None
        unattributed = [gift for gift in gifts if gift.holder is None]
        audit(action="card_import.imported", event=event, by=by,
              subject=_("Card gifts %(file)s") % {"file": name},
              after={"card_import": card_import.pk, "file": name,
                     "processor": preview.processor, "gifts": len(gifts),
                     "total_cents": sum(gift.amount_cents for gift in gifts),
                     "fees_cents": sum(gift.fee_cents for gift in gifts),
                     "unattributed": [{"row": gift.row, "reference": gift.reference,
                                       "code": gift.code} for gift in unattributed],
                     "passed_over_known": [gift.row for gift, _e in preview.known]})
    return card_import
