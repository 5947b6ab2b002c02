"""Delivering the outbox: the dispatcher, the send step, the sweeper, and publishing to the
broker without ever making a web request wait for it.

States of a Message row:
    PENDING (claimed_at empty) --dispatcher--> PENDING (claimed_at set, send task published)
        --send task--> IN_FLIGHT --SMTP accepted--> SENT
                                 --temporary failure--> PENDING (due_at pushed back)
                                 --permanent failure--> FAILED (shown to organizers)
        --rule says no longer wanted--> SKIPPED
    IN_FLIGHT for longer than STUCK_AFTER (worker killed) --sweeper--> PENDING
    PENDING claimed longer than CLAIM_EXPIRES (task lost) --dispatcher--> claimed again

No task ever waits on the broker (no ETA, no countdown): a row's ``due_at`` is the only clock,
so Redis's visibility timeout never re-delivers a long-delayed task.
"""

import datetime
import logging
import smtplib

from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Message
from .render import MessageFailed, MessageSkipped, load, message_email

logger = logging.getLogger(__name__)

BATCH_SIZE = 50
MAX_BATCHES = 20
CLAIM_EXPIRES = datetime.timedelta(minutes=10)
STUCK_AFTER = datetime.timedelta(minutes=15)
MAX_ATTEMPTS = 8
FIRST_RETRY = datetime.timedelta(minutes=1)
LONGEST_RETRY = datetime.timedelta(hours=2)


def _broker_errors() -> tuple[type[BaseException], ...]:
    import kombu.exceptions
    import redis.exceptions

    return (kombu.exceptions.OperationalError, redis.exceptions.RedisError, OSError)


# --- Publishing -----------------------------------------------------------------------


def publish_dispatch() -> None:
    """Wake the dispatcher now (after a commit that queued an immediate message). With Redis
    down this fails in milliseconds (settings: connect timeout 2 s, no publish retries) and
    only logs: the rows wait in the database for the next beat."""
    from ..tasks import dispatch_messages

    try:
        dispatch_messages.delay()
    except _broker_errors() as error:
        logger.warning("Could not wake the message dispatcher (%s); beat will.", error)


def publish_sends(message_ids: list[int]) -> int:
    """Hand claimed rows to the send task; on a broker error, release the rest of the claim
    so the next dispatcher run takes them again. Returns how many were published."""
    from ..tasks import send_message

    for index, message_id in enumerate(message_ids):
        try:
            send_message.delay(message_id=message_id)
        except _broker_errors() as error:
            unpublished = message_ids[index:]
            logger.warning("Broker unavailable (%s); %s message(s) stay queued in the database.",
                           error, len(unpublished))
            Message.objects.filter(pk__in=unpublished, status=Message.Status.PENDING).update(
                claimed_at=None
            )
            return index
    return len(message_ids)


# --- Dispatcher -----------------------------------------------------------------------


