from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from .models import User


def welcome_email_send(*, user: User) -> None:
    """Render the welcome mail in the volunteer's language and send it."""
    with translation.override(user.language or "en"):
        context = {"user": user, "SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL,
                   "COALITION": settings.COALITION, "HOTLINE": settings.HOTLINE}
        subject = render_to_string("emails/welcome_subject.txt", context).strip()
        text = render_to_string("emails/welcome.txt", context)
        html = render_to_string("emails/welcome.html", context)
    message = EmailMultiAlternatives(subject, text, to=[user.email])
    message.attach_alternative(html, "text/html")
    message.send()
