"""The organizer's form for writing to the volunteers of a shift or an event. It parses the
input; ``services.organizer_messages`` decides what may be sent."""

from django import forms
from django.utils.translation import gettext_lazy as _

from config.input_bounds import BoundedFormMixin
from events.translated import SpanishFieldsForm

from .services.organizer_messages import BODY_MAX, SUBJECT_MAX, Audience
from .services.signups import shift_when


class OrganizerMessageForm(BoundedFormMixin, SpanishFieldsForm, forms.Form):
    shift = forms.TypedChoiceField(
        label=_("To the volunteers of"), coerce=int, empty_value=None, required=False,
    )
    include_waitlisted = forms.BooleanField(
        label=_("Also the volunteers on the waitlist"), required=False,
    )
    include_rsvps = forms.BooleanField(
        label=_("For the whole event: also the people who RSVP'd “going”"), required=False,
        initial=True,
    )
    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX)
    body = forms.CharField(
        label=_("Message"), max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Plain text. Rally adds a greeting, the event and its page, and the "
                    "coalition's contacts."),
    )
    subject_es = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX, required=False)
    body_es = forms.CharField(label=_("Message"), max_length=BODY_MAX, required=False,
                              widget=forms.Textarea(attrs={"rows": 8}))
    # The number of recipients the organizer saw in the preview; sending needs it to match.
    previewed_count = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, event, shifts, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.shifts = {shift.pk: shift for shift in shifts}
        self.fields["shift"].choices = [("", _("The whole event (every shift)"))] + [
            (shift.pk, f"{shift.label}, {shift_when(shift)}") for shift in shifts
        ]

    def audience(self) -> Audience:
        data = self.cleaned_data
        return Audience(
            event=self.event,
            shift=self.shifts.get(data["shift"]),
            include_waitlisted=data["include_waitlisted"],
            include_rsvps=data["include_rsvps"] and data["shift"] is None,
        )

    def texts(self) -> dict:
        return {name: self.cleaned_data[name] for name in
                ("subject", "body", "subject_es", "body_es")}
