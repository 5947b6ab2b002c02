import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.env import redis_reachable


class Command(BaseCommand):
    help = "Serve Rally for development, with a Celery worker and beat when Redis is reachable."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        addr, port = split_addrport(addrport)
        env = dict(os.environ)
        # Links in emails and calendar UIDs point at the address actually served, unless
        # SITE_URL says otherwise.
        host = "127.0.0.1" if addr == "0.0.0.0" else addr  # noqa: S104 (a comparison)
        env.setdefault("SITE_URL", f"http://{host}:{port}")
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
            subprocess.call([sys.executable, "manage.py", "runserver", f"{addr}:{port}"],
                            env=env)
        except KeyboardInterrupt:
            pass
        finally:
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=15)


def split_addrport(addrport: str) -> tuple[str, int]:
    """``"127.0.0.1:8010"`` or ``"8010"`` → (address, port), refusing what runserver would."""
    addr, _, port = addrport.rpartition(":")
    addr = addr or "127.0.0.1"
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise CommandError(f"PORT must be a number from 1 to 65535, not {port!r} "
                           "(e.g. make run PORT=8010).")
    return addr, int(port)
