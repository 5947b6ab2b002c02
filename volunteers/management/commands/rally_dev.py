import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from config.env import redis_reachable


class Command(BaseCommand):
    help = "Serve Rally for development, with a Celery worker and beat when Redis is reachable."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        env = dict(os.environ)
        worker = None
        if redis_reachable(settings.CELERY_BROKER_URL):
            self.stdout.write(f"Redis is up at {settings.CELERY_BROKER_URL}: "
                              "starting a Celery worker with beat beside the web server.")
            env["CELERY_TASK_ALWAYS_EAGER"] = "false"
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--beat",
                 "--loglevel=INFO", "--concurrency=2",
                 "--schedule", os.path.join(settings.BASE_DIR, ".celerybeat-schedule")],
                env=env,
            )
        else:
            self.stdout.write(self.style.WARNING(
                f"Redis is not reachable at {settings.CELERY_BROKER_URL}: no worker or beat; "
                "tasks run inside the web process (CELERY_TASK_ALWAYS_EAGER)."))
            env["CELERY_TASK_ALWAYS_EAGER"] = "true"
        env["RALLY_EAGER_NOTICE"] = "1"
        try:
            subprocess.call([sys.executable, "manage.py", "runserver", addrport], env=env)
        except KeyboardInterrupt:
            pass
        finally:
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=15)
