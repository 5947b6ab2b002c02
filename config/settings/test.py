"""Tests: whatever DATABASE_URL and REDIS_URL say (SQLite and no Redis by default)."""

import os
import tempfile
import uuid

from config.env import env_bool

from .base import *  # noqa: F403
from .base import DATABASES

DEBUG = False
SECRET_KEY = "test-only-secret-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Django's test outbox, unless a test hands a real SMTP server to a worker through EMAIL_URL.
if "EMAIL_URL" not in os.environ:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tasks run in-process unless a test starts a real worker (tests/conftest.py), which sets
# CELERY_TASK_ALWAYS_EAGER=false so that tasks it publishes go through Redis too.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
# A queue of its own, so that a `make run` worker on the same Redis never takes test tasks;
# with pytest-xdist (`make test` runs two processes) one per test process, whose workers it
# starts with CELERY_QUEUE already set to it.
_queue = os.environ.get("CELERY_QUEUE") or f"rally-test-{uuid.uuid4().hex[:8]}"
_xdist = os.environ.get("PYTEST_XDIST_WORKER", "")
if _xdist and not _queue.endswith(f"-{_xdist}"):
    _queue = f"{_queue}-{_xdist}"
CELERY_TASK_DEFAULT_QUEUE = os.environ["CELERY_QUEUE"] = _queue
ACCOUNT_RATE_LIMITS = False
# Off unless a test turns it on (tests/volunteers/test_viewer_cache.py, the page copies, the
# permission and privacy sweeps): a query-count test counts its page's queries on the first
# request and the next alike.
VIEWER_CACHE = False

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a Celery worker process can open the same test database.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"rally-test-{os.getpid()}.sqlite3")
    }
    DATABASES["default"]["OPTIONS"].pop("init_command", None)
