"""Organizer forms for permits and "needs a permit" rules. They parse input; events/permits.py
decides what is allowed and views show its EventError at the field."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from config.input_bounds import BoundedFormMixin

from .forms import DateInput, TimeInput
from .models import Permit, PermitRequirement, Site, SiteKind


class PermitForm(BoundedFormMixin, forms.ModelForm):
    """Files use a plain file input: the stored file has no URL to show (it is downloaded
    through the organizer-only view)."""

    class Meta:
        model = Permit
        fields = [
            "authority", "reference", "valid_from", "valid_until", "daily_start", "daily_end",
            "sites", "max_collectors", "conditions", "return_due", "document",
            "insurance_certificate",
        ]
        widgets = {
            "valid_from": DateInput(),
            "valid_until": DateInput(),
            "return_due": DateInput(),
            "daily_start": TimeInput(),
            "daily_end": TimeInput(),
            "sites": forms.CheckboxSelectMultiple(),
            "conditions": forms.Textarea(attrs={"rows": 3}),
            "document": forms.FileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
            "insurance_certificate": forms.FileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
        }
        help_texts = {
            "daily_start": _("Leave both daily hours empty when the permit allows all day."),
            "max_collectors": _("Counted across its sites at the same time. Empty: no cap."),
            "document": _("PDF, PNG or JPEG, at most 10 MB. Kept private: only organizers "
                          "can download it."),
            "insurance_certificate": _("PDF, PNG or JPEG, at most 10 MB."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = list(self.instance.sites.values_list("pk", flat=True)) if self.instance.pk \
            else []
        self.fields["sites"].queryset = Site.objects.filter(
            Q(is_active=True) | Q(pk__in=chosen)).order_by("name")
        self.fields["sites"].required = False
        for name in ("document", "insurance_certificate"):
            self.fields[name].required = False

    def _post_clean(self):
        """Every rule belongs to events/permits.py (it would otherwise be reported twice)."""

    def service_fields(self) -> dict:
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields}
        for name in ("document", "insurance_certificate"):
            if not self.files.get(name):
                fields.pop(name)
        return fields


class PermitRequirementForm(BoundedFormMixin, forms.ModelForm):
    class Meta:
        model = PermitRequirement
        fields = ["kind", "jurisdiction", "note"]
        help_texts = {
            "jurisdiction": _("A city or county, e.g. Fresno. Case does not matter."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Any site type")), *SiteKind.choices]
        self.fields["kind"].required = False

    def _post_clean(self):
        """The service checks the rule (and duplicates, ignoring case)."""
