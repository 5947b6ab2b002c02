"""Rally's side of django-allauth: new accounts get the request's language, and every
account email (confirm an address, reset a password, "you already have an account"…) is a
row of the outbox instead of an SMTP conversation inside the request (STYLE rule 10).

The site's name and address are Rally's settings (SITE_NAME, SITE_URL), not the
django.contrib.sites row ("example.com" out of the box): emails build them from settings each
time they are rendered, and ``site_row_sync`` copies them into that row after every
``migrate`` for anything else that reads it (Django's admin "view on site", allauth's pages).
"""

import datetime
from urllib.parse import urlsplit

from allauth.account import app_settings as allauth_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.views import signup as allauth_signup
from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.sites.models import Site
from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.utils import translation

from .login_limits import LoginLimitsMixin

TEMPLATE_PREFIX = "account/email/"
# Rebuilt from the row when the message is rendered (volunteers.messaging.account): keys and
# links are not kept in the outbox, and objects cannot be.
NOT_STORED = {"request", "user", "current_site", "email", "key", "uid", "activate_url",
              "password_reset_url", "signup_url", "login_url"}


def request_language() -> str:
    language = (translation.get_language() or settings.LANGUAGE_CODE)[:2]
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class AccountAdapter(LoginLimitsMixin, DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.display_name = form.cleaned_data.get("display_name", "")
        user.language = request_language()
        if commit:
            user.save()
        return user

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Queue the email allauth asks for in the outbox, in the caller's transaction (the
        sign-up's, see ``signup``), and send nothing now: with the mail server down the page
        answers as usual and the dispatcher retries. ``to_address`` is ``email``; the
        recipient is the account that address belongs to, when there is one."""
        from . import outbox

        kind = template_prefix.removeprefix(TEMPLATE_PREFIX)
        stored = {"language": request_language()}
        for name, value in context.items():
            if name in NOT_STORED:
                continue
            if isinstance(value, datetime.datetime):
                value = value.isoformat()
            if value is None or isinstance(value, str | int | float | bool):
                stored[name] = value
        if "activate_url" in context and not allauth_settings.EMAIL_CONFIRMATION_HMAC:
            # A stored confirmation key cannot be rebuilt from the address: keep the link
            # (cleared once sent). The default, HMAC keys, is rebuilt at send time.
            stored["activate_url"] = context["activate_url"]
        with transaction.atomic():
            outbox.account_email(kind=kind, to_address=email,
                                 recipient=account_for(context.get("user"), email),
                                 context=stored)


def account_for(user, email: str):
    """The account an account email concerns: allauth's ``user`` when it passes one, else the
    account that owns the address (an "account already exists" email), else none."""
    from allauth.account.models import EmailAddress

    from .models import User

    if isinstance(user, User) and user.pk:
        return user
    address = EmailAddress.objects.filter(email__iexact=email).select_related("user").first()
    if address is not None:
        return address.user
    return User.objects.filter(email__iexact=email).first()


def signup(request, *args, **kwargs):
    """allauth's sign-up page, with the account, its address and its confirmation email
    written in one transaction: nothing half-made is left if any of them fails."""
    if request.method == "POST":
        with transaction.atomic():
            return allauth_signup(request, *args, **kwargs)
    return allauth_signup(request, *args, **kwargs)


# --- The site's name and address -----------------------------------------------------


def site_from_settings() -> Site:
    """An unsaved Site with SITE_NAME and the host of SITE_URL: what account emails show."""
    return Site(id=settings.SITE_ID, domain=urlsplit(settings.SITE_URL).netloc,
                name=settings.SITE_NAME)


def site_row_sync(sender=None, *, using=DEFAULT_DB_ALIAS, apps=global_apps, **kwargs) -> None:
    """post_migrate: make Site(pk=SITE_ID) say SITE_NAME and SITE_URL's host, so it follows
    the settings on every release (a data migration would freeze the first values)."""
    try:
        site_model = apps.get_model("sites", "Site")
    except LookupError:
        return
    if not router.allow_migrate_model(using, site_model):
        return
    wanted = site_from_settings()
    site_model.objects.using(using).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": wanted.domain, "name": wanted.name}
    )
    Site.objects.clear_cache()
