"""What Rally accepts from a form, so that nothing a form saves can break a page later.

Every project form mixes in ``BoundedFormMixin``. When the form is built it walks its fields
once and gives each the checks its kind needs, so a new field is bounded without anyone
remembering to:

- whole numbers: the database column's range, the model field's own validators (a
  ``ModelForm`` whose model validation is skipped, as ``ServiceValidatedModelForm`` does,
  would otherwise lose them) and at most ``MAX_NUMBER_LENGTH`` characters before parsing;
- decimals and floats: the same length limit before parsing, then finite values only;
- dates and times: years ``FIRST_YEAR`` to ``LAST_YEAR`` (a form may widen one field, as the
  profile does for a date of birth);
- text: no NUL byte or other control character (PostgreSQL refuses NUL; iCalendar and e-mail
  headers have no place for the others); single-line fields (every text input that is not a
  ``Textarea``) refuse line breaks; a text field without its own limit takes at most
  ``MAX_TEXT_LENGTH`` characters.

Why 2000-2100: Python's ``datetime`` ends at 9999, so a local time late in 9999 is year
10000 in UTC, which PostgreSQL stores but psycopg cannot read back (every page listing the
row answered 500); a time in year 1 cannot be moved into a time zone or given a VTIMEZONE in
an ``.ics``. Rally plans events and shifts, which happen in this century; the database keeps
a wider backstop (1900-2200, constraints on events and shifts).
"""

import math
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core import validators
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

FIRST_YEAR = 2000
LAST_YEAR = 2100
# The widest range the database backstop allows (check constraints on event and shift times).
STORED_FIRST_YEAR = 1900
STORED_LAST_YEAR = 2200
# PostgreSQL ``integer`` (Django's IntegerField and PositiveIntegerField) and ``bigint``.
DATABASE_INTEGER_MAX = 2_147_483_647
DATABASE_BIGINT_MAX = 9_223_372_036_854_775_807
# Domain maxima, enforced by model validators (so the admin and every form hold them too).
MAX_CANCEL_CUTOFF_HOURS = 60 * 24  # 60 days
MAX_PLACES = 10_000  # volunteers needed / most volunteers on a shift, RSVP places
MAX_REMINDER_HOURS = 14 * 24  # the outbox plans reminders up to 14 days before a shift
MAX_REMINDERS = 10
# A number typed in a form: more characters than this is never a real value, and parsing a
# long one (1e300000) can hold a worker for seconds.
MAX_NUMBER_LENGTH = 20
MAX_TEXT_LENGTH = 10_000

LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# C0 controls and DEL, except tab, line feed and carriage return (checked as line breaks).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
DECIMAL_TEXT = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


def year_range_validator(first: int, last: int):
    def check_year(value) -> None:
        if value is not None and not first <= value.year <= last:
            raise ValidationError(
                _("Choose a date between the years %(first)s and %(last)s."),
                code="year_out_of_range", params={"first": first, "last": last},
            )
    return check_year


def check_text(value: str, *, single_line: bool) -> None:
    """Refuse what no text field of Rally can hold (raises ValidationError at the field)."""
    if "\x00" in value:
        raise ValidationError(_("Remove the NUL character (\\0) from this text."), code="null")
    if single_line and LINE_BREAKS.search(value):
        raise ValidationError(_("Keep this on one line (no line breaks)."), code="line_break")
    if CONTROL_CHARACTERS.search(value):
        raise ValidationError(_("Remove the control characters from this text."),
                              code="control_character")


def parse_decimal(text: str, *, largest: Decimal | int, smallest: Decimal | int = 0) -> Decimal:
    """A plain decimal number typed by a person ("2", "1.5", "0,5"), checked by its length and
    form before it is converted: no exponent, Infinity or NaN, nothing past ``largest``."""
    text = text.strip()
    if len(text) > MAX_NUMBER_LENGTH or not DECIMAL_TEXT.match(text):
        raise ValidationError(_("“%(value)s” is not a number."), code="invalid",
                              params={"value": text[:MAX_NUMBER_LENGTH]})
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation as error:  # pragma: no cover - the pattern already refused it
        raise ValidationError(_("“%(value)s” is not a number."), code="invalid",
                              params={"value": text}) from error
    if not smallest <= number <= largest:
        raise ValidationError(_("Give a number from %(smallest)s to %(largest)s."),
                              code="out_of_range",
                              params={"smallest": smallest, "largest": largest})
    return number


