"""Forms of the custody pages. They parse what was typed; the custody services
(donations/custody.py) decide, and their CustodyError is shown at the field.

Every action form carries a ``request_token``: a UUID made when the form is rendered and
stored on the custody row, so the same step sent twice from a street corner with a weak
signal is recorded once (the service returns the first row)."""

import re
import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from config.input_bounds import DATABASE_INTEGER_MAX, BoundedFormMixin
from events.dates import time_range
from events.models import Shift, Site
from volunteers.models import Signup

from .models import Bucket, CustodyEvent, Incident

# The most buckets one "1-60" line may create (a coalition's whole stock is a few hundred).
MAX_BUCKETS_AT_ONCE = 500
NUMBERS = re.compile(r"^\s*(\d{1,10})\s*(?:[-\u2013]\s*(\d{1,10})\s*)?$")
CODE_WIDGET = forms.TextInput(attrs={
    "autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
    "inputmode": "text", "data-scan-code": "", "class": "code-input",
    "data-scan-label": _("Scan their QR code"), "data-scan-cancel": _("Stop scanning"),
})


class ActionForm(BoundedFormMixin, forms.Form):
    """A custody step: a one-time ``request_token``, a new one each time the form is shown
    empty."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Added after the bounding mixin's pass: a UUID has no length to bound.
        self.fields["request_token"] = forms.UUIDField(required=False,
                                                       widget=forms.HiddenInput)
        if not self.is_bound:
            self.initial["request_token"] = uuid.uuid4()


class OverrideMixin:
    """An organizer may skip the receiver's code with a written reason; the reason box is
    shown after a wrong code (``show_override``), or when a reason was already typed."""

    def add_override(self, *, allowed: bool) -> None:
        self.override_allowed = allowed
        if allowed:
            self.fields["override_reason"] = forms.CharField(
                label=_("Hand it over without the code, because…"), required=False,
                max_length=300,
                help_text=_("Only if the person cannot show their code (phone dead, no "
                            "signal). The reason is kept in the bucket's history."),
            )

    @property
    def show_override(self) -> bool:
        if not getattr(self, "override_allowed", False):
            return False
        return bool(self.is_bound and (self.data.get(self.add_prefix("override_reason"))
                                       or self.errors.get("receiver_code")))


def _person(signup: Signup) -> str:
    return signup.volunteer.name


def _shift_group(shift: Shift) -> str:
    site = shift.site.name if shift.site_id else shift.place.name
    return f"{site} · {time_range(shift.starts_at, shift.ends_at)} · {shift.label}"


def grouped_signups(signups) -> list:
    """Choices for a select: one group per shift (site · window), its volunteers inside."""
    groups: dict[int, tuple[str, list]] = {}
    for signup in signups:
        if signup.shift_id not in groups:
            groups[signup.shift_id] = (_shift_group(signup.shift), [])
        groups[signup.shift_id][1].append((signup.pk, _person(signup)))
    return [("", "—")] + [(label, options) for label, options in groups.values()]


class IssueForm(OverrideMixin, ActionForm):
    """Give a bucket to a volunteer on a street shift, with the seal applied."""

    signup = forms.ModelChoiceField(
        label=_("Volunteer and shift"), queryset=Signup.objects.none(),
        help_text=_("People confirmed on a street shift, by site and time."),
    )
    seal_number = forms.CharField(label=_("Seal number"), max_length=40)
    receiver_code = forms.CharField(
        label=_("Their personal code"), max_length=20, required=False, widget=CODE_WIDGET,
        help_text=_("Six letters and digits on the volunteer's “My shifts” page; type it or "
                    "scan their QR code."),
    )
    field_order = ["signup", "seal_number", "receiver_code", "override_reason"]

    def __init__(self, *args, signups, override_allowed: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["signup"].queryset = signups
        self.fields["signup"].choices = grouped_signups(signups)
        self.add_override(allowed=override_allowed)
        self.order_fields(self.field_order)


class HandOverForm(OverrideMixin, ActionForm):
    """An organizer hands a bucket to a volunteer on a shift at the same site."""

    signup = forms.ModelChoiceField(
        label=_("Next volunteer"), queryset=Signup.objects.none(),
        help_text=_("People confirmed on a shift at the same site."),
    )
    receiver_code = forms.CharField(
        label=_("Their personal code"), max_length=20, required=False, widget=CODE_WIDGET,
    )
    field_order = ["signup", "receiver_code", "override_reason"]

    def __init__(self, *args, signups, override_allowed: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["signup"].queryset = signups
        self.fields["signup"].choices = grouped_signups(signups)
        self.add_override(allowed=override_allowed)
        self.order_fields(self.field_order)


class HolderHandOverForm(ActionForm):
    """The volunteer holding a bucket hands it on: the receiver's code names the receiver."""

    receiver_code = forms.CharField(
        label=_("Code of the person taking the bucket"), max_length=20, widget=CODE_WIDGET,
        help_text=_("Ask for the six letters and digits on their “My shifts” page, or scan "
                    "their QR code."),
    )


