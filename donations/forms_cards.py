"""Forms of the giving codes and card gift pages. They read what was typed; the services in
donations/cards.py and donations/card_csv.py decide, and their MoneyError is shown at the
field it names."""

from django import forms
from django.utils.translation import gettext_lazy as _

from config.input_bounds import BoundedFormMixin

from .bank_csv import DATE_FORMATS, DECIMAL_MARKS, MAX_BYTES, column_label
from .card_csv import PRESETS, TIMES
from .cards import CODE_MAX

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# A signed processor CSV rides in a hidden field between the steps of an import.
PAYLOAD_MAX = 4 * MAX_BYTES
PROCESSOR_CHOICES = [(key, preset.label) for key, preset in PRESETS.items()]


class GivingCodeForm(BoundedFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Giving code"), required=False, max_length=CODE_MAX + 10,
        help_text=_("3 to 20 letters, digits and hyphens, like PCY-27. Leave empty to remove "
                    "the code."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false"}))


class CardUploadForm(BoundedFormMixin, forms.Form):
    processor = forms.ChoiceField(label=_("Processor"), choices=PROCESSOR_CHOICES,
                                  initial="stripe")
    file = forms.FileField(
        label=_("The processor's export (CSV file)"),
        help_text=_("In the processor's dashboard, export the payments (or transactions) of "
                    "the drive's days as CSV. Nothing is saved until you have checked the "
                    "gifts and pressed Import."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv"}))


class CardMappingForm(BoundedFormMixin, forms.Form):
    """Which column holds what. ``payload`` is the file as read, signed by Rally (nothing is
    re-uploaded or kept on the server between the steps); ``previewed`` is the mapping the
    shown preview was made with."""

    payload = forms.CharField(widget=forms.HiddenInput, max_length=PAYLOAD_MAX)
    previewed = forms.CharField(widget=forms.HiddenInput, required=False, max_length=4000)
    processor = forms.ChoiceField(choices=PROCESSOR_CHOICES, widget=forms.HiddenInput)
    processor_name = forms.CharField(
        label=_("Processor's name (for “Other”)"), required=False, max_length=40,
        help_text=_("Benevity, Donorbox … Rally imports each of its references once."))
    reference = forms.TypedChoiceField(
        label=_("Reference (transaction or payment ID)"), coerce=int, empty_value=None,
        required=False)
    amount = forms.TypedChoiceField(label=_("Amount"), coerce=int, empty_value=None,
                                    required=False)
    fee = forms.TypedChoiceField(label=_("Processor fee"), coerce=int, empty_value=None,
                                 required=False)
    refunded = forms.TypedChoiceField(label=_("Amount refunded"), coerce=int,
                                      empty_value=None, required=False,
                                      help_text=_("Taken off the gift; a gift refunded in "
                                                  "full is passed over."))
    date = forms.TypedChoiceField(label=_("Date"), coerce=int, empty_value=None,
                                  required=False)
    time = forms.TypedChoiceField(label=_("Time, if in its own column"), coerce=int,
                                  empty_value=None, required=False)
    code = forms.TypedChoiceField(
        label=_("Giving code"), coerce=int, empty_value=None, required=False,
        help_text=_("The column where the team's or site's code comes back: a custom field, "
                    "or a note or description with the code in it. Gifts without a code Rally "
                    "knows are imported as not attributed, and listed."))
    donor_name = forms.TypedChoiceField(label=_("Donor's name (or first name)"), coerce=int,
                                        empty_value=None, required=False)
    donor_last_name = forms.TypedChoiceField(label=_("Donor's last name, if apart"),
                                             coerce=int, empty_value=None, required=False)
    email = forms.TypedChoiceField(label=_("Donor's email"), coerce=int, empty_value=None,
                                   required=False)
    language = forms.TypedChoiceField(label=_("Donor's language"), coerce=int,
                                      empty_value=None, required=False)
    status = forms.TypedChoiceField(label=_("Status"), coerce=int, empty_value=None,
                                    required=False,
                                    help_text=_("Only paid (completed, succeeded) payments "
                                                "are imported."))
    type = forms.TypedChoiceField(label=_("Type"), coerce=int, empty_value=None,
                                  required=False,
                                  help_text=_("Withdrawals, transfers, refunds and fees are "
                                              "passed over."))
    currency = forms.TypedChoiceField(label=_("Currency"), coerce=int, empty_value=None,
                                      required=False)
    date_format = forms.ChoiceField(label=_("Dates are written"), choices=DATE_FORMATS.items())
    times = forms.ChoiceField(label=_("Times are"), choices=TIMES.items())
    decimal = forms.ChoiceField(label=_("Amounts are written"), choices=DECIMAL_MARKS.items())
    since = forms.DateField(label=_("Gifts from"), widget=DATE_WIDGET,
                            help_text=_("Rows dated before are passed over."))
    until = forms.DateField(label=_("Gifts until"), widget=DATE_WIDGET,
                            help_text=_("Rows dated after are passed over."))

    COLUMNS = ("reference", "amount", "fee", "refunded", "date", "time", "code", "donor_name",
               "donor_last_name", "email", "language", "status", "type", "currency")

    def __init__(self, *args, headers=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— none —"))] + [
            (index, column_label(list(headers), index)) for index in range(len(headers))]
        for name in self.COLUMNS:
            self.fields[name].choices = choices

    def mapping(self) -> dict:
        data = self.cleaned_data
        return {**{name: data.get(name) for name in self.COLUMNS},
                "processor": data.get("processor"),
                "processor_name": data.get("processor_name") or "",
                "date_format": data.get("date_format"), "decimal": data.get("decimal"),
                "times": data.get("times"),
                "since": data["since"].isoformat() if data.get("since") else None,
                "until": data["until"].isoformat() if data.get("until") else None}


class ProcessorForm(BoundedFormMixin, forms.Form):
    """Another processor for the file: its preset's columns, the file and days kept."""

    payload = forms.CharField(widget=forms.HiddenInput, max_length=PAYLOAD_MAX)
    since = forms.CharField(widget=forms.HiddenInput, required=False, max_length=10)
    until = forms.CharField(widget=forms.HiddenInput, required=False, max_length=10)
    processor = forms.ChoiceField(label=_("Processor"), choices=PROCESSOR_CHOICES)

    @classmethod
    def beside(cls, mapping_form: "CardMappingForm") -> "ProcessorForm":
        def value(name: str) -> str:
            found = mapping_form[name].value()
            return found.isoformat() if hasattr(found, "isoformat") else str(found or "")

        return cls(auto_id="processor_%s", initial={
            name: value(name) for name in ("payload", "since", "until", "processor")})
