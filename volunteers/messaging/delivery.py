"""Delivering the outbox: the dispatcher, the send step, the sweeper, and publishing to the
broker without ever making a web request wait for it.

States of a Message row:
    PENDING (claimed_at empty) --dispatcher--> PENDING (claimed_at set, batch task published)
        --send task, this row's turn--> IN_FLIGHT --SMTP accepted--> SENT
                                 --temporary failure--> PENDING (due_at pushed back)
                                 --permanent failure--> FAILED (shown to organizers)
        --rule says no longer wanted--> SKIPPED
    IN_FLIGHT for longer than STUCK_AFTER (worker killed) --sweeper--> PENDING
    PENDING claimed longer than CLAIM_EXPIRES (task lost) --dispatcher--> claimed again

The dispatcher hands rows over in batches (settings MESSAGE_BATCH_SIZE), one task each; a
worker sends a batch over one SMTP session, each row still claimed (IN_FLIGHT) and marked
(SENT) on its own, so a killed worker leaves at most one row in doubt. The dispatcher stops
when MESSAGE_BATCHES_AHEAD tasks wait in the queue, and a worker that finishes a full batch
wakes it again (``broker.publish_dispatch``), so a backlog drains as fast as the workers
send, with no cap per minute, and a claimed row does not wait in the queue for long.

No task ever waits on the broker (no ETA, no countdown): a row's ``due_at`` is the only clock,
so Redis's visibility timeout never re-delivers a long-delayed task.
"""

import contextlib
import datetime
import logging
import smtplib

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Message
from ..rows import cursor as rows_cursor
from .broker import batches_waiting, publish_dispatch, publish_sends, wake_up_clear
from .mime import envelope, message_bytes
from .render import MessageFailed, MessageSkipped, load_batch, message_email, one_batch

logger = logging.getLogger(__name__)

CLAIM_EXPIRES = datetime.timedelta(minutes=10)
STUCK_AFTER = datetime.timedelta(minutes=15)
MAX_ATTEMPTS = 8
FIRST_RETRY = datetime.timedelta(minutes=1)
LONGEST_RETRY = datetime.timedelta(hours=2)


# --- Dispatcher -----------------------------------------------------------------------


def _claim(*, now: datetime.datetime, batch_size: int) -> list[int]:
    """Claim up to ``batch_size`` due rows in one short transaction. ``skip_locked`` lets
    dispatchers running at the same time take disjoint rows; a row claimed by one is not due
    for another until CLAIM_EXPIRES."""
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
    return ids


def messages_claim(*, now: datetime.datetime | None = None, batch_size: int | None = None
                   ) -> list[int]:
    """Claim one batch of due rows and publish its send task after the commit."""
    ids = _claim(now=now or timezone.now(),
                 batch_size=batch_size or settings.MESSAGE_BATCH_SIZE)
    if ids:
        transaction.on_commit(lambda: publish_sends(ids))
    return ids


def messages_dispatch(*, now: datetime.datetime | None = None, batch_size: int | None = None,
                      batches_ahead: int | None = None) -> int:
    """Hand due rows to the workers a batch at a time (its own short transaction, then one
    task), until nothing due is left or ``batches_ahead`` tasks wait in the queue; a worker
    that finishes a full batch wakes this again, so a backlog drains as fast as the workers
    send, with no cap per minute. Run when a worker starts, by beat every minute, and woken
    after commits; safe to run any number of times at once. Returns how many rows it
    claimed."""
    wake_up_clear()  # first: rows committed from now on get a wake-up of their own
    now = now or timezone.now()
    batch_size = batch_size or settings.MESSAGE_BATCH_SIZE
    waiting = batches_waiting()
    room = None if waiting is None else (batches_ahead or settings.MESSAGE_BATCHES_AHEAD) - waiting
    claimed = 0
    while room is None or room > 0:
        ids = _claim(now=now, batch_size=batch_size)
        if not ids:
            break
        claimed += len(ids)
        if room is not None:
            room -= 1
        published: list[int] = []
        # Right away outside a transaction; inside one (tests), after its commit.
        transaction.on_commit(
            lambda ids=ids, published=published: published.append(publish_sends(ids)))
        if published == [0] or len(ids) < batch_size:
            break  # the broker is down (the next beat tries again), or nothing more is due
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


# --- Sending ---------------------------------------------------------------------------


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