YES_NO = [("yes", _("Yes, intact")), ("no", _("No, broken or missing"))]


class ReturnForm(ActionForm):
    seal_number = forms.CharField(
        label=_("Seal number seen"), max_length=40,
        help_text=_("Read it off the bucket before it is opened."),
    )
    seal_intact = forms.TypedChoiceField(
        label=_("Is the seal intact?"), choices=YES_NO, widget=forms.RadioSelect,
        coerce=lambda value: value == "yes",
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(
        attrs={"rows": 2}))


MISSING_KINDS = [(CustodyEvent.Kind.LOST, _("Lost")), (CustodyEvent.Kind.STOLEN, _("Stolen"))]


class MissingForm(ActionForm):
    kind = forms.ChoiceField(label=_("What happened"), choices=MISSING_KINDS,
                             widget=forms.RadioSelect)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(
        attrs={"rows": 3}), help_text=_("Where and when it was last seen, who saw what."))
    police_report_number = forms.CharField(label=_("Police report number"), max_length=60,
                                           required=False)


class FoundForm(ActionForm):
    note = forms.CharField(label=_("Where and how it was found"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class BucketCreateForm(BoundedFormMixin, forms.Form):
    numbers = forms.CharField(
        label=_("Number or range"), max_length=25,
        help_text=_("One number (12) or a range (1-60)."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Bucket.Kind.choices,
                             initial=Bucket.Kind.BUCKET)

    def clean_numbers(self) -> list[int]:
        match = NUMBERS.match(self.cleaned_data["numbers"])
        if not match:
            raise forms.ValidationError(_("Write one number (12) or a range (1-60)."))
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) else first
        if first < 1 or last > DATABASE_INTEGER_MAX:
            raise forms.ValidationError(_("Bucket numbers start at 1."))
        if last < first:
            raise forms.ValidationError(_("Write the range from low to high (1-60)."))
        if last - first + 1 > MAX_BUCKETS_AT_ONCE:
            raise forms.ValidationError(
                _("At most %(n)s buckets at once.") % {"n": MAX_BUCKETS_AT_ONCE})
        return list(range(first, last + 1))


class IncidentForm(BoundedFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("What happened"), choices=Incident.Kind.choices)
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(),
                                  required=False)
    shift = forms.ModelChoiceField(label=_("Shift"), queryset=Shift.objects.none(),
                                   required=False)
    bucket = forms.ModelChoiceField(label=_("Bucket"), queryset=Bucket.objects.none(),
                                    required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(
        attrs={"rows": 4}))
    police_report_number = forms.CharField(label=_("Police report number"), max_length=60,
                                           required=False)

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        shifts = Shift.objects.filter(event=event, site__isnull=False).select_related("site")
        self.fields["shift"].queryset = shifts
        self.fields["shift"].choices = [("", "—")] + [
            (shift.pk, _shift_group(shift)) for shift in shifts]
        self.fields["site"].queryset = Site.objects.filter(shifts__event=event).distinct()
        self.fields["bucket"].queryset = Bucket.objects.all()
