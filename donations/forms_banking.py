"""Forms of the deposit and bank pages. They read what was typed (amounts as integer cents,
through donations.money.parse_cents); the services in donations/banking.py and
donations/bank_csv.py decide, and their MoneyError is shown at the field it names."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.input_bounds import BoundedFormMixin

from .bank_csv import DATE_FORMATS, DECIMAL_MARKS, MAX_BYTES, column_label
from .banking import (
    BAG_MAX,
    DESCRIPTION_MAX,
    EXPLANATION_MAX,
    NOTE_MAX,
    REFERENCE_MAX,
    SLIP_MAX,
    treasurers,
)
from .models import BankAdjustment, BankLine
from .money import AmountError, format_cents, parse_cents, plain_cents

AMOUNT_LENGTH = 20
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# A signed bank CSV rides in a hidden field between the steps of an import.
PAYLOAD_MAX = 4 * MAX_BYTES


class CentsField(forms.Field):
    """An amount typed in dollars and cents ("12", "12.50", "$1,234.56"; "-3.10" when
    ``signed``), cleaned to integer cents. Never a float."""

    def __init__(self, *, signed: bool = False, allow_zero: bool = True, **kwargs):
        self.signed = signed
        self.allow_zero = allow_zero
        attrs = {"autocomplete": "off", "maxlength": str(AMOUNT_LENGTH), "class": "amount"}
        if not signed:  # a phone's decimal keypad has no minus sign
            attrs["inputmode"] = "decimal"
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return plain_cents(value)
        return value

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        if len(str(value)) > AMOUNT_LENGTH:
            raise ValidationError(_("That amount is too long."), code="too_long")
        try:
            return parse_cents(value, signed=self.signed, allow_zero=self.allow_zero)
        except AmountError as error:
            raise ValidationError(str(error), code="invalid") from None


class IdsField(forms.TypedMultipleChoiceField):
    """Ticked rows (agreed counts, proceeds). The choices are every row the page could show;
    whether each may still be deposited is the service's to say, by name."""

    def __init__(self, **kwargs):
        super().__init__(coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
                         **kwargs)


class DepositFieldsForm(BoundedFormMixin, forms.Form):
    """The slip: date, who took it, slip and bag numbers, the total written on it."""

    deposited_on = forms.DateField(label=_("Deposit date"), widget=DATE_WIDGET,
                                   help_text=_("The date on the slip."))
    depositor = forms.ModelChoiceField(label=_("Taken to the bank by"),
                                       queryset=treasurers())
    slip_number = forms.CharField(label=_("Deposit slip number"), max_length=SLIP_MAX)
    bag_number = forms.CharField(label=_("Bag number"), max_length=BAG_MAX, required=False,
                                 help_text=_("The number on the sealed deposit bag, if any."))
    declared_cents = CentsField(label=_("Total on the slip"),
                                help_text=_("As written on the slip, like 1234.50."))
    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE_MAX,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["depositor"].queryset = treasurers()
        self.fields["depositor"].label_from_instance = lambda user: user.name