def _finish_unclaimed(message: Message, **fields) -> bool:
    """Mark a row this worker rendered but has not claimed, unless someone else has moved it
    on since it was read (another copy of the task, the sweeper, an organizer's retry)."""
    return bool(
        Message.objects.filter(pk=message.pk, status=Message.Status.PENDING,
                               attempts=message.attempts).update(**fields)
    )


def _sent_then_claim(*, sent_id: int | None, claim: Message | None = None,
                     attempts: int = 0) -> bool:
    """The two writes every message needs, in one transaction (one commit per message): SENT
    for the message the server accepted last, if any, then IN_FLIGHT for ``claim`` with
    ``attempts``, unless someone moved it on since it was read. Returns whether ``claim`` is
    now this worker's. Plain SQL, one statement on PostgreSQL: compiling the ORM's updates
    was most of their CPU, and each round trip to the database is time the worker waits."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    # An account email's context (a sign-in code) is not needed once sent.
    sent = [Message.Status.SENT, now, "", _no_context(), sent_id]
    claiming = [Message.Status.IN_FLIGHT, attempts, now, getattr(claim, "pk", None),
                Message.Status.PENDING, getattr(claim, "attempts", None)]
    both = sent_id is not None and claim is not None
    with rows_cursor() as sql:  # prepared once per connection on PostgreSQL
        if both and connection.vendor == "postgresql":
            sql.execute(_SENT_THEN_CLAIM, sent + claiming)
            return sql.rowcount == 1
        with transaction.atomic() if both else contextlib.nullcontext():
            if sent_id is not None:
                sql.execute(_SENT, sent)
            if claim is not None:
                sql.execute(_CLAIM, claiming)
                return sql.rowcount == 1
    return False


_SENT = ("UPDATE volunteers_message SET status = %s, sent_at = %s, last_error = %s, "
         "context = %s WHERE id = %s")
_CLAIM = ("UPDATE volunteers_message SET status = %s, attempts = %s, claimed_at = %s "
          "WHERE id = %s AND status = %s AND attempts = %s")
_SENT_THEN_CLAIM = f"WITH sent AS ({_SENT}) {_CLAIM}"


def _no_context():
    return Message._meta.get_field("context").get_db_prep_save({}, connection)


class _Session:
    """One connection to the mail server for a batch, opened when the first message needs it
    and again after a failed message (the server may have closed it). Over Django's SMTP
    backend each message's envelope and bytes are written in one pass (``mime``)."""

    def __init__(self):
        from django.core.mail import get_connection
        from django.core.mail.backends.smtp import EmailBackend

        self.connection = get_connection()
        self.smtp = type(self.connection) is EmailBackend
        self.open = False

    def send(self, email) -> None:
        if not self.open:
            try:
                self.connection.open()
            except Exception as error:
                raise _Unreachable(error) from error
            self.open = True
        if not self.smtp:
            self.connection.send_messages([email])
        elif email.recipients():  # what the backend's send_messages does, minus its MIME tree
            sender, recipients = envelope(email)
            self.connection.connection.sendmail(sender, recipients, message_bytes(email))

    def close(self) -> None:
        if self.open:
            self.open = False
            with contextlib.suppress(Exception):  # the server may have dropped it already
                self.connection.close()


class _Unreachable(Exception):
    """The mail server could not be reached: the rest of the batch waits for the next run."""

    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


