"""The journal page's one form: which drive's rows to show and download (or every drive's)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from config.input_bounds import BoundedFormMixin
from events.models import Event, EventKind


class JournalForm(BoundedFormMixin, forms.Form):
    event = forms.ModelChoiceField(label=_("Drive"), queryset=Event.objects.none(),
                                   required=False, empty_label=_("All drives"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = (Event.objects.filter(kind=EventKind.FUNDRAISER)
                                         .order_by("-starts_at", "-pk"))
