"""The reminder run: N due reminders through a real Celery worker and beat, against plain
smtplib over one connection, both to the same SMTP server on loopback, in one run.

    DATABASE_URL=… REDIS_URL=… CELERY_QUEUE=… python bench/reminders.py --count 10000

DATABASE_URL names a database the caller has migrated; this script adds its own rows (an event,
shifts, N volunteers with verified addresses, one confirmed sign-up each, and the reminders
``volunteers.outbox`` plans for them, then made due now). Steps:

1. an aiosmtpd server on loopback (in this process) counts what it receives by Message-ID;
2. plain smtplib, in a process of its own, sends N copies of one rendered reminder (each with
   its own Message-ID) over one connection: ``smtplib_rate``;
3. ``celery worker --concurrency 2`` (``--concurrency N`` for another) and ``celery beat``
   start with the caller's settings
   module (production by default) and EMAIL_URL pointing at the server; nothing else calls
   the dispatcher: it runs as production runs it (when a worker starts, every minute from
   beat, and whenever a worker finishes a full batch). ``first_after_s`` is the time from
   starting them to the first reminder received (their start-up included); ``seconds`` runs
   from that first reminder to the last row marked sent, and ``rally_rate`` is N over it;
4. every row must be SENT and received exactly once: ``lost`` and ``duplicates``.

Prints one JSON object on stdout (progress goes to stderr)."""

import argparse
import json
import os
import re
import secrets
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SENDER = "Rally <noreply@example.org>"
MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*<([^>]+)>", re.IGNORECASE | re.MULTILINE)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An SMTP server on loopback, in a process of its own (like the clients it measures),
    that counts messages by their Message-ID: found with a regular expression (the least work
    a server can do), or, with ``parse``, read from the whole message parsed as the test
    suite's inbox does (tests/conftest.py)."""

    def __init__(self, *, parse: bool = False):
        import multiprocessing

        self.port = free_port()
        self.parse = parse
        self.control, child = multiprocessing.get_context("spawn").Pipe()
        self.process = multiprocessing.get_context("spawn").Process(
            target=serve_smtp, args=(child, self.port, parse), daemon=True)

    def start(self) -> "Inbox":
        self.process.start()
        self._ask("ping")
        return self

    def stop(self) -> None:
        self._ask("stop")
        self.process.join(timeout=10)

    def reset(self) -> None:
        self._ask("reset")

    def received(self) -> int:
        return sum(self.snapshot()[0].values())

    def snapshot(self) -> tuple[dict[bytes, int], float | None]:
        """How many times each Message-ID arrived, and when the first message arrived
        (``time.monotonic``, the same clock in every process)."""
        return self._ask("snapshot")

    def _ask(self, command: str):
        self.control.send(command)
        return self.control.recv()


def serve_smtp(control, port: int, parse: bool) -> None:
    """The inbox's process: serve SMTP on ``port`` until told to stop."""
    from aiosmtpd.controller import Controller

    lock = threading.Lock()
    state = {"counts": {}, "first_at": None}

    def message_id(content: bytes) -> bytes:
        if parse:
            from email import message_from_bytes
            from email.policy import default

            found = message_from_bytes(content, policy=default)["Message-ID"] or ""
            return found.strip().strip("<>").encode()
        found = MESSAGE_ID.search(content)
        return found.group(1) if found else b""

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            key = message_id(envelope.content)
            now = time.monotonic()
            with lock:
                state["counts"][key] = state["counts"].get(key, 0) + 1
                if state["first_at"] is None:
                    state["first_at"] = now
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    while True:
        command = control.recv()
        with lock:
            if command == "reset":
                state["counts"], state["first_at"] = {}, None
            answer = (dict(state["counts"]), state["first_at"])
        if command == "stop":
            controller.stop()
            control.send(None)
            return
        control.send(answer)


# --- The rows: what the app plans for N confirmed sign-ups -----------------------------


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    import django

    django.setup()


