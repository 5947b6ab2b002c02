"""Money as integer cents: the denominations a count is made of, reading an amount typed by a
person, and showing one. Nothing here (or anywhere in Rally's money code) uses float."""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Denomination:
    code: str
    label: str
    unit_cents: int  # what one unit is worth: a note, a coin, or a full roll
    kind: str  # "bill", "coin" or "roll"


def _roll(code, label, coins, face):
    return Denomination(code, label, coins * face, "roll")


# US notes and coins; a coin roll is counted as whole rolls of the standard size.
DENOMINATIONS: tuple[Denomination, ...] = (
    Denomination("bill_100", _("$100 bills"), 10000, "bill"),
    Denomination("bill_50", _("$50 bills"), 5000, "bill"),
    Denomination("bill_20", _("$20 bills"), 2000, "bill"),
    Denomination("bill_10", _("$10 bills"), 1000, "bill"),
    Denomination("bill_5", _("$5 bills"), 500, "bill"),
    Denomination("bill_2", _("$2 bills"), 200, "bill"),
    Denomination("bill_1", _("$1 bills"), 100, "bill"),
    Denomination("coin_100", _("$1 coins"), 100, "coin"),
    Denomination("coin_50", _("Half dollars"), 50, "coin"),
    Denomination("coin_25", _("Quarters"), 25, "coin"),
    Denomination("coin_10", _("Dimes"), 10, "coin"),
    Denomination("coin_5", _("Nickels"), 5, "coin"),
    Denomination("coin_1", _("Pennies"), 1, "coin"),
    _roll("roll_100", _("Rolls of $1 coins (25)"), 25, 100),
    _roll("roll_50", _("Rolls of half dollars (20)"), 20, 50),
    _roll("roll_25", _("Rolls of quarters (40)"), 40, 25),
    _roll("roll_10", _("Rolls of dimes (50)"), 50, 10),
    _roll("roll_5", _("Rolls of nickels (40)"), 40, 5),
    _roll("roll_1", _("Rolls of pennies (50)"), 50, 1),
)
BY_CODE: dict[str, Denomination] = {d.code: d for d in DENOMINATIONS}

# Quantities and amounts beyond these are typing mistakes, refused at the field.
MAX_QUANTITY = 100_000
MAX_CENTS = 10_000_000_00  # ten million dollars

_AMOUNT = re.compile(r"^(?P<sign>[-+])?\$?(?P<whole>\d{1,3}(?:,\d{3})+|\d+)?"
                     r"(?:\.(?P<frac>\d{0,2}))?$")


class AmountError(ValueError):
    """An amount a person typed that is not one: the message says why."""


def parse_cents(text, *, signed: bool = False, allow_zero: bool = True) -> int:
    """"12", "12.5", "$1,234.56", "-3.10" (when ``signed``) -> cents. Refuses more than two
    decimals, letters, exponents, and amounts past ``MAX_CENTS``."""
    raw = str(text or "").strip().replace(" ", "")
    match = _AMOUNT.match(raw)
    if not raw or not match or (match["whole"] is None and not match["frac"]):
        raise AmountError(_("Enter an amount in dollars and cents, like 12.50."))
    if match["sign"] == "-" and not signed:
        raise AmountError(_("The amount cannot be negative."))
    whole = int((match["whole"] or "0").replace(",", ""))
    frac = int((match["frac"] or "").ljust(2, "0"))
    cents = whole * 100 + frac
    if match["sign"] == "-":
        cents = -cents
    if abs(cents) > MAX_CENTS:
        raise AmountError(_("That amount is too large to be right."))
    if cents == 0 and not allow_zero:
        raise AmountError(_("The amount cannot be zero."))
    return cents


def format_cents(cents: int | None) -> str:
    """12345 -> "$123.45"; -5 -> "-$0.05"."""
    if cents is None:
        return ""
    cents = int(cents)
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{frac:02d}"


def plain_cents(cents: int) -> str:
    """12345 -> "123.45", for CSV files and form fields (no symbol, no separators)."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{frac:02d}"


def parse_quantity(text) -> int:
    raw = str(text if text is not None else "").strip()
    if raw == "":
        return 0
    if not (raw.isascii() and raw.isdigit()):
        if raw.startswith("-"):
            raise AmountError(_("A quantity cannot be negative."))
        raise AmountError(_("Enter a whole number."))
    value = int(raw)
    if value > MAX_QUANTITY:
        raise AmountError(_("That quantity is too large to be right."))
    return value


def lines_total(quantities: dict[str, int]) -> int:
    """Cents in a count's denomination lines: the sum of quantity x unit value."""
    return sum(BY_CODE[code].unit_cents * quantity for code, quantity in quantities.items())
