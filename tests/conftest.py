"""Shared fixtures: real services (PostgreSQL, Redis, a Celery worker, an SMTP server).

A test marked ``postgres`` or ``redis`` is skipped with its reason on a laptop without the
service, and fails in CI (``CI=true``), where a missing service is a broken build."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from config.env import redis_reachable

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing_service(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres"):
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            missing_service("this test needs PostgreSQL: set DATABASE_URL=postgres://…")
    if item.get_closest_marker("redis") and not redis_reachable(settings.CELERY_BROKER_URL):
        missing_service(f"this test needs Redis at {settings.CELERY_BROKER_URL}")


@pytest.fixture(autouse=True)
def _english_and_clean_cache(settings):
    from django.core.cache import cache
    from django.utils import translation

    cache.clear()
    translation.activate("en")
    # Celery keeps "we are inside a worker" in a process-wide flag that something in a
    # test process can leave set; each test starts as the web process it stands for.
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield
    translation.deactivate()


class SmtpInbox:
    """An aiosmtpd server on loopback that keeps every message it receives. Set ``reply``
    (e.g. "451 4.3.0 Try again later") to refuse messages instead, and ``delay`` (seconds)
    to make each message take that long before it is accepted."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        self.reply: str | None = None
        self.delay: float = 0.0
        # How many messages the server is in the middle of taking (inside DATA) right now.
        self.taking = 0
        inbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                import asyncio
                from email import message_from_bytes
                from email.policy import default

                inbox.taking += 1
                try:
                    if inbox.delay:
                        await asyncio.sleep(inbox.delay)
                    if inbox.reply:
                        return inbox.reply
                    inbox.messages.append(message_from_bytes(envelope.content, policy=default))
                    return "250 OK"
                finally:
                    inbox.taking -= 1

        # aiosmtpd connects to its own port to check it is up, so port 0 cannot be used:
        # take a free port from the OS first.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def wait_for(self, count: int, timeout: float = 20.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.messages)


@pytest.fixture
def spare_redis():
    """A started redis-server of this test's own on a free port (the outbox tests' SpareRedis),
    which the test may stop and start again on the same port; shut down at the end."""
    from tests.notifications.test_worker import SpareRedis

    server = SpareRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_inbox():
    inbox = SmtpInbox().start()
    yield inbox
    inbox.stop()


def database_url_for_worker() -> str:
    """The URL of the test database this pytest process uses, for a worker process."""
    from django.db import connection

    params = connection.settings_dict
    if "sqlite" in params["ENGINE"]:
        return f"sqlite:///{params['NAME']}"
    user = params.get("USER") or "postgres"
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{params['NAME']}"


class Worker:
    def __init__(self, env: dict):
        self.env = env
        self.process: subprocess.Popen | None = None
        self.log_path = ROOT / f".pytest_cache/celery-worker-{os.getpid()}.log"

    def start(self, extra_args: tuple[str, ...] = ()) -> "Worker":
        self.log_path.parent.mkdir(exist_ok=True)
        # Workers of one test share the log: look for "ready." only in this one's part.
        self.log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:  # the worker keeps its own copy of the file
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
                 "--loglevel=INFO", "--without-gossip", "--without-mingle",
                 "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, *extra_args],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Celery worker exited: {self.log_path.read_text()[-2000:]}")
            if b"ready." in self.log_path.read_bytes()[self.log_start:]:
                return
            time.sleep(0.1)
        raise RuntimeError(f"Celery worker not ready: {self.log_path.read_text()[-2000:]}")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def celery_worker_factory(transactional_db, smtp_inbox):
    """Start real Celery workers (``--pool=solo``) against real Redis and this test's
    database, sending mail to ``smtp_inbox``. Tasks published by the test go to them."""
    from config.celery import app

    if not redis_reachable(settings.CELERY_BROKER_URL):
        missing_service(f"a Celery worker needs Redis at {settings.CELERY_BROKER_URL}")
    log_reset = ROOT / f".pytest_cache/celery-worker-{os.getpid()}.log"
    if log_reset.exists():
        log_reset.unlink()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_worker(),
        "EMAIL_URL": smtp_inbox.url,
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    workers: list[Worker] = []
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False

    def start(extra_args: tuple[str, ...] = (), env_overrides: dict | None = None) -> Worker:
        worker = Worker({**env, **(env_overrides or {})}).start(extra_args)
        workers.append(worker)
        return worker

    yield start
    app.conf.task_always_eager = previous
    for worker in workers:
        worker.stop()
    # Leave the shared broker clean for the next test.
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(settings.CELERY_TASK_DEFAULT_QUEUE)


@pytest.fixture
def celery_worker(celery_worker_factory):
    return celery_worker_factory()


@pytest.fixture(scope="module")
def module_transaction(django_db_setup, django_db_blocker):
    """One transaction around a whole module, rolled back at its end: rows a module-scoped
    fixture writes in it (the demo coalition, whose seeding takes seconds) are there for each
    test of the module, and each test still runs in its own savepoint (pytest-django's ``db``),
    so what one test writes is gone before the next."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        yield django_db_blocker
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(scope="module")
def seeded_demo(module_transaction):
    """``seed_demo`` once for the module (see ``module_transaction``)."""
    import io

    from django.core.management import call_command

    with module_transaction.unblock():
        call_command("seed_demo", stdout=io.StringIO())
