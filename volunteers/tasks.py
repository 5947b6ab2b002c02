"""Celery tasks: thin wrappers that take ids (never personal data) and call the delivery
services in ``volunteers.messaging.delivery``. Beat runs the periodic ones (settings
CELERY_BEAT_SCHEDULE); each is safe to run twice at the same time."""

from celery import shared_task


@shared_task(name="volunteers.send_message", bind=True, acks_late=True)
def send_message(self, *, message_id: int) -> str:
    """Send one outbox row (tasks published before batches existed). A copy delivered twice
    (acks_late after a lost worker) finds the row no longer PENDING and returns quietly."""
    from .messaging.delivery import message_send

    return message_send(message_id=message_id)


@shared_task(name="volunteers.send_messages", bind=True, acks_late=True)
def send_messages(self, *, message_ids: list[int]) -> dict[str, int]:
    """Send a batch of outbox rows over one SMTP session, each claimed and marked on its own;
    a copy delivered twice finds its rows no longer PENDING. A full batch wakes the
    dispatcher for the next ones."""
    from .messaging.delivery import messages_send_batch

    return messages_send_batch(message_ids=message_ids)


@shared_task(name="volunteers.dispatch_messages", bind=True, acks_late=True)
def dispatch_messages(self) -> int:
    """Claim due outbox rows and publish a send task per batch (every minute, right after a
    commit that queued a message meant to go now, and after a worker sent a full batch)."""
    from .messaging.delivery import messages_dispatch

    return messages_dispatch()


@shared_task(name="volunteers.sweep_messages", bind=True, acks_late=True)
def sweep_messages(self) -> int:
    """Return rows left in flight by a killed worker to the queue."""
    from .messaging.delivery import messages_sweep

    return messages_sweep()


@shared_task(name="volunteers.queue_organizer_digests", bind=True, acks_late=True)
def queue_organizer_digests(self) -> int:
    """Queue the 72-hours-before digest of unfilled shifts, once per event and organizer."""
    from .outbox import organizer_digests_queue

    return organizer_digests_queue()