class DepositForm(DepositFieldsForm):
    """A new deposit: the slip and the counted buckets (and proceeds) in it."""

    agreed = IdsField(label=_("Counted buckets in this deposit"))
    proceeds = IdsField(label=_("Odd items' proceeds in this deposit"))

    def __init__(self, *args, agreed_choices=(), proceeds_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreed"].choices = list(agreed_choices)
        self.fields["proceeds"].choices = list(proceeds_choices)
        if not self.is_bound:
            self.initial.setdefault("deposited_on", timezone.localdate())


class DepositEditForm(DepositFieldsForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, depositor_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if depositor_id is not None:  # kept even if no longer a treasurer
            self.fields["depositor"].queryset = treasurers(also=depositor_id)


class AddItemsForm(BoundedFormMixin, forms.Form):
    agreed = IdsField(label=_("Counted buckets to add"))
    proceeds = IdsField(label=_("Odd items' proceeds to add"))

    def __init__(self, *args, agreed_choices=(), proceeds_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreed"].choices = list(agreed_choices)
        self.fields["proceeds"].choices = list(proceeds_choices)


class ItemForm(BoundedFormMixin, forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class DeleteDepositForm(BoundedFormMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class MatchForm(BoundedFormMixin, forms.Form):
    """Choose the bank line; a second step confirms (a match is final)."""

    bank_line = forms.ModelChoiceField(label=_("Bank line"), queryset=BankLine.objects.none(),
                                       error_messages={"invalid_choice": _(
                                           "That bank line is not in Rally any more. Choose "
                                           "another.")})
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Any line is accepted here; the service says why one cannot be matched.
        self.fields["bank_line"].queryset = BankLine.objects.all()
        self.fields["bank_line"].choices = [("", "—"), *choices]


class AdjustmentForm(BoundedFormMixin, forms.Form):
    """A bank adjustment and its allocation to the deposit's buckets (one amount each)."""

    amount_cents = CentsField(
        label=_("Amount"), signed=True, allow_zero=False,
        help_text=_("What the bank's figure changes the count by: a $20 counterfeit note "
                    "removed is -20.00, $5 more found by the bank is 5.00."))
    reason = forms.ChoiceField(label=_("What the bank found"),
                               choices=[("", "—"), *BankAdjustment.Reason.choices])
    explanation = forms.CharField(
        label=_("Explanation"), max_length=EXPLANATION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the bank told you: which note or check, the bank's letter or "
                    "reference."))

    def __init__(self, *args, buckets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.buckets = list(buckets)
        for count in self.buckets:
            name = f"allocation_{count.pk}"
            self.fields[name] = CentsField(
                label=_("Bucket %(number)s (counted %(amount)s)") % {
                    "number": count.bucket.number, "amount": format_cents(count.total_cents)},
                signed=True, required=False)
            self._bound_field(name, self.fields[name])

    def allocation_fields(self):
        return [self[f"allocation_{count.pk}"] for count in self.buckets]

    def allocations(self) -> dict[int, int]:
        """The shares typed, by agreed count; with one bucket and no share typed, the whole
        amount goes to it."""
        shares = {count.pk: self.cleaned_data.get(f"allocation_{count.pk}")
                  for count in self.buckets}
        typed = {pk: cents for pk, cents in shares.items() if cents}
        if not typed and len(self.buckets) == 1 and self.cleaned_data.get("amount_cents"):
            return {self.buckets[0].pk: self.cleaned_data["amount_cents"]}
        return typed


class BankLineForm(BoundedFormMixin, forms.Form):
    posted_on = forms.DateField(label=_("Date"), widget=DATE_WIDGET,
                                help_text=_("The date the bank posted it."))
    amount_cents = CentsField(label=_("Amount"), signed=True, allow_zero=False,
                              help_text=_("Money in as on the statement, like 1232.50 "
                                          "(money out with a minus sign)."))
    description = forms.CharField(label=_("Description"), max_length=DESCRIPTION_MAX,
                                  required=False)
    reference = forms.CharField(label=_("Reference"), max_length=REFERENCE_MAX,
                                required=False,
                                help_text=_("The slip or reference number the bank shows."))


class LineForm(BoundedFormMixin, forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ImportUploadForm(BoundedFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Bank statement (CSV file)"),
        help_text=_("On the bank's website, export the account's transactions as CSV. Nothing "
                    "is saved until you have checked the lines and pressed Import."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv"}))


class ImportMappingForm(BoundedFormMixin, forms.Form):
    """Which column holds what. ``payload`` is the file as read, signed by Rally (so nothing
    is re-uploaded or kept on the server between the steps); ``previewed`` is the mapping the
    shown preview was made with."""

    payload = forms.CharField(widget=forms.HiddenInput, max_length=PAYLOAD_MAX)
    previewed = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)
    date = forms.TypedChoiceField(label=_("Date"), coerce=int, empty_value=None,
                                  required=False)
    amount = forms.TypedChoiceField(label=_("Amount"), coerce=int, empty_value=None,
                                    required=False,
                                    help_text=_("Or, if the bank splits money in and out in "
                                                "two columns, leave this empty and choose "
                                                "them below."))
    credit = forms.TypedChoiceField(label=_("Credit (money in)"), coerce=int, empty_value=None,
                                    required=False)
    debit = forms.TypedChoiceField(label=_("Debit (money out)"), coerce=int, empty_value=None,
                                   required=False)
    description = forms.TypedChoiceField(label=_("Description"), coerce=int, empty_value=None,
                                         required=False)
    reference = forms.TypedChoiceField(label=_("Reference"), coerce=int, empty_value=None,
                                       required=False)
    date_format = forms.ChoiceField(label=_("Dates are written"), choices=DATE_FORMATS.items())
    decimal = forms.ChoiceField(label=_("Amounts are written"), choices=DECIMAL_MARKS.items())
    money_in_only = forms.BooleanField(
        label=_("Import only money coming in (deposits)"), required=False,
        help_text=_("Lines of money out (fees, payments) are passed over."))

    COLUMNS = ("date", "amount", "credit", "debit", "description", "reference")

    def __init__(self, *args, headers=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— none —"))] + [
            (index, column_label(list(headers), index)) for index in range(len(headers))]
        for name in self.COLUMNS:
            self.fields[name].choices = choices

    def mapping(self) -> dict:
        data = self.cleaned_data
        return {**{name: data.get(name) for name in self.COLUMNS},
                "date_format": data.get("date_format"), "decimal": data.get("decimal"),
                "money_in_only": bool(data.get("money_in_only"))}
