"""End to end: real Celery workers on real Redis, PostgreSQL, and an SMTP server on loopback
(aiosmtpd). Beat's part is played by calling the dispatcher and sweeper from the test.

Each test starts its own worker (a few seconds each); together they run in well under a
minute on two cores."""

import datetime
import shutil
import socket
import subprocess
import threading
import time
from contextlib import contextmanager

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from events import services as event_services
from tests.conftest import missing_service
from tests.factories import EventFactory, ShiftFactory, UserFactory
from tests.notifications.ical import invite_parts, only_event, parse_calendar
from volunteers.messaging import broker as outbox_broker
from volunteers.messaging import delivery
from volunteers.messaging.kinds import Kind
from volunteers.models import Message
from volunteers.services.signups import signup_create

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _no_wake_up_left_pending():
    """The queue is emptied after each test (conftest), so a dispatcher wake-up a test left
    pending would hold back the next test's first one for up to a minute: clear it."""
    import redis
    from django.conf import settings

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete(outbox_broker.wake_up_key())
    yield
    broker.delete(outbox_broker.wake_up_key())


def wait_until(condition, *, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def all_delivered() -> bool:
    """Nothing due is left to send (rows reach SENT after the SMTP server has the mail)."""
    return not Message.objects.filter(
        status__in=[Message.Status.PENDING, Message.Status.IN_FLIGHT],
        due_at__lte=timezone.now(),
    ).exists()


def message_ids(emails) -> list[str]:
    return [email["Message-ID"] for email in emails]


def subjects(emails, prefix: str) -> list:
    return [email for email in emails if email["Subject"].startswith(prefix)]


def shift_in_days(days: int = 5, *, capacity: int = 20):
    start = (timezone.now() + datetime.timedelta(days=days)).replace(
        minute=0, second=0, microsecond=0)
    event = EventFactory(starts_at=start, ends_at=start + datetime.timedelta(hours=10))
    return ShiftFactory(event=event, starts_at=start, capacity=capacity, needed=capacity)


def sign_up(shift, count: int) -> list:
    people = UserFactory.create_batch(count)
    return [signup_create(shift=shift, volunteer=person, by=person) for person in people]


def make_reminders_due() -> int:
    return Message.objects.filter(kind=Kind.REMINDER, status=Message.Status.PENDING).update(
        due_at=timezone.now() - datetime.timedelta(seconds=1))


def test_signup_move_and_cancel_each_send_exactly_one_message(celery_worker, smtp_inbox):
    shift = shift_in_days()
    signups = sign_up(shift, 3)

    wait_until(lambda: len(smtp_inbox.messages) >= 3 and all_delivered(), what="confirmations")
    delivery.messages_dispatch()  # beat's run finds nothing more to send
    later = shift.starts_at + datetime.timedelta(hours=2)
    event_services.shift_update(shift=shift, by=None, starts_at=later,
                                ends_at=later + datetime.timedelta(hours=3))
    wait_until(lambda: len(smtp_inbox.messages) >= 6 and all_delivered(), what="updates")
    event_services.shift_cancel(shift=shift, by=None)
    wait_until(lambda: len(smtp_inbox.messages) >= 9 and all_delivered(), what="cancels")
    delivery.messages_dispatch()
    time.sleep(1)

    emails = smtp_inbox.messages
    assert len(emails) == 9
    assert len(set(message_ids(emails))) == 9
    recipients = sorted(s.volunteer.email for s in signups)
    invites = {}
    for prefix, method in [("You're signed up", "REQUEST"), ("Changed", "REQUEST"),
                           ("Shift cancelled", "CANCEL")]:
        batch = subjects(emails, prefix)
        assert sorted(email["To"] for email in batch) == recipients, prefix
        for email in batch:
            alternatives, attachments = invite_parts(email)
            assert [part.get_param("method") for part in alternatives] == [method]
            vevent = only_event(parse_calendar(attachments[0].get_content(), method=method))
            invites.setdefault(email["To"], []).append(vevent)
    for vevents in invites.values():
        assert len({str(v["UID"]) for v in vevents}) == 1
        sequences = [v["SEQUENCE"] for v in vevents]
        assert sequences == sorted(set(sequences))
        assert vevents[1].start == later
    # Reminders were re-timed by the move, then dropped by the cancellation.
    assert not Message.objects.filter(kind=Kind.REMINDER).exists()


def test_reminders_sent_exactly_once_when_two_dispatchers_run_at_once(
    celery_worker, smtp_inbox
):
    shift = shift_in_days()
    sign_up(shift, 12)
    wait_until(lambda: len(smtp_inbox.messages) >= 12 and all_delivered(), what="confirmations")
    due = make_reminders_due()
    assert due == 24

    start = threading.Barrier(2)
    claimed: list[int] = []

    def dispatcher():
        try:
            start.wait()
            claimed.append(delivery.messages_dispatch(batch_size=3))
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_until(lambda: len(smtp_inbox.messages) >= 36 and all_delivered(), what="reminders")
    time.sleep(1)

    assert sum(claimed) == 24
    reminders = subjects(smtp_inbox.messages, "Reminder")
    assert len(reminders) == 24
    assert len(set(message_ids(reminders))) == 24
    assert Message.objects.filter(kind=Kind.REMINDER, status=Message.Status.SENT).count() == 24


@pytest.mark.parametrize("batch_size", [3, 100])
def test_worker_killed_mid_batch_still_delivers_every_reminder(
    batch_size, celery_worker_factory, smtp_inbox
):
    """SIGKILL while the SMTP server is still taking a message: at most that one message is
    delivered twice (README: the one allowed duplicate), and none is lost. Batches of 3: the
    killed worker's batch is one of four; of 100: the only one, sent over one session."""
    shift = shift_in_days()
    sign_up(shift, 6)
    worker = celery_worker_factory()
    wait_until(lambda: len(smtp_inbox.messages) >= 6 and all_delivered(), what="confirmations")
    smtp_inbox.messages.clear()
    make_reminders_due()
    smtp_inbox.delay = 0.4

    assert delivery.messages_dispatch(batch_size=batch_size) == 12
    # Kill while the server is inside DATA: the worker has marked that row IN_FLIGHT and
    # has not yet heard "250", so exactly one row is left in flight.
    wait_until(lambda: len(smtp_inbox.messages) >= 3 and smtp_inbox.taking > 0,
               what="a reminder being sent")
    worker.kill()
    killed_at = timezone.now()
    in_flight = list(Message.objects.filter(status=Message.Status.IN_FLIGHT)
                     .values_list("pk", flat=True))
    assert len(in_flight) == 1
    # The rest of the killed worker's batch (claimed in pk order) was never sent.
    reminders = sorted(Message.objects.filter(kind=Kind.REMINDER).values_list("pk", flat=True))
    position = reminders.index(in_flight[0])
    batch = reminders[position - position % batch_size:][:batch_size]
    left_in_batch = [pk for pk in batch if pk > in_flight[0]]

    smtp_inbox.delay = 0.0
    celery_worker_factory()
    # The queued send tasks survive in Redis and run on the new worker. The row the killed
    # worker was sending stays IN_FLIGHT until the sweeper returns it, and the rest of its
    # batch stays claimed until the dispatcher (beat) takes it again.
    wait_until(lambda: Message.objects.filter(kind=Kind.REMINDER, status=Message.Status.SENT)
               .count() == 12 - 1 - len(left_in_batch), what="the queue to drain")
    assert set(Message.objects.filter(pk__in=left_in_batch).values_list("status", flat=True)
               ) <= {Message.Status.PENDING}
    now = timezone.now()
    assert delivery.messages_sweep(now=now, stuck_after=now - killed_at) == 1
    assert delivery.messages_dispatch(now=now + delivery.CLAIM_EXPIRES) == 1 + len(left_in_batch)
    wait_until(lambda: Message.objects.filter(kind=Kind.REMINDER, status="sent").count() == 12,
               what="every reminder sent")
    time.sleep(0.5)

    reminder_ids = {f"<message-{pk}@127.0.0.1>" for pk in reminders}
    delivered = message_ids(smtp_inbox.messages)
    assert set(delivered) == reminder_ids
    assert len(delivered) - len(reminder_ids) <= 1


def queued_tasks() -> list[str]:
    """The names of the tasks waiting in this test's queue in Redis, sorted."""
    import json

    import redis
    from django.conf import settings

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    return sorted(json.loads(raw)["headers"]["task"]
                  for raw in broker.lrange(settings.CELERY_TASK_DEFAULT_QUEUE, 0, -1))


def test_a_burst_of_signups_wakes_the_dispatcher_once_and_every_confirmation_goes_out(
    celery_worker_factory, smtp_inbox
):
    shift = shift_in_days(capacity=100)

    signups = sign_up(shift, 100)  # 100 commits, each owing a confirmation sent at once

    assert queued_tasks() == ["volunteers.dispatch_messages"]
    celery_worker_factory()
    wait_until(lambda: len(smtp_inbox.messages) >= 100 and all_delivered(), timeout=60,
               what="100 confirmations")
    time.sleep(0.5)
    confirmations = subjects(smtp_inbox.messages, "You're signed up")
    assert sorted(email["To"] for email in confirmations) == sorted(
        signup.volunteer.email for signup in signups)
    assert len(set(message_ids(confirmations))) == 100
    # Woken again after the dispatcher started: a new wake-up, not a lost one.
    person = UserFactory()
    signup_create(shift=shift_in_days(days=6), volunteer=person, by=person)
    wait_until(lambda: len(smtp_inbox.messages) == 101, what="the next confirmation")


def test_dispatcher_keeps_a_bounded_number_of_batches_waiting(celery_worker_factory):
    """No worker listening: a run publishes batches until ``batches_ahead`` tasks wait in the
    queue; the next publishes nothing; once workers have taken them, the rest goes."""
    import redis
    from django.conf import settings

    from volunteers import outbox

    for person in UserFactory.create_batch(25):
        outbox.welcome(person)  # one wake-up of the dispatcher for all 25
    assert queued_tasks() == ["volunteers.dispatch_messages"]

    assert delivery.messages_dispatch(batch_size=10, batches_ahead=3) == 20
    assert queued_tasks() == ["volunteers.dispatch_messages"] + ["volunteers.send_messages"] * 2
    assert delivery.messages_dispatch(batch_size=10, batches_ahead=3) == 0
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(settings.CELERY_TASK_DEFAULT_QUEUE)
    assert delivery.messages_dispatch(batch_size=10, batches_ahead=3) == 5
    assert not Message.objects.filter(claimed_at__isnull=True).exists()


def test_a_full_batch_wakes_the_dispatcher_for_the_next_one(
    celery_worker_factory, smtp_inbox, settings
):
    """No cap per minute: with batches of 10 and one batch allowed to wait, 45 due reminders
    all go out after one dispatcher run (beat's), each full batch waking the next run."""
    shift = shift_in_days(capacity=45)
    sign_up(shift, 45)
    celery_worker_factory(env_overrides={"MESSAGE_BATCH_SIZE": "10",
                                         "MESSAGE_BATCHES_AHEAD": "1"})
    wait_until(lambda: len(smtp_inbox.messages) >= 45 and all_delivered(), timeout=60,
               what="confirmations")
    smtp_inbox.messages.clear()
    assert make_reminders_due() == 90

    assert delivery.messages_dispatch(batch_size=10, batches_ahead=1) == 10
    wait_until(lambda: Message.objects.filter(kind=Kind.REMINDER, status="sent").count() == 90,
               timeout=60, what="every reminder sent")
    time.sleep(0.5)
    assert len(set(message_ids(smtp_inbox.messages))) == len(smtp_inbox.messages) == 90


# --- Redis stopped while volunteers sign up ------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SpareRedis:
    """A redis-server of this test's own on another port, so that it can be stopped without
    touching the shared one."""

    def __init__(self):
        if shutil.which("redis-server") is None:
            missing_service("this test needs the redis-server program to stop and start")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL)
        wait_until(self.answers, timeout=10, what="redis-server")

    def answers(self) -> bool:
        from config.env import redis_reachable

        return redis_reachable(self.url)

    def stop(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"],
                       capture_output=True, check=False)
        if self.process is not None:
            self.process.wait(timeout=10)