def make_due_reminders(count: int, *, per_shift: int = 100) -> list[int]:
    """N volunteers (verified address, reminders on), one confirmed sign-up each on shifts of
    a published event two days ahead with one reminder offset; the outbox plans their
    reminders (``_plan_reminders``), which are then made due now. Returns the rows' ids."""
    import datetime

    from allauth.account.models import EmailAddress
    from django.db import connection, transaction
    from django.utils import timezone

    from events.models import Event, EventKind, Shift, ShiftRole
    from volunteers import outbox
    from volunteers.messaging.kinds import Kind
    from volunteers.models import Message, Signup, User

    run = secrets.token_hex(4)
    start = (timezone.now() + datetime.timedelta(days=2)).replace(minute=0, second=0,
                                                                 microsecond=0)
    with transaction.atomic():
        event = Event.objects.create(
            kind=EventKind.FUNDRAISER, title=f"Reminder run {run}", venue_name="Peoples Church",
            address="7172 N Cedar Ave, Fresno, CA 93720", starts_at=start,
            ends_at=start + datetime.timedelta(hours=12), status=Event.Status.PUBLISHED,
            what_to_bring="Water, a hat, sunscreen.", reminder_offsets=[60],
        )
        shifts = Shift.objects.bulk_create(
            Shift(event=event, role=ShiftRole.COLLECTOR, title=f"Corner {i + 1}",
                  starts_at=start + datetime.timedelta(minutes=30 * (i % 12)),
                  ends_at=start + datetime.timedelta(minutes=30 * (i % 12) + 120),
                  needed=per_shift, capacity=per_shift)
            for i in range((count + per_shift - 1) // per_shift)
        )
        people = User.objects.bulk_create(
            User(email=f"remind-{run}-{i}@example.org", display_name=f"Volunteer {i}",
                 confirmed_adult=True, phone="(559) 555-0100",
                 calendar_token=f"remind-{run}-{i}")
            for i in range(count)
        )
        EmailAddress.objects.bulk_create(
            EmailAddress(user=p, email=p.email, verified=True, primary=True) for p in people
        )
        signups = Signup.objects.bulk_create(
            Signup(shift=shifts[i // per_shift], volunteer=person, status="confirmed",
                   confirmed_at=timezone.now())
            for i, person in enumerate(people)
        )
        for signup in signups:
            signup.shift.event = event
        outbox._plan_reminders(signups)
    rows = Message.objects.filter(kind=Kind.REMINDER, event=event)
    # Due now, and before anything else already due in the caller's database (the sign-up
    # rush's confirmations), so that the workers send these first.
    due = timezone.now() - datetime.timedelta(seconds=1)
    earliest = (Message.objects.filter(status=Message.Status.PENDING, due_at__lte=due)
                .exclude(event=event).order_by("due_at").values_list("due_at", flat=True)
                .first())
    if earliest is not None:
        due = min(due, earliest - datetime.timedelta(seconds=1))
    rows.update(due_at=due)
    if connection.vendor == "postgresql":
        # Thousands of rows just written in bulk: the planner's statistics, as autovacuum
        # would bring them up to date in a database that grew at a coalition's pace (stale,
        # they lead it to scan every address for each batch's verified-address check).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return list(rows.values_list("pk", flat=True))


def sample_message(message_id: int) -> bytes:
    """One of the reminders, rendered by the app as it would be sent (CRLF line ends)."""
    from django.utils import timezone

    from volunteers.messaging.render import load, message_email

    email = message_email(load(message_id), now=timezone.now())
    return email.message().as_bytes(linesep="\r\n")


# --- Plain smtplib (a process of its own, like the workers) ----------------------------


def smtplib_client(port: int, count: int, path: str) -> None:
    """Send ``count`` copies of the message in ``path``, each with its own Message-ID, over
    one connection; print the seconds it took."""
    template = Path(path).read_bytes()
    found = MESSAGE_ID.search(template)
    head, tail = template[:found.start(1)], template[found.end(1):]
    recipient = "volunteer@example.org"
    began = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for n in range(count):
            smtp.sendmail(SENDER, [recipient], head + b"smtplib-%d@bench" % n + tail)
    print(time.perf_counter() - began)


def smtplib_rate(inbox: Inbox, sample: bytes, count: int) -> float:
    with tempfile.NamedTemporaryFile(suffix=".eml", delete=False) as file:
        file.write(sample)
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--smtplib-client", str(inbox.port), "--count", str(count),
             "--message", file.name], check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(file.name)
    seconds = float(out.strip().splitlines()[-1])
    received = inbox.received()
    if received != count:
        raise RuntimeError(f"smtplib sent {count} messages but the server got {received}")
    return count / seconds


# --- Rally: a real worker and beat --------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live children (the prefork pool)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    pids += [int(child) for child in children]
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def start_celery(args: list[str], env: dict, log_path: Path, ready: bytes) -> subprocess.Popen:
    with open(log_path, "ab") as out:
        # BENCH_CELERY_APP: another app module wrapping config.celery (to profile the worker).
        app = os.environ.get("BENCH_CELERY_APP", "config")
        process = subprocess.Popen([sys.executable, "-m", "celery", "-A", app, *args],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"celery {args[0]} exited:\n{log_path.read_text()[-3000:]}")
        if ready in log_path.read_bytes():
            return process
        time.sleep(0.1)
    raise RuntimeError(f"celery {args[0]} not ready:\n{log_path.read_text()[-3000:]}")


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def rally_run(inbox: Inbox, ids: list[int], *, timeout: float, workdir: Path,
              log_path: Path, concurrency: int) -> dict:
    import redis
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count

    from events.calendar import calendar_domain
    from volunteers.models import Message

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    stale = [queue]
    try:
        from volunteers.messaging.broker import wake_up_key

        stale.append(wake_up_key())
    except ImportError:  # measuring a Rally from before coalesced wake-ups
        pass
    # Nothing left from before: no queued task, no dispatcher wake-up marked as pending.
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(*stale)
    env = {**os.environ, "EMAIL_URL": f"smtp://127.0.0.1:{inbox.port}",
           "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING")}
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    worker = beat = None
    # Polled by its event: a short query, not one naming 10,000 ids four times a second.
    rows = Message.objects.filter(event_id=Message.objects.get(pk=ids[0]).event_id,
                                  kind="reminder")
    began = time.monotonic()  # the reminders are due from here on
    try:
        worker = start_celery(
            ["worker", "--concurrency", str(concurrency), "-Q", queue, "--without-gossip",
             "--without-mingle", "--loglevel", "INFO", "-n", f"bench-{secrets.token_hex(3)}@%h"],
            env, log_path, b"ready.")
        beat = start_celery(
            ["beat", "--loglevel", "INFO", "-s", str(workdir / "celerybeat-schedule")],
            env, log_path, b"beat: Starting")
        cpu_before = cpu_seconds(worker.pid)
        log(f"worker (concurrency {concurrency}) and beat started")
        done_at = None
        while time.monotonic() - began < timeout:
            left = rows.exclude(status=Message.Status.SENT).count()
            if left == 0:
                done_at = time.monotonic()
                break
            if worker.poll() is not None or beat.poll() is not None:
                raise RuntimeError(f"celery stopped:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.25)
        cpu = cpu_seconds(worker.pid) - cpu_before
        time.sleep(1.0)  # a late duplicate would arrive now
    finally:
        stop(beat)
        stop(worker)
        connection.close()
    statuses = dict(rows.values_list("status").annotate(n=Count("pk")))
    expected = {f"message-{pk}@{calendar_domain()}".encode() for pk in ids}
    counts, first_at = inbox.snapshot()
    got = {key for key in counts if key in expected}
    duplicates = sum(counts[key] - 1 for key in got)
    sent = statuses.get(Message.Status.SENT, 0)
    seconds = (done_at - first_at) if done_at and first_at else None
    return {
        "sent": sent, "lost": len(expected - got), "duplicates": duplicates,
        "unexpected": sum(n for key, n in counts.items() if key not in expected),
        "statuses": statuses,
        "seconds": round(seconds, 2) if seconds else None,
        "first_after_s": round(first_at - began, 2) if first_at else None,
        "total_s": round(done_at - began, 2) if done_at else None,
        "rally_rate": round(len(ids) / seconds, 1) if seconds else 0.0,
        "worker_cpu_ms_per_message": round(1000 * cpu / max(sent, 1), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="give up waiting for the worker after this many seconds")
    parser.add_argument("--parse", action="store_true",
                        help="the SMTP server parses each message (as the tests' inbox does)")
    parser.add_argument("--log", help="keep the worker's and beat's log in this file")
    parser.add_argument("--concurrency", type=int, default=2,
                        help="the worker's --concurrency (child processes)")
    parser.add_argument("--smtplib-client", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--message", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smtplib_client:
        smtplib_client(args.smtplib_client, args.count, args.message)
        return

    setup_django()
    log(f"creating {args.count} due reminders")
    ids = make_due_reminders(args.count)
    inbox = Inbox(parse=args.parse).start()
    try:
        sample = sample_message(ids[0])
        baseline = smtplib_rate(inbox, sample, args.count)
        log(f"smtplib over one connection: {baseline:.0f}/s")
        inbox.reset()
        with tempfile.TemporaryDirectory(prefix="rally-reminders-") as workdir:
            log_path = Path(args.log) if args.log else Path(workdir) / "celery.log"
            result = rally_run(inbox, ids, timeout=args.timeout, workdir=Path(workdir),
                               log_path=log_path, concurrency=args.concurrency)
    finally:
        inbox.stop()
    result = {"smtplib_rate": round(baseline, 1), **result}
    result["ratio"] = round(result["rally_rate"] / baseline, 3) if baseline else None
    ordered = {key: result.pop(key) for key in (
        "smtplib_rate", "rally_rate", "sent", "lost", "duplicates", "seconds", "first_after_s")}
    print(json.dumps({**ordered, **result}))


if __name__ == "__main__":
    main()