def _number_length_guard(field: forms.Field):
    parse = field.to_python
    # Decimals are written plainly ("36.8081"): exponents ("1e999999999") are refused before
    # any arithmetic, which would overflow Python's decimal context.
    plain_only = isinstance(field, forms.DecimalField | forms.FloatField)

    def to_python(value):
        if isinstance(value, str) and len(value.strip()) > MAX_NUMBER_LENGTH:
            raise ValidationError(_("That number is too long."), code="too_long")
        if plain_only and isinstance(value, str) and value.strip() and not DECIMAL_TEXT.match(
                value.strip()):
            raise ValidationError(_("Enter a number, like 36.8081."), code="invalid")
        number = parse(value)
        finite = number.is_finite() if isinstance(number, Decimal) else (
            not isinstance(number, float) or math.isfinite(number))
        if not finite:
            raise ValidationError(_("Enter a finite number."), code="not_finite")
        return number
    return to_python


def _text_guard(field: forms.Field, *, single_line: bool):
    clean = field.clean

    def guarded_clean(value):
        pieces = value if isinstance(value, list | tuple) else [value]
        for piece in pieces:
            if isinstance(piece, str):
                check_text(piece, single_line=single_line)
        return clean(value)
    return guarded_clean


def _choice_guard(field: forms.ModelChoiceField):
    """A chosen row's id beyond ``bigint`` is no row at all; SQLite (and psycopg for some
    columns) raise OverflowError for it instead of "not found"."""
    clean = field.clean

    def guarded_clean(value):
        pieces = value if isinstance(value, list | tuple) else [value]
        for piece in pieces:
            text = str(piece).strip() if piece is not None else ""
            digits = text.isascii() and text.lstrip("+-").isdigit()  # "²" is a digit to Python
            if digits and abs(int(text[:25])) > DATABASE_BIGINT_MAX:
                raise ValidationError(_("Select a valid choice."), code="invalid_choice")
        return clean(value)
    return guarded_clean


def _add_validator(field: forms.Field, validator) -> None:
    if validator not in field.validators:
        field.validators.append(validator)


def _tightest(field: forms.Field, kind, pick):
    limits = [v.limit_value for v in field.validators if isinstance(v, kind)
              and not callable(v.limit_value)]
    return pick(limits) if limits else None


class BoundedFormMixin:
    """Put before ``forms.Form``/``forms.ModelForm`` in a form's bases. ``year_bounds`` maps a
    field name to the (first, last) years it accepts instead of FIRST_YEAR-LAST_YEAR."""

    year_bounds: dict[str, tuple[int, int]] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model = getattr(getattr(self, "_meta", None), "model", None)
        for name, field in self.fields.items():
            model_field = _model_field(model, name)
            if model_field is not None and not model_field.is_relation:
                for validator in model_field.validators:
                    _add_validator(field, validator)
            self._bound_field(name, field)

    def _bound_field(self, name: str, field: forms.Field) -> None:
        if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
            field.to_python = _number_length_guard(field)
            if isinstance(field, forms.IntegerField):
                _add_validator(field, validators.MaxValueValidator(DATABASE_INTEGER_MAX))
                _add_validator(field, validators.MinValueValidator(-DATABASE_INTEGER_MAX - 1))
            largest = _tightest(field, validators.MaxValueValidator, min)
            smallest = _tightest(field, validators.MinValueValidator, max)
            if largest is not None:
                field.widget.attrs.setdefault("max", largest)
            if smallest is not None:
                field.widget.attrs.setdefault("min", smallest)
        elif isinstance(field, forms.DateField | forms.DateTimeField):
            first, last = self.year_bounds.get(name, (FIRST_YEAR, LAST_YEAR))
            field.validators.append(year_range_validator(first, last))
        unlimited = isinstance(field, forms.CharField) and field.max_length is None
        if unlimited and not isinstance(field.widget, forms.PasswordInput):
            field.max_length = MAX_TEXT_LENGTH
            field.validators.append(validators.MaxLengthValidator(MAX_TEXT_LENGTH))
            field.widget.attrs.setdefault("maxlength", str(MAX_TEXT_LENGTH))
        if isinstance(field, forms.ModelChoiceField):
            field.clean = _choice_guard(field)
        if not isinstance(field, forms.BooleanField | forms.FileField):
            single_line = not isinstance(field.widget, forms.Textarea)
            field.clean = _text_guard(field, single_line=single_line)


def _model_field(model, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:  # a form field the model does not have
        return None


def single_line(value: str) -> str:
    """Text made safe for one line of a calendar file or a header (older rows may hold line
    breaks from before the forms refused them)."""
    return " ".join(LINE_BREAKS.sub(" ", CONTROL_CHARACTERS.sub("", value or "")).split())
