"""Reading Rally's configuration from environment variables.

Every setting has a laptop-safe default; production settings refuse to start without the
few that have none (see ``config/settings/production.py``).
"""

import os
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


EMAIL_SCHEMES = {
    "smtp": ("django.core.mail.backends.smtp.EmailBackend", False, False),
    "smtp+tls": ("django.core.mail.backends.smtp.EmailBackend", True, False),
    "smtp+ssl": ("django.core.mail.backends.smtp.EmailBackend", False, True),
    "consolemail": ("django.core.mail.backends.console.EmailBackend", False, False),
    "memorymail": ("django.core.mail.backends.locmem.EmailBackend", False, False),
    "dummymail": ("django.core.mail.backends.dummy.EmailBackend", False, False),
}


def email_settings(url: str) -> dict:
    """Turn ``EMAIL_URL`` (``smtp://user:password@host:port``, ``smtp+tls://…``,
    ``smtp+ssl://…``, ``consolemail://``) into Django's EMAIL_* settings."""
    parts = urlsplit(url)
    if parts.scheme not in EMAIL_SCHEMES:
        known = ", ".join(f"{scheme}://" for scheme in EMAIL_SCHEMES)
        raise ImproperlyConfigured(f"EMAIL_URL scheme {parts.scheme!r} is not one of {known}.")
    backend, use_tls, use_ssl = EMAIL_SCHEMES[parts.scheme]
    query = parse_qs(parts.query)
    timeout = int(query.get("timeout", ["10"])[0])
    return {
        "EMAIL_BACKEND": backend,
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if use_ssl else 587 if use_tls else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
        "EMAIL_TIMEOUT": timeout,
    }


def redis_reachable(url: str, timeout: float = 0.3) -> bool:
    """True when a Redis server answers PING at ``url`` within ``timeout`` seconds."""
    import redis

    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout
        )
        return bool(client.ping())
    except (redis.RedisError, OSError, ValueError):
        return False
