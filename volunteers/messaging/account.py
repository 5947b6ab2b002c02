"""Rendering an account email (a Message whose kind's Rule says ``account``): django-allauth's
template names (``templates/account/email/<kind>_subject.txt``, ``_message.txt``,
``_message.html``), Rally's name, address, coalition and hotline, in the person's language.

Links that carry a key are made here, when the message is sent, not when it was queued: the
outbox never holds a key to someone's account, and a message that waited for the mail server
still carries a link that works for the full period from the moment it is sent.
"""

import datetime

from allauth.account import app_settings as allauth_settings
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

from events.calendar import calendar_domain

from ..models import Message
from .kinds import Kind
from .render import _one_line, render_plain_text

CONFIRMATIONS = {Kind.EMAIL_CONFIRMATION, Kind.EMAIL_CONFIRMATION_SIGNUP}


def site_url(path: str) -> str:
    return settings.SITE_URL + path


def confirmation_url(message: Message) -> str:
    """A fresh HMAC key for the address (valid EMAIL_CONFIRMATION_EXPIRE_DAYS from now)."""
    from allauth.account.models import EmailAddress, EmailConfirmationHMAC

    stored = message.context.get("activate_url")
    if stored:
        return stored
    address = EmailAddress.objects.get(user_id=message.recipient_id,
                                       email__iexact=message.to_address)
    key = EmailConfirmationHMAC(address).key
    return site_url(reverse("account_confirm_email", args=[key]))


def password_reset_key_url(message: Message) -> str:
    """A fresh reset token for the account (the one allauth's form would have made)."""
    from urllib.parse import quote

    from allauth.account.utils import user_pk_to_url_str

    user = message.recipient
    token = allauth_settings.PASSWORD_RESET_TOKEN_GENERATOR().make_token(user)
    path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
    return site_url(path.replace("UID-KEY", quote(f"{user_pk_to_url_str(user)}-{token}")))


def account_context(message: Message) -> dict:
    from ..adapters import site_from_settings

    context = dict(message.context)
    timestamp = context.get("timestamp")
    if isinstance(timestamp, str):
        context["timestamp"] = parse_datetime(timestamp)
    context.update({
        "message": message,
        "user": message.recipient,
        "recipient": message.recipient,
        "email": message.to_address,
        "current_site": site_from_settings(),
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "COALITION": settings.COALITION,
        "HOTLINE": settings.HOTLINE,
        "login_url": site_url(reverse("account_login")),
        "signup_url": site_url(reverse("account_signup")),
        "password_reset_url": site_url(reverse("account_reset_password")),
        "expire_days": allauth_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS,
    })
    if message.kind in CONFIRMATIONS:
        context["activate_url"] = confirmation_url(message)
    elif message.kind == Kind.PASSWORD_RESET_KEY:
        context["password_reset_url"] = password_reset_key_url(message)
        context["reset_days"] = max(settings.PASSWORD_RESET_TIMEOUT // 86400, 1)
    return context


def message_language(message: Message) -> str:
    """The account's language when there is an account, else the one of the request that
    queued the message."""
    if message.recipient is not None and message.recipient.language:
        language = message.recipient.language
    else:
        language = message.context.get("language") or settings.LANGUAGE_CODE
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def account_email(message: Message, *, now: datetime.datetime) -> EmailMultiAlternatives:
    """The email for an account Message, to its ``to_address``. Template errors propagate
    (the send step marks the row FAILED)."""
    language = message_language(message)
    prefix = f"account/email/{message.kind}"
    with translation.override(language), timezone.override(settings.TIME_ZONE):
        context = account_context(message)
        subject = _one_line(render_plain_text(f"{prefix}_subject.txt", context))
        text = render_plain_text(f"{prefix}_message.txt", context).strip() + "\n"
        try:
            html_template = get_template(f"{prefix}_message.html")
        except TemplateDoesNotExist:  # allauth's own templates are plain text only
            html = None
        else:
            html = html_template.render(context)
    headers = {
        "Message-ID": f"<message-{message.pk}@{calendar_domain()}>",
        "Auto-Submitted": "auto-generated",
        "Content-Language": language,
    }
    reply_to = [settings.COALITION["email"]] if settings.COALITION.get("email") else []
    email = EmailMultiAlternatives(subject, text, to=[message.to_address], reply_to=reply_to,
                                   headers=headers)
    if html is not None:
        email.attach_alternative(html, "text/html")
    return email