@contextmanager
def publishing_to(url: str):
    """Point this process's Celery producer at ``url`` (dropping pooled connections)."""
    from config.celery import app

    saved = (app.conf.broker_url, app.conf.broker_write_url)

    def switch(read: str, write: str | None) -> None:
        app.conf.broker_url, app.conf.broker_write_url = read, write
        app._after_fork()  # forget pooled connections to the previous broker

    switch(url, url)
    try:
        yield
    finally:
        switch(*saved)


def test_signups_while_redis_is_down_are_fast_and_lose_nothing(
    celery_worker_factory, smtp_inbox, client
):
    redis_server = SpareRedis()
    redis_server.start()
    try:
        with publishing_to(redis_server.url):
            celery_worker_factory(env_overrides={"REDIS_URL": redis_server.url})
            shift = shift_in_days()
            first = UserFactory()
            signup_create(shift=shift, volunteer=first, by=first)
            wait_until(lambda: len(smtp_inbox.messages) == 1, what="the first confirmation")

            redis_server.stop()
            timings = []
            for person in UserFactory.create_batch(5):
                client.force_login(person)
                began = time.monotonic()
                response = client.post(reverse("shift_signup", args=[shift.pk]))
                timings.append(time.monotonic() - began)
                assert response.status_code in (200, 302)
            assert Message.objects.filter(kind=Kind.CONFIRMATION).count() == 6
            assert max(timings) < 1.0, timings
            # A dispatcher run while the broker is down hands over one batch, cannot publish
            # it, releases it and stops (no loop): the rows wait, unclaimed, in PostgreSQL.
            began = time.monotonic()
            assert delivery.messages_dispatch() == 5
            assert time.monotonic() - began < 5
            assert not Message.objects.filter(status=Message.Status.PENDING,
                                              claimed_at__isnull=False).exists()

            redis_server.start()
            delivery.messages_dispatch()  # beat's next run
            wait_until(lambda: len(smtp_inbox.messages) >= 6 and all_delivered(), timeout=60,
                       what="confirmations after Redis came back")
            time.sleep(1)
    finally:
        redis_server.stop()

    confirmations = subjects(smtp_inbox.messages, "You're signed up")
    assert len(confirmations) == 6
    assert len({email["To"] for email in confirmations}) == 6
