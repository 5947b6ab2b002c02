"""Forms for team invitations and organizers' direct additions."""

from django import forms
from django.utils.translation import gettext_lazy as _

from config.input_bounds import BoundedFormMixin


class TeamInviteForm(BoundedFormMixin, forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("They join the team only when they accept the invitation."),
    )


class MemberGrantForm(BoundedFormMixin, forms.Form):
    """Organizers add a person directly, without an invitation."""

    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("Adds them at once, without an invitation. They must have a Rally account."),
    )
    is_captain = forms.BooleanField(label=_("Make them a captain of this team"), required=False)
