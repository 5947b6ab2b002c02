import datetime

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.input_bounds import LAST_YEAR, BoundedFormMixin

from .models import Role, User


class SignupForm(BoundedFormMixin, AllauthSignupForm):
    display_name = forms.CharField(
        label=_("Your name"),
        max_length=100,
        help_text=_("How organizers and your team will see you."),
    )

    field_order = ["display_name", "email", "password1", "password2"]


class ProfileForm(BoundedFormMixin, forms.ModelForm):
    # A date of birth is the one date Rally keeps from before 2000.
    year_bounds = {"date_of_birth": (1900, LAST_YEAR)}

    class Meta:
        model = User
        fields = [
            "display_name",
            "phone",
            "emergency_contact_name",
            "emergency_contact_phone",
            "confirmed_adult",
            "date_of_birth",
            "language",
            "reminders_enabled",
        ]
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}
        help_texts = {
            "confirmed_adult": _("Street collection shifts are for adults only."),
            "date_of_birth": _("Optional. If you give it, it decides instead of the box above."),
            "phone": _("Optional. Shown only to organizers and your team captain."),
        }

    def clean_display_name(self):
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError(_("Please tell us what to call you."))
        return name

    def clean_date_of_birth(self):
        born = self.cleaned_data.get("date_of_birth")
        if born is None:
            return None
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        if born < today - datetime.timedelta(days=366 * 120):
            raise forms.ValidationError(_("Please check the year of your date of birth."))
        return born


class RoleChangeForm(BoundedFormMixin, forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.all(), widget=forms.HiddenInput)
    role = forms.ChoiceField(choices=Role.choices)
    action = forms.ChoiceField(choices=[("grant", _("Grant")), ("revoke", _("Revoke"))])
