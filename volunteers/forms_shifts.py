"""Forms for teams, team sign-ups, the shift board and check-in."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from config.input_bounds import BoundedFormMixin
from events.models import Shift

from .models import Signup, Team, User
from .services.checkin import MAX_HOURS
from .services.signups import shift_when


class TeamForm(BoundedFormMixin, forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "partner_organization", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "partner_organization": _("Optional: the church, club, business or agency.")
        }


def shift_choice_label(shift: Shift) -> str:
    label = f"{shift.event.localized.title} — {shift.label}, {shift_when(shift)}"
    if shift.site_id and Shift.site.is_cached(shift):
        label = f"{label} · {shift.site.name}"
    if shift.held_for_id and Shift.held_for.is_cached(shift):
        label = _("Held for %(team)s: %(shift)s") % {"team": shift.held_for.name, "shift": label}
    return label


class ShiftChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return shift_choice_label(obj)


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class TeamSignupForm(BoundedFormMixin, forms.Form):
    shift = ShiftChoiceField(label=_("Shift"), queryset=Shift.objects.none())
    members = MemberChoiceField(
        label=_("Members to sign up"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, team: Team, shifts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shift"].queryset = shifts
        self.fields["members"].queryset = User.objects.filter(memberships__team=team).order_by(
            "display_name", "email"
        )


class AttendanceForm(BoundedFormMixin, forms.Form):
    attendance = forms.ChoiceField(choices=Signup.Attendance.choices)


class HoursForm(BoundedFormMixin, forms.Form):
    hours = forms.DecimalField(
        label=_("Hours"),
        required=False,
        min_value=Decimal("0"),
        max_value=MAX_HOURS,
        max_digits=5,
        decimal_places=2,
        help_text=_("Leave empty to use the hours from the check-in."),
    )


class AddVolunteerForm(BoundedFormMixin, forms.Form):
    email = forms.EmailField(label=_("Add a volunteer by email"))
    # Shown to organizers only after a training refusal (never for age): see roster_add.
    add_anyway = forms.BooleanField(
        label=_("Add anyway, without the training"), required=False
    )
    reason = forms.CharField(
        label=_("Why (kept in the sign-up's history)"),
        required=False,
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        if data.get("add_anyway") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Write why they may take the shift without the training."))
        return data


class MoveForm(BoundedFormMixin, forms.Form):
    to_shift = ShiftChoiceField(label=_("Move to"), queryset=Shift.objects.none())

    def __init__(self, *args, shifts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_shift"].queryset = shifts
