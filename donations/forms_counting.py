"""Forms of the counting pages. They read what a treasurer typed (quantities as whole numbers,
amounts as dollars and cents, never float); the services in donations/counting.py decide, and
their MoneyError is shown at the field it names.

A count is three parts sent together: the denominations (``CountForm``, one field per
denomination, named by its code), the checks and the odd items (two formsets, prefixes
``checks`` and ``odd_items``, whose rows are named ``checks-0-payer`` ... as the services name
their errors). Blank rows are left out; "More rows" sends the page back with three more."""

import uuid

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from config.input_bounds import MAX_NUMBER_LENGTH, BoundedFormMixin
from events.forms import LocalDateTimeInput

from .counting import treasurers
from .models import CountCheck, CustodyEvent, OddItemProceeds
from .money import DENOMINATIONS, AmountError, parse_cents, parse_quantity

MAX_CHECKS = 60
MAX_ODD_ITEMS = 30
MORE_ROWS = 3
EXTRA_CHECKS = 3
EXTRA_ODD_ITEMS = 2


class QuantityField(forms.Field):
    """A whole number of notes, coins or rolls; blank is 0."""

    widget = forms.TextInput

    def to_python(self, value) -> int:
        text = str(value if value is not None else "").strip()
        if len(text) > MAX_NUMBER_LENGTH:
            raise forms.ValidationError(_("That quantity is too large to be right."))
        try:
            return parse_quantity(text)
        except AmountError as error:
            raise forms.ValidationError(str(error)) from None
        except ValueError:  # a digit Python cannot read as a number ("²")
            raise forms.ValidationError(_("Enter a whole number.")) from None


class AmountField(forms.Field):
    """Dollars and cents as typed ("12.50", "$1,234"), read as integer cents."""

    widget = forms.TextInput

    def __init__(self, *, allow_zero: bool = True, **kwargs):
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def to_python(self, value) -> int | None:
        text = str(value if value is not None else "").strip()
        if text in self.empty_values:
            return None
        if len(text) > MAX_NUMBER_LENGTH:
            raise forms.ValidationError(_("That amount is too large to be right."))
        try:
            return parse_cents(text, allow_zero=self.allow_zero)
        except AmountError as error:
            raise forms.ValidationError(str(error)) from None


def _amount_widget() -> forms.TextInput:
    return forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off",
                                  "class": "money-input"})


