"""Organizer forms. They parse input; the services in events/services.py decide what is
allowed (one place per rule), and views show a service's EventError at its field."""

import datetime
from decimal import Decimal

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.input_bounds import MAX_REMINDER_HOURS, MAX_REMINDERS, BoundedFormMixin, parse_decimal
from donations.forms_ack import CentsAmountField
from volunteers.models import Role, User

from . import recurrence
from .models import Event, EventKind, Shift, Site
from .translated import SpanishFieldsForm


class LocalDateTimeInput(forms.DateTimeInput):
    """A ``datetime-local`` input; its value is wall time in settings.TIME_ZONE."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


def zone_help() -> str:
    return _("Local time (%(zone)s).") % {"zone": settings.TIME_ZONE}


class ServiceValidatedModelForm(BoundedFormMixin, forms.ModelForm):
    """A ModelForm used only to build and parse fields: saving and every rule belong to a
    service, so the model's own validation is not run here (it would report the same rule
    twice, away from its field). The model fields' range validators still apply: the
    BoundedFormMixin copies them onto the form fields."""

    def _post_clean(self):
        pass


class EventForm(SpanishFieldsForm, ServiceValidatedModelForm):
    reminder_hours = forms.CharField(
        label=_("Reminders (hours before each shift)"),
        initial="24, 2",
        required=False,
        help_text=_("Separated by commas, e.g. 24, 2. Leave empty for no reminders."),
    )

    class Meta:
        model = Event
        fields = [
            "kind", "title", "description", "starts_at", "ends_at", "venue_name", "address",
            "latitude", "longitude", "visibility", "rsvp_capacity", "contact",
            "cancel_cutoff_hours", "what_to_bring", "title_es", "description_es",
            "what_to_bring_es",
            "show_leaderboard",  # fundraisers: the public total's team leaderboard (issue 12)
            "accounting_code",  # fundraisers: the accountant's code in the journal (issue 12)
            # fundraisers: an item handed out in exchange for a gift, and its value (issue 12)
            "premium_description", "premium_value_cents",
        ]
        # The item's value is typed in dollars and cents ("2.50") and stored in cents.
        field_classes = {"premium_value_cents": CentsAmountField}
        widgets = {
            "starts_at": LocalDateTimeInput(),
            "ends_at": LocalDateTimeInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
            "what_to_bring": forms.Textarea(attrs={"rows": 2}),
            "description_es": forms.Textarea(attrs={"rows": 4}),
            "what_to_bring_es": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"latitude": _("latitude"), "longitude": _("longitude"),
                  "title_es": _("Title"), "description_es": _("Description"),
                  "what_to_bring_es": _("What to bring")}
        help_texts = {
            "rsvp_capacity": _("For awareness events, trainings and meetings. Empty: no limit."),
            "latitude": _("Optional; puts the place on the map in calendar invites."),
            "show_leaderboard": _("Fundraisers only: the public page of what the drive raised "
                                  "lists each team's total."),
            "accounting_code": _("Fundraisers only: the code your accountant books this "
                                 "drive's money under; every row of the CSV journal carries "
                                 "it."),
            "premium_description": _("Fundraisers only: an item donors receive in exchange "
                                     "for a gift (a wristband, a newspaper). Leave empty when "
                                     "donors receive nothing."),
            "premium_value_cents": _("Fundraisers only: what that item is worth, in dollars. "
                                     "Acknowledgments state it and that it is not deductible."),
        }

    def __init__(self, *args, with_move_shifts: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_at"].help_text = zone_help()
        self.fields["ends_at"].help_text = zone_help()
        self.fields["contact"].queryset = User.objects.filter(
            Q(role_grants__role=Role.ORGANIZER) | Q(is_superuser=True)
        ).distinct().order_by("display_name", "email")
        if self.instance.pk:
            self.initial["reminder_hours"] = ", ".join(
                f"{Decimal(minutes) / 60:g}" for minutes in self.instance.reminder_offsets or []
            )
        if with_move_shifts:
            self.fields["move_shifts"] = forms.BooleanField(
                label=_("Move the shifts with the event when its start changes"),
                required=False,
            )

    def clean_reminder_hours(self) -> list[int]:
        pieces = [piece.strip() for piece in self.cleaned_data["reminder_hours"].split(",")]
        pieces = list(filter(None, pieces))
        if len(pieces) > MAX_REMINDERS:
            raise forms.ValidationError(_("At most %(count)s reminders."),
                                        params={"count": MAX_REMINDERS})
        minutes = []
        for piece in pieces:
            try:
                hours = parse_decimal(piece, largest=MAX_REMINDER_HOURS)
            except forms.ValidationError as error:
                if error.code == "out_of_range":
                    raise forms.ValidationError(
                        _("Reminders go out at most %(largest)s hours before a shift."),
                        params={"largest": MAX_REMINDER_HOURS},
                    ) from error
                raise forms.ValidationError(
                    _("“%(value)s” is not a number of hours."), params={"value": piece[:20]}
                ) from error
            minutes.append(int(hours * 60))
        return sorted(set(minutes), reverse=True)

    def service_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["reminder_offsets"] = self.cleaned_data["reminder_hours"]
        return data


class ShiftForm(SpanishFieldsForm, ServiceValidatedModelForm):
    class Meta:
        model = Shift
        fields = [
            "role", "site", "title", "starts_at", "ends_at", "needed", "capacity", "min_age",
            "required_training", "notes", "title_es", "notes_es",
        ]
        labels = {"title_es": _("Title"), "notes_es": _("Notes")}
        widgets = {
            "starts_at": LocalDateTimeInput(),
            "ends_at": LocalDateTimeInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "notes_es": forms.Textarea(attrs={"rows": 2}),
            "needed": forms.NumberInput(attrs={"min": 1}),
            "capacity": forms.NumberInput(attrs={"min": 1}),
        }
        help_texts = {
            "title": _("Optional, e.g. “Herndon & Blackstone”. The role is shown otherwise."),
            "capacity": _("Nobody is confirmed beyond this; others join the waitlist."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_at"].help_text = zone_help()
        current_site = self.instance.site_id if self.instance else None
        self.fields["site"].queryset = Site.objects.filter(
            Q(is_active=True) | Q(pk=current_site)).order_by("name")
        trainings = self.fields["required_training"]
        trainings.queryset = Event.objects.filter(kind=EventKind.TRAINING).exclude(
            status=Event.Status.CANCELLED
        ).order_by("-starts_at")
        trainings.label_from_instance = lambda event: (
            f"{event.title} ({timezone.localtime(event.starts_at):%Y-%m-%d})"
        )

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class DuplicateForm(BoundedFormMixin, forms.Form):
    starts_on = forms.DateField(
        label=_("New first day"),
        widget=DateInput(),
        help_text=_("The copy is a draft. Every shift moves by the same number of days and "
                    "keeps its time of day."),
    )


ORDINALS = [
    ("", _("every")), ("1", _("first")), ("2", _("second")), ("3", _("third")),
    ("4", _("fourth")), ("-1", _("last")),
]
WEEKDAY_CHOICES = list(zip(recurrence.WEEKDAYS, [
    _("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"),
    _("Sunday")], strict=True))
MONTH_CHOICES = [(str(number), name) for number, name in enumerate([
    _("January"), _("February"), _("March"), _("April"), _("May"), _("June"), _("July"),
    _("August"), _("September"), _("October"), _("November"), _("December")], start=1)]
FREQUENCY_CHOICES = [
    ("WEEKLY", _("weekly")), ("MONTHLY", _("monthly")), ("YEARLY", _("yearly")),
    ("DAILY", _("daily")),
]


class SeriesForm(SpanishFieldsForm, BoundedFormMixin, forms.Form):
    """A recurring event: the rule's builder (or a raw RRULE) and the event's details."""

    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices,
                             initial=EventKind.MEETING)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    title_es = forms.CharField(label=_("Title"), max_length=200, required=False)
    description_es = forms.CharField(label=_("Description"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    venue_name = forms.CharField(label=_("Venue"), max_length=200, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    visibility = forms.ChoiceField(label=_("Who can see it"), choices=Event.Visibility.choices)
    first_date = forms.DateField(label=_("Starting from"), widget=DateInput(),
                                 help_text=_("The first event is the first date from here that "
                                             "matches the rule."))
    start_time = forms.TimeField(label=_("Starts at"), widget=TimeInput())
    end_time = forms.TimeField(label=_("Ends at"), widget=TimeInput())
    frequency = forms.ChoiceField(label=_("Repeats"), choices=FREQUENCY_CHOICES,
                                  initial="MONTHLY")
    interval = forms.IntegerField(label=_("Every how many (weeks, months…)"), initial=1,
                                  min_value=1, max_value=12, required=False)
    by_month = forms.MultipleChoiceField(
        label=_("Only in these months"), choices=MONTH_CHOICES, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For a quarterly meeting tick January, April, July and October."),
    )
    ordinal = forms.ChoiceField(label=_("Which weekday of the month"), choices=ORDINALS,
                                required=False)
    weekdays = forms.MultipleChoiceField(label=_("On"), choices=WEEKDAY_CHOICES,
                                         required=False, widget=forms.CheckboxSelectMultiple)
    count = forms.IntegerField(label=_("Number of events"), required=False, min_value=1,
                               max_value=recurrence.MAX_OCCURRENCES)
    until = forms.DateField(label=_("Or repeat until"), required=False, widget=DateInput(),
                            help_text=_("Without a number or an end date, Rally plans twelve "
                                        "months ahead."))
    rrule = forms.CharField(
        label=_("Or an RRULE (RFC 5545)"), required=False, max_length=500,
        help_text=_("Replaces the choices above, e.g. FREQ=MONTHLY;BYMONTH=1,4,7,10;BYDAY=4TU"),
    )
    publish = forms.BooleanField(label=_("Publish the events now"), required=False)

    def clean(self):
        data = super().clean()
        raw = (data.get("rrule") or "").strip()
        if raw:
            data["rule"] = raw
        elif data.get("frequency"):
            try:
                data["rule"] = recurrence.build_rule(
                    frequency=data["frequency"],
                    interval=data.get("interval") or 1,
                    by_month=[int(month) for month in data.get("by_month") or []],
                    weekdays=data.get("weekdays") or [],
                    ordinal=int(data["ordinal"]) if data.get("ordinal") else None,
                    count=data.get("count"),
                    until=data.get("until"),
                )
            except recurrence.RuleError as error:
                self.add_error("weekdays", str(error))
        if data.get("count") and data.get("until") and not raw:
            self.add_error("until", _("Give a number of events or an end date, not both."))
        return data

    def first_start(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(
            self.cleaned_data["first_date"], self.cleaned_data["start_time"]))

    def duration(self) -> datetime.timedelta:
        day = self.cleaned_data["first_date"]
        return (datetime.datetime.combine(day, self.cleaned_data["end_time"])
                - datetime.datetime.combine(day, self.cleaned_data["start_time"]))

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"], "title": data["title"], "description": data["description"],
            "title_es": data["title_es"], "description_es": data["description_es"],
            "venue_name": data["venue_name"], "address": data["address"],
            "visibility": data["visibility"], "rrule": data["rule"],
            "first_start": self.first_start(), "duration": self.duration(),
            "publish": data["publish"],
        }
