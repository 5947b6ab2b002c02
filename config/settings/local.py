"""Development on a laptop: SQLite, console email, a local Redis if one is there."""

import logging
import os

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, redis_reachable

from .base import *  # noqa: F403
from .base import CELERY_BROKER_URL

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"

if "CELERY_TASK_ALWAYS_EAGER" not in os.environ and not redis_reachable(CELERY_BROKER_URL):
    # No broker: run tasks in this process so that a laptop without Redis still works.
    CELERY_TASK_ALWAYS_EAGER = True
    if not os.environ.get("RALLY_EAGER_NOTICE"):
        os.environ["RALLY_EAGER_NOTICE"] = "1"  # inherited by runserver's reloader child
        logging.getLogger("rally").warning(
            "Redis is not reachable at %s: Celery tasks run inside the web process "
            "(CELERY_TASK_ALWAYS_EAGER) and no worker or beat is started. "
            "Start Redis and run `make run` again for the real worker.",
            CELERY_BROKER_URL,
        )
