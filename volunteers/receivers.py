from allauth.account.signals import email_confirmed
from django.db import transaction
from django.dispatch import receiver


@receiver(email_confirmed)
def welcome_on_email_confirmed(sender, request, email_address, **kwargs):
    """Queue the welcome mail in the outbox (once per person: its dedupe key holds)."""
    from . import outbox

    with transaction.atomic():
        outbox.welcome(email_address.user)
