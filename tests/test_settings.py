"""Settings read from the environment, and production refusing unsafe configurations."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import email_settings

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE",
                          "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
        capture_output=True, text=True, timeout=120,
    )


def test_production_refuses_to_start_without_secret_key():
    result = manage("check", DJANGO_SETTINGS_MODULE="config.settings.production")

    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_debug_off_on_local_settings_also_needs_a_secret_key():
    result = manage("check", DJANGO_SETTINGS_MODULE="config.settings.local", DEBUG="false")

    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_production_passes_check_deploy_without_warnings():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="x7Hq0pV_3kLr9ZmN2bT8cW1yF6dS4gJ5aE0uR7iO9pK2lQ3wX8vB1nM6zC4",
        ALLOWED_HOSTS="rally.example.org",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mailer:s%40cret@mail.example.org:2525",
         {"EMAIL_HOST": "mail.example.org", "EMAIL_PORT": 2525, "EMAIL_HOST_USER": "mailer",
          "EMAIL_HOST_PASSWORD": "s@cret", "EMAIL_USE_TLS": False}),
        ("smtp+tls://u:p@smtp.example.org", {"EMAIL_PORT": 587, "EMAIL_USE_TLS": True}),
        ("smtp+ssl://u:p@smtp.example.org", {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True}),
        ("consolemail://",
         {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
    ],
)
def test_email_url_becomes_django_settings(url, expected):
    parsed = email_settings(url)

    assert {key: parsed[key] for key in expected} == expected


def test_unknown_email_scheme_is_refused_with_the_known_ones():
    with pytest.raises(ImproperlyConfigured, match="smtp\\+tls://"):
        email_settings("pop3://example.org")


def test_without_redis_development_runs_tasks_in_process_and_says_so_once():
    code = ("from django.conf import settings; "
            "print('EAGER', settings.CELERY_TASK_ALWAYS_EAGER)")
    result = manage("shell", "-c", code, DJANGO_SETTINGS_MODULE="config.settings.local",
                    REDIS_URL="redis://127.0.0.1:1/0", RALLY_EAGER_NOTICE="")

    assert "EAGER True" in result.stdout
    assert result.stderr.count("Redis is not reachable at redis://127.0.0.1:1/0") == 1


@pytest.mark.parametrize("value, expected", [(None, "5"), ("off", "None"), ("20", "20")])
def test_postgresql_prepares_the_sign_up_statements_unless_told_not_to(value, expected):
    """DATABASE_PREPARE_THRESHOLD: the runs after which PostgreSQL prepares a statement of
    volunteers.rows.cursor on one connection (5), or "off" behind a pooler that cannot keep
    prepared statements."""
    env = {"DATABASE_URL": "postgres://rally@db.internal:5432/rally"}
    if value is not None:
        env["DATABASE_PREPARE_THRESHOLD"] = value
    result = manage("shell", "-c", "from django.conf import settings; "
                    "print(settings.DATABASES['default']['OPTIONS']['prepare_threshold'])",
                    DJANGO_SETTINGS_MODULE="config.settings.local", **env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected
