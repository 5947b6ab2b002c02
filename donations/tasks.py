"""Celery tasks of the money side: thin wrappers that call a service. Beat runs the periodic
ones (settings CELERY_BEAT_SCHEDULE); each is safe to run twice at the same time."""

from celery import shared_task


@shared_task(name="donations.remind_permit_returns", bind=True, acks_late=True)
def remind_permit_returns(self) -> int:
    """Queue the organizers' reminder of each permit whose return is due within
    settings.PERMIT_RETURN_REMINDER_DAYS days, once per permit, return date and organizer
    (the outbox's dedupe key holds it). Daily."""
    from .exports import permit_return_reminders_queue

    return permit_return_reminders_queue()
