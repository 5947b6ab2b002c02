"""Talking to the broker (Redis) for the outbox, never making anyone wait on it: publishing
the send and dispatcher tasks, the dispatcher's "wake-up pending" flag that makes a burst of
wake-ups one, and how many tasks wait in the queue."""

import contextlib
import logging

from django.conf import settings

from ..models import Message

logger = logging.getLogger(__name__)

# A wake-up of the dispatcher is pending (published, not yet started) for at most this long;
# the dispatcher clears it when it starts. Longer only delays a wake-up whose task was lost.
WAKE_UP_PENDING_FOR = 60


def _broker_errors() -> tuple[type[BaseException], ...]:
    import kombu.exceptions
    import redis.exceptions

    return (kombu.exceptions.OperationalError, redis.exceptions.RedisError, OSError)


_broker_clients: dict = {}


def _broker_redis():
    """A Redis client for the broker the tasks are published to, or None when tasks run in
    this process (eager) or the broker is not Redis. Quick to give up: the caller falls back
    to publishing, which has its own short timeouts."""
    from config.celery import app

    if app.conf.task_always_eager:
        return None
    url = app.conf.broker_write_url or app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    client = _broker_clients.get(url)
    if client is None:
        import redis

        client = _broker_clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=0.5, socket_timeout=0.5)
    return client


def wake_up_key() -> str:
    """The flag's key: one per queue, so test runs and a development worker sharing a Redis
    do not hold back each other's wake-ups."""
    return f"rally:dispatch-wake-up:{settings.CELERY_TASK_DEFAULT_QUEUE}"


def _wake_up_is_new() -> bool:
    """Mark a dispatcher wake-up as pending (SET NX with an expiry). False when one is already
    pending: that dispatcher has not started yet, so it will see the rows committed before
    this call. True (publish) when it was not pending or Redis could not say."""
    client = _broker_redis()
    if client is None:
        return True
    try:
        return bool(client.set(wake_up_key(), "1", nx=True, ex=WAKE_UP_PENDING_FOR))
    except _broker_errors():
        return True


def wake_up_clear() -> None:
    """The dispatcher is starting: rows committed from now on need a wake-up of their own."""
    client = _broker_redis()
    if client is None:
        return
    with contextlib.suppress(*_broker_errors()):  # else it expires on its own
        client.delete(wake_up_key())


def publish_dispatch() -> None:
    """Wake the dispatcher now (after a commit that queued an immediate message, or a worker
    that finished a full batch). Wake-ups that come while one is still pending collapse into
    it, so a burst of sign-ups queues one dispatcher run, not one each. With Redis down this
    fails in milliseconds (settings: connect timeout 2 s, no publish retries) and only logs:
    the rows wait in the database for the next beat."""
    from ..tasks import dispatch_messages

    if not _wake_up_is_new():
        return
    try:
        dispatch_messages.delay()
    except _broker_errors() as error:
        wake_up_clear()
        logger.warning("Could not wake the message dispatcher (%s); beat will.", error)


def publish_sends(message_ids: list[int]) -> int:
    """Hand a batch of claimed rows to one send task; on a broker error, release the claim so
    the next dispatcher run takes them again. Returns how many were published."""
    from ..tasks import send_messages

    try:
        send_messages.delay(message_ids=message_ids)
    except _broker_errors() as error:
        logger.warning("Broker unavailable (%s); %s message(s) stay queued in the database.",
                       error, len(message_ids))
        Message.objects.filter(pk__in=message_ids, status=Message.Status.PENDING).update(
            claimed_at=None
        )
        return 0
    return len(message_ids)


def batches_waiting() -> int | None:
    """How many tasks wait in the queue for a worker (Redis's list for it), or None when
    there is no queue to fill (tasks run in this process)."""
    client = _broker_redis()
    if client is None:
        return None
    try:
        return client.llen(settings.CELERY_TASK_DEFAULT_QUEUE)
    except _broker_errors():
        return 0  # publishing will fail too, and stop the run
