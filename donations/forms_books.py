"""Forms of the books pages: reconciling a drive (words for each variance), reopening it,
an adjustment entry, and the audit trail's filter. They parse what was typed; the services in
donations/books.py decide, and their MoneyError is shown at the field."""

from django import forms
from django.utils.translation import gettext_lazy as _

from config.input_bounds import BoundedFormMixin
from events import form_tokens
from events.dates import local_format
from events.models import Event

from .books import EXPLANATION_MAX, REASON_MAX, Variance, treasurers
from .money import AmountError, format_cents, parse_cents

TEXTAREA = forms.Textarea(attrs={"rows": 3})


class ReconcileForm(BoundedFormMixin, forms.Form):
    """A text box per variance (required where the variance needs words), a general note,
    and ``seen``: the fingerprint of the books the page showed."""

    note = forms.CharField(label=_("Note on the reconciliation (optional)"), required=False,
                           max_length=REASON_MAX, widget=TEXTAREA)
    seen = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, variances: list[Variance], **kwargs):
        super().__init__(*args, **kwargs)
        self.variances = variances
        for variance in variances:
            name = self.field_name(variance.key)
            self.fields[name] = forms.CharField(
                label=variance.subject, required=variance.needs_words,
                max_length=EXPLANATION_MAX, widget=TEXTAREA,
                error_messages={"required": _("Explain this variance in words.")})
            self._bound_field(name, self.fields[name])
        self.order_fields([self.field_name(v.key) for v in variances] + ["note", "seen"])

    @staticmethod
    def field_name(key: str) -> str:
        return f"explain_{key}"

    def variance_fields(self):
        """(variance, bound field) pairs, for the page."""
        return [(variance, self[self.field_name(variance.key)]) for variance in self.variances]

    def explanations(self) -> dict[str, str]:
        return {variance.key: self.cleaned_data.get(self.field_name(variance.key), "")
                for variance in self.variances}


class ReopenForm(BoundedFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why reopen these books?"), max_length=REASON_MAX, widget=TEXTAREA,
        help_text=_("Kept in the audit trail. The books can change again until a treasurer "
                    "reconciles the drive anew."))


class AdjustmentEntryForm(BoundedFormMixin, forms.Form):
    """A correction: the signed amount, what it corrects, why, and the approving treasurer,
    who confirms with their own password on this device."""

    amount = forms.CharField(
        label=_("Amount"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("In dollars and cents. A minus sign takes money away: -20.00."))
    corrects = forms.ChoiceField(label=_("What it corrects"))
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX, widget=TEXTAREA)
    approved_by = forms.ModelChoiceField(label=_("Approved by"), queryset=None,
                                         empty_label=_("Choose a treasurer"))
    approver_password = forms.CharField(
        label=_("Approver's password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("The approving treasurer types their own password here to approve."))

    def __init__(self, *args, targets: dict[str, list], user, **kwargs):
        super().__init__(*args, **kwargs)
        form_tokens.add_token_field(self)
        self.targets = {}
        groups = []
        agreed = []
        for row in targets["agreed"]:
            self.targets[f"agreed-{row.pk}"] = ("corrects_agreed", row)
            agreed.append((f"agreed-{row.pk}", _("%(bucket)s: agreed count of %(amount)s") % {
                "bucket": row.bucket, "amount": format_cents(row.total_cents)}))
        deposits = []
        for row in targets["deposit"]:
            self.targets[f"deposit-{row.pk}"] = ("corrects_deposit", row)
            deposits.append((f"deposit-{row.pk}", _("Slip %(slip)s of %(date)s: %(amount)s") % {
                "slip": row.slip_number, "date": local_format(row.deposited_on, "day_month_year"),
                "amount": format_cents(row.declared_cents)}))
        lines = []
        for row in targets["bank_line"]:
            self.targets[f"bank_line-{row.pk}"] = ("corrects_bank_line", row)
            lines.append((f"bank_line-{row.pk}", _("%(date)s %(reference)s: %(amount)s") % {
                "date": local_format(row.posted_on, "day_month_year"),
                "reference": row.reference or row.description,
                "amount": format_cents(row.amount_cents)}))
        for label, choices in ((_("Buckets' agreed counts"), agreed), (_("Deposits"), deposits),
                               (_("Bank lines"), lines)):
            if choices:
                groups.append((label, choices))
        self.fields["corrects"].choices = [("", _("Choose what this entry corrects")), *groups]
        self.fields["approved_by"].queryset = treasurers().exclude(pk=user.pk)

    def clean_amount(self) -> int:
        try:
            return parse_cents(self.cleaned_data["amount"], signed=True, allow_zero=False)
        except AmountError as error:
            raise forms.ValidationError(str(error)) from None

    def target(self) -> dict:
        """The service's ``corrects_…`` keyword for the chosen record."""
        name, row = self.targets[self.cleaned_data["corrects"]]
        return {name: row}


class AuditFilterForm(BoundedFormMixin, forms.Form):
    event = forms.ModelChoiceField(label=_("Drive"), queryset=Event.objects.none(),
                                   required=False, empty_label=_("All drives"))

    def __init__(self, *args, drives, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = drives