def messages_send(*, message_ids: list[int], now: datetime.datetime | None = None
                  ) -> dict[int, str]:
    """Send a batch of outbox rows over one SMTP session, each at most once unless a worker
    dies while the server is taking it. Returns what happened to each id.

    Three queries read the rows (``render.load_batch``). Each row still PENDING and due is then
    rendered from the database as it is now (a rule saying it is no longer wanted marks it
    SKIPPED; an error that retrying cannot fix marks it FAILED), claimed on its own (PENDING
    to IN_FLIGHT, only if nobody moved it on since it was read), sent, and marked SENT in the
    commit that claims the next one, so at most one row of a batch is ever IN_FLIGHT. What
    many rows share is rendered once per batch (``render.one_batch``). A temporary failure
    puts the row back to PENDING with a later ``due_at``, a permanent one marks it FAILED.
    No transaction is held while talking SMTP. If the server cannot be reached, the rest of
    the batch is released for the next dispatcher run."""
    started = now or timezone.now()
    outcomes = dict.fromkeys(message_ids, "gone")
    session = _Session()
    accepted = None  # the message the server accepted last, not yet marked SENT
    with _commits_not_waiting_for_the_disk(), one_batch():
        try:
            rows = load_batch(message_ids)
            for index, message in enumerate(rows):
                if message.status != Message.Status.PENDING or message.due_at > started:
                    outcomes[message.pk] = f"not due ({message.status})"
                    continue
                email = _render(message, now=now or timezone.now())
                if isinstance(email, str):  # skipped or failed, and marked so
                    outcomes[message.pk] = email
                    continue
                attempts = message.attempts + 1
                claimed = _sent_then_claim(sent_id=accepted, claim=message, attempts=attempts)
                accepted = None
                if not claimed:
                    outcomes[message.pk] = "taken"
                    continue
                try:
                    session.send(email)
                except _Unreachable as unreachable:
                    outcomes[message.pk] = _after_failure(message.pk, unreachable.error,
                                                          attempts=attempts)
                    rest = [row.pk for row in rows[index + 1:]]
                    Message.objects.filter(pk__in=rest, status=Message.Status.PENDING).update(
                        claimed_at=None)
                    outcomes.update(dict.fromkeys(rest, "released"))
                    break
                except Exception as error:
                    session.close()
                    outcomes[message.pk] = _after_failure(message.pk, error, attempts=attempts)
                    continue
                accepted = message.pk
                outcomes[message.pk] = "sent"
        finally:
            try:
                if accepted is not None:
                    _sent_then_claim(sent_id=accepted)
            finally:
                session.close()
    return outcomes


@contextlib.contextmanager
def _commits_not_waiting_for_the_disk():
    """PostgreSQL's ``synchronous_commit = off`` for this connection while a batch is sent
    (unless settings MESSAGE_SYNCHRONOUS_COMMIT): each message's commit returns before its
    WAL reaches the disk, which is most of a message's time on a disk that takes milliseconds
    per flush. Every commit is still seen by everyone at once, so a killed worker leaves the
    same state as before; only a crash of the database server itself may lose the last
    fraction of a second of marks, and those messages are then sent again (never lost)."""
    if connection.vendor != "postgresql" or settings.MESSAGE_SYNCHRONOUS_COMMIT:
        yield
        return
    with connection.cursor() as sql:
        sql.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with contextlib.suppress(DatabaseError), connection.cursor() as sql:
            sql.execute("RESET synchronous_commit")


def messages_send_batch(*, message_ids: list[int]) -> dict[str, int]:
    """The send task's work: ``messages_send``, then, when the batch was full (more may be
    due) and the mail server answered, wake the dispatcher for the next batches. Returns how
    many rows had each outcome."""
    from config.celery import app

    outcomes = messages_send(message_ids=message_ids)
    if (len(message_ids) >= settings.MESSAGE_BATCH_SIZE and not app.conf.task_always_eager
            and "released" not in outcomes.values()):
        publish_dispatch()
    summary: dict[str, int] = {}
    for outcome in outcomes.values():
        summary[outcome] = summary.get(outcome, 0) + 1
    return summary


def message_send(*, message_id: int, now: datetime.datetime | None = None) -> str:
    """Send one outbox row (``messages_send`` for a batch of one). Returns what happened."""
    return messages_send(message_ids=[message_id], now=now)[message_id]


def _render(message: Message, *, now: datetime.datetime):
    """The row's email, or what became of it (marked SKIPPED or FAILED) when there is none."""
    try:
        return message_email(message, now=now)
    except MessageSkipped as skip:
        _finish_unclaimed(message, status=Message.Status.SKIPPED, last_error=str(skip),
                          context={}, claimed_at=None)
        return "skipped"
    except DatabaseError:
        raise
    except MessageFailed as error:
        logger.warning("Message %s cannot be sent: %s", message.pk, error)
        _finish_unclaimed(message, status=Message.Status.FAILED, claimed_at=None,
                          last_error=str(error))
        return "failed"
    except Exception as error:  # template errors: never retried
        logger.exception("Message %s cannot be rendered.", message.pk)
        _finish_unclaimed(message, status=Message.Status.FAILED, claimed_at=None,
                          last_error=_describe(error))
        return "failed"


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
