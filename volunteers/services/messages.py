"""Writes about messages and calendars: an organizer's retry of a failed message, and a
volunteer's reset of their secret calendar-feed address."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..messaging.delivery import STUCK_AFTER, publish_dispatch
from ..models import Message, User, new_calendar_token
from ..rules import is_organizer


class MessageError(Exception):
    """A message action that is not possible now; the text is written for the organizer."""


def message_needs_attention(message: Message, *, now=None) -> bool:
    """FAILED, or IN_FLIGHT or overdue PENDING for longer than the sweeper allows."""
    now = now or timezone.now()
    if message.status == Message.Status.FAILED:
        return True
    if message.status == Message.Status.IN_FLIGHT:
        return message.claimed_at is not None and message.claimed_at < now - STUCK_AFTER
    if message.status == Message.Status.PENDING:
        return message.due_at < now - STUCK_AFTER
    return False


def message_retry(*, message: Message, by: User) -> Message:
    """Put a failed or stuck message back in the queue, due now, with a fresh count of
    attempts, and wake the dispatcher after commit. The row is locked so a worker that is
    sending it at this moment finishes first."""
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message.pk)
        if not message_needs_attention(message):
            raise MessageError(_("This message is not waiting for a retry (it is “%(status)s”).")
                               % {"status": message.get_status_display()})
        message.status = Message.Status.PENDING
        message.due_at = timezone.now()
        message.claimed_at = None
        message.attempts = 0
        message.last_error = f"Retried by {by.email}. Before: {message.last_error}"[:2000]
        message.save(update_fields=["status", "due_at", "claimed_at", "attempts", "last_error"])
        transaction.on_commit(publish_dispatch, robust=True)
    return message


@transaction.atomic
def calendar_token_reset(*, user: User) -> str:
    """Give the volunteer a new secret feed address; the old one answers 404 from now on."""
    user.calendar_token = new_calendar_token()
    user.save(update_fields=["calendar_token"])
    return user.calendar_token


@transaction.atomic
def organizer_calendar_token_reset(*, user: User) -> str:
    """Give an organizer a (new) secret address for the organizer feeds of events, separate
    from their personal feed's; the old one answers 404 from now on. Only organizers."""
    if not is_organizer(user):
        raise MessageError(_("Only organizers have an organizer calendar address."))
    user.organizer_calendar_token = new_calendar_token()
    user.save(update_fields=["organizer_calendar_token"])
    return user.organizer_calendar_token
