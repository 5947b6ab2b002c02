"""Forms for collection sites. They parse input; events/sites.py decides what is allowed (one
place per rule) and the views show its SiteError at the field."""

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from config.input_bounds import BoundedFormMixin

from .models import Site
from .translated import SpanishFieldsForm

COORDINATE_PLACES = Decimal("0.000001")


class CoordinateField(forms.DecimalField):
    """A latitude or longitude as a map app copies it (often 7 or more decimals), rounded to
    the 6 places Rally keeps (about 10 cm): more digits are precision nobody needs, not an
    error. The range (±90, ±180) comes from the model field's validators."""

    def __init__(self, **kwargs):
        kwargs.pop("max_digits", None)
        kwargs.pop("decimal_places", None)
        super().__init__(**kwargs)

    def to_python(self, value):
        number = super().to_python(value)
        if number is None or not number.is_finite() or abs(number) > 1000:
            return number  # the range validators refuse it; rounding 1e400 would fail
        return number.quantize(COORDINATE_PLACES, rounding=ROUND_HALF_UP)


class ParseOnly:
    """For a ModelForm: parse only. The model's own validation is left to events/sites.py
    (it would report the same rule twice, away from its field)."""

    def _post_clean(self):
        pass


class SiteForm(BoundedFormMixin, SpanishFieldsForm, ParseOnly, forms.ModelForm):
    class Meta:
        model = Site
        fields = [
            "name", "address", "latitude", "longitude", "kind", "jurisdiction", "host_contact",
            "min_people", "max_people", "min_age", "safety_notes", "address_private",
            "safety_notes_es",
        ]
        field_classes = {"latitude": CoordinateField, "longitude": CoordinateField}
        widgets = {
            "safety_notes": forms.Textarea(attrs={"rows": 3}),
            "safety_notes_es": forms.Textarea(attrs={"rows": 3}),
            "latitude": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            "longitude": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        }
        labels = {"safety_notes_es": _("Safety notes")}
        help_texts = {
            "name": _("How organizers and volunteers call it, e.g. “Blackstone & Shaw, NE "
                      "corner”."),
            "latitude": _("Decimal degrees, e.g. 36.8078 (north is positive)."),
            "longitude": _("Decimal degrees, e.g. -119.7901 (west is negative)."),
            "max_people": _("The most people who can stand here safely."),
            "min_age": _("Empty: no age limit, except medians and roadways, which get 18."),
            "safety_notes": _("Shown to the people on its shifts, e.g. where to park, which "
                              "curb to stand on."),
        }


class SiteCsvRowForm(BoundedFormMixin, ParseOnly, forms.ModelForm):
    """One row of a site import, columns already renamed to field names. Blank minimum and
    maximum take their defaults (events/sites.py)."""

    class Meta:
        model = Site
        fields = ["name", "address", "latitude", "longitude", "kind", "jurisdiction",
                  "min_people", "max_people", "safety_notes"]
        field_classes = {"latitude": CoordinateField, "longitude": CoordinateField}
        widgets = {"safety_notes": forms.Textarea}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["min_people"].required = False
        self.fields["max_people"].required = False


class SiteImportForm(BoundedFormMixin, forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8 CSV with the columns name, address, lat, lon, type, jurisdiction, "
                    "min, max, notes."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