class SessionForm(BoundedFormMixin, forms.Form):
    """Open a count session."""

    place = forms.CharField(label=_("Place"), max_length=150,
                            help_text=_("Where the buckets are opened and counted."))
    started_at = forms.DateTimeField(label=_("Started"), widget=LocalDateTimeInput())
    present = forms.ModelMultipleChoiceField(
        label=_("People present"), queryset=treasurers(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Buckets are opened in front of at least two people."))
    note = forms.CharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].queryset = treasurers()


class SessionEditForm(SessionForm):
    """Change a session; ``version`` is the one shown, so a save over someone else's is a
    conflict."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    close = forms.BooleanField(label=_("Close this session: the evening's counting is over"),
                               required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["started_at"]
        self.order_fields(["place", "present", "note", "close", "version"])


class SheetOpenForm(BoundedFormMixin, forms.Form):
    """Tick the returned buckets to open for counting."""

    returned = forms.ModelMultipleChoiceField(
        label=_("Returned buckets"), queryset=CustodyEvent.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Tick the buckets to open for counting."),
            "invalid_choice": _("One of the ticked buckets was not returned on this drive. "
                                "Reload the page and tick again."),
            "invalid_pk_value": _("One of the ticked buckets was not returned on this drive. "
                                  "Reload the page and tick again."),
        })

    def __init__(self, *args, returns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["returned"].queryset = returns


class CountForm(BoundedFormMixin, forms.Form):
    """The denominations of one count (a field per denomination, named by its code), the
    reason for an exception to independence, and "the bucket was empty"."""

    override_reason = forms.CharField(
        label=_("Why you count this bucket anyway"), required=False, max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept with the count and shown in the reports."))
    empty = forms.BooleanField(
        label=_("The bucket was empty"), required=False,
        help_text=_("Tick only if there was nothing in it: no cash, no checks, no items."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        quantities = {}
        for denomination in DENOMINATIONS:
            quantities[denomination.code] = QuantityField(
                label=denomination.label, required=False,
                widget=forms.TextInput(attrs={
                    "inputmode": "numeric", "pattern": "[0-9]*", "autocomplete": "off",
                    "class": "qty", "enterkeyhint": "next",
                    "data-unit-cents": denomination.unit_cents}))
        for code, field in quantities.items():
            self.fields[code] = field
            self._bound_field(code, field)
        self.fields["request_token"] = forms.UUIDField(required=False, widget=forms.HiddenInput)
        if not self.is_bound:
            self.initial["request_token"] = uuid.uuid4()
        self.order_fields([d.code for d in DENOMINATIONS])

    def quantities(self) -> dict[str, int]:
        return {d.code: self.cleaned_data.get(d.code) or 0 for d in DENOMINATIONS}


class CheckForm(BoundedFormMixin, forms.Form):
    # A named envelope of cash (a donor's name on it) is a row here too: its cash is counted
    # in this row, not in the bills and coins; a gift from a named donor may need an
    # acknowledgment (donations/acknowledgments.py).
    kind = forms.ChoiceField(label=_("Kind"), choices=CountCheck.Kind.choices, required=False,
                             initial=CountCheck.Kind.CHECK)
    number = forms.CharField(label=_("Check number"), max_length=30, required=False,
                             widget=forms.TextInput(attrs={"autocomplete": "off"}))
    payer = forms.CharField(label=_("Payer"), max_length=200, required=False,
                            widget=forms.TextInput(attrs={"autocomplete": "off"}))
    amount = AmountField(label=_("Amount"), required=False, allow_zero=False,
                         widget=_amount_widget())
    donor_name = forms.CharField(label=_("Donor name"), max_length=200, required=False,
                                 widget=forms.TextInput(attrs={"autocomplete": "off"}))
    donor_address = forms.CharField(label=_("Donor address"), max_length=300, required=False,
                                    widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs["data-check-amount"] = ""

    def has_changed(self) -> bool:
        # The kind alone (its select always sends something) does not make a row filled.
        return any(name != "kind" for name in self.changed_data)

    def clean(self):
        data = super().clean()
        if not self.has_changed():
            return data
        if not data.get("payer") and "payer" not in self.errors:
            self.add_error("payer", _("Write who the check is from (the name printed on it)."))
        if data.get("amount") is None and "amount" not in self.errors:
            self.add_error("amount", _("Write the amount of the check, like 25.00."))
        return data

    def check(self) -> dict:
        data = self.cleaned_data
        return {"kind": data.get("kind") or CountCheck.Kind.CHECK,
                "number": data.get("number", ""), "payer": data.get("payer", ""),
                "amount_cents": data.get("amount"), "donor_name": data.get("donor_name", ""),
                "donor_address": data.get("donor_address", "")}


class OddItemForm(BoundedFormMixin, forms.Form):
    description = forms.CharField(
        label=_("Item"), max_length=300, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("A foreign coin, a gift card, a ring: no cash value until it is "
                    "exchanged or sold."))


CheckFormSet = formset_factory(CheckForm, extra=EXTRA_CHECKS, max_num=MAX_CHECKS,
                               validate_max=True, absolute_max=MAX_CHECKS)
OddItemFormSet = formset_factory(OddItemForm, extra=EXTRA_ODD_ITEMS, max_num=MAX_ODD_ITEMS,
                                 validate_max=True, absolute_max=MAX_ODD_ITEMS)


def with_more_rows(data, prefix: str, largest: int):
    """A copy of the posted ``data`` whose formset ``prefix`` has ``MORE_ROWS`` more empty
    rows (at most ``largest``); what was typed stays as it was."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        total = int(str(data.get(key, "0"))[:6])
    except ValueError:
        total = 0
    data[key] = str(max(0, min(total + MORE_ROWS, largest)))
    return data


class SwitchCounterForm(BoundedFormMixin, forms.Form):
    """The second counter signs in on the same tablet with their own email and password."""

    email = forms.EmailField(label=_("Email"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "off"}))


class ProceedsForm(BoundedFormMixin, forms.Form):
    """What an odd item brought."""

    how = forms.ChoiceField(label=_("What happened to it"),
                            choices=OddItemProceeds.How.choices, widget=forms.RadioSelect)
    amount = AmountField(label=_("Amount it brought"), required=False, widget=_amount_widget(),
                         help_text=_("0 for an item with no value."))
    note = forms.CharField(label=_("Note"), max_length=300, required=False,
                           help_text=_("Where it was exchanged or sold, or what became of it."))
