"""The Celery application. Workers and beat start with ``celery -A config worker|beat``."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("rally")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def dispatch_what_is_due(**kwargs) -> None:
    """A worker that starts (after a deploy, or an outage) has the outbox's due messages sent
    at once rather than at beat's next run, up to a minute later."""
    from volunteers.messaging.broker import publish_dispatch

    publish_dispatch()