def messages_claim(*, now: datetime.datetime | None = None, batch_size: int = BATCH_SIZE
                   ) -> list[int]:
    """Claim up to ``batch_size`` due rows in one short transaction and publish one send task
    per row after it commits. ``skip_locked`` lets dispatchers running at the same time take
    disjoint rows; a row claimed by one is not due for another until CLAIM_EXPIRES."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=Message.Status.PENDING, due_at__lte=now)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_EXPIRES))
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if ids:
            Message.objects.filter(pk__in=ids).update(claimed_at=now)
            transaction.on_commit(lambda: publish_sends(ids))
    return ids


def messages_dispatch(*, now: datetime.datetime | None = None, batch_size: int = BATCH_SIZE,
                      max_batches: int = MAX_BATCHES) -> int:
    """Claim every due row, batch by batch (each its own transaction). Run by beat every
    minute and woken after commits; safe to run any number of times at once."""
    claimed = 0
    for _batch in range(max_batches):
        ids = messages_claim(now=now, batch_size=batch_size)
        claimed += len(ids)
        if len(ids) < batch_size:
            break
    return claimed


def messages_sweep(*, now: datetime.datetime | None = None,
                   stuck_after: datetime.timedelta = STUCK_AFTER) -> int:
    """Return rows left IN_FLIGHT by a killed worker to PENDING (or FAILED after
    MAX_ATTEMPTS). The SMTP server may have accepted such a message before the worker died:
    this is the one duplicate the design allows. Returns how many rows were returned."""
    now = now or timezone.now()
    stuck = Message.objects.filter(status=Message.Status.IN_FLIGHT,
                                   claimed_at__lt=now - stuck_after)
    stuck.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=Message.Status.FAILED,
        last_error=f"Gave up: the worker stopped while sending, {MAX_ATTEMPTS} times.",
    )
    returned = stuck.filter(attempts__lt=MAX_ATTEMPTS).update(
        status=Message.Status.PENDING, claimed_at=None, due_at=now,
        last_error="Returned to the queue: the worker stopped while sending.",
    )
    if returned:
        logger.warning("Returned %s message(s) stuck in flight to the queue.", returned)
    return returned


# --- Sending one ----------------------------------------------------------------------


def retry_delay(attempts: int) -> datetime.timedelta:
    """1, 2, 4, 8… minutes after the n-th failed attempt, at most two hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def is_temporary(error: BaseException) -> bool:
    """SMTP 4xx replies and network trouble are worth another try; 5xx replies and
    anything else (a message that cannot be encoded, a refused login) are not."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(error, smtplib.SMTPException):
        return False
    return isinstance(error, OSError)


def _finish(message_id: int, **fields) -> None:
    Message.objects.filter(pk=message_id).update(**fields)


def message_send(*, message_id: int, now: datetime.datetime | None = None) -> str:
    """Send one outbox row, at most once unless a worker dies mid-send.

    Transaction 1 locks the row (waiting for a dispatcher or another copy of this task that
    holds it for a moment), returns quietly
    unless it is still PENDING and due, renders it (a rule saying it is no longer wanted
    marks it SKIPPED; an error that retrying cannot fix marks it FAILED), and marks it
    IN_FLIGHT. Then, outside any transaction, SMTP; then SENT, or back to PENDING with a
    later ``due_at`` for a temporary failure, or FAILED. Returns what happened."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Message.objects.select_for_update()
            .filter(pk=message_id).values_list("status", "due_at").first()
        )
        if locked is None:
            return "gone"
        status, due_at = locked
        if status != Message.Status.PENDING or due_at > now:
            return f"not due ({status})"
        message = load(message_id)
        try:
            email = message_email(message, now=now)
        except MessageSkipped as skip:
            _finish(message_id, status=Message.Status.SKIPPED, last_error=str(skip), context={},
                    claimed_at=None)
            return "skipped"
        except DatabaseError:
            raise
        except MessageFailed as error:
            logger.warning("Message %s cannot be sent: %s", message_id, error)
            _finish(message_id, status=Message.Status.FAILED, claimed_at=None,
                    last_error=str(error))
            return "failed"
        except Exception as error:  # template errors: never retried
            logger.exception("Message %s cannot be rendered.", message_id)
            _finish(message_id, status=Message.Status.FAILED, claimed_at=None,
                    last_error=_describe(error))
            return "failed"
        attempts = message.attempts + 1
        _finish(message_id, status=Message.Status.IN_FLIGHT, claimed_at=now, attempts=attempts)
    try:
        email.send()
    except Exception as error:
        return _after_failure(message_id, error, attempts=attempts)
    # An account email's context (a sign-in code) is not needed once sent.
    _finish(message_id, status=Message.Status.SENT, sent_at=timezone.now(), last_error="",
            context={})
    return "sent"


def _describe(error: BaseException) -> str:
    if isinstance(error, MessageFailed):
        return str(error)
    return f"{type(error).__name__}: {error}"[:2000]


def _after_failure(message_id: int, error: BaseException, *, attempts: int) -> str:
    if is_temporary(error) and attempts < MAX_ATTEMPTS:
        retry_at = timezone.now() + retry_delay(attempts)
        logger.warning("Message %s: temporary failure (%s); retrying at %s.",
                       message_id, error, retry_at.isoformat())
        _finish(message_id, status=Message.Status.PENDING, claimed_at=None, due_at=retry_at,
                last_error=_describe(error))
        return "retry"
    logger.error("Message %s failed for good: %s", message_id, error)
    prefix = f"Gave up after {attempts} attempts. " if is_temporary(error) else ""
    _finish(message_id, status=Message.Status.FAILED, claimed_at=None,
            last_error=prefix + _describe(error))
    return "failed"
