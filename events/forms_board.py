"""Forms of the drive pages: the grid form (sites x time windows) and a cell's hold form."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.input_bounds import BoundedFormMixin
from volunteers.models import Team

from .grid import parse_windows
from .models import Event, ShiftRole, Site
from .services import EventError

DEFAULT_WINDOWS = "07:00-09:00\n09:00-11:00\n11:00-13:00\n13:00-15:00\n15:00-17:00"


class GridForm(BoundedFormMixin, forms.Form):
    sites = forms.ModelMultipleChoiceField(
        label=_("Sites"), queryset=Site.objects.none(), widget=forms.CheckboxSelectMultiple,
        help_text=_("Active sites. Each shift takes its site's minimum and maximum people "
                    "and minimum age."),
    )
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    windows = forms.CharField(
        label=_("Time windows"), widget=forms.Textarea(attrs={"rows": 6}),
        initial=DEFAULT_WINDOWS,
        help_text=_("One window a line, 24-hour time: 07:00-09:00."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=ShiftRole.choices,
                             initial=ShiftRole.COLLECTOR)

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        # A retired site is not offered; sent anyway, the service refuses it by name.
        self.fields["sites"].queryset = (
            Site.objects.all() if self.is_bound else Site.objects.filter(is_active=True)
        ).order_by("name")
        self.fields["day"].initial = timezone.localtime(event.starts_at).date()

    def clean_windows(self):
        try:
            return parse_windows(self.cleaned_data["windows"])
        except EventError as error:
            raise forms.ValidationError(error.message) from None

    def clean_day(self) -> datetime.date:
        return self.cleaned_data["day"]


class HoldForm(BoundedFormMixin, forms.Form):
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.order_by("name"),
                                  empty_label=_("Choose a team"))
