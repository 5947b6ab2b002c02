from allauth.account.adapter import DefaultAccountAdapter
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.display_name = form.cleaned_data.get("display_name", "")
        user.language = translation.get_language() or "en"
        if user.language not in ("en", "es"):
            user.language = "en"
        if commit:
            user.save()
        return user
