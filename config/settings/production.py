"""Production: DEBUG off, a secret key required, HTTPS everywhere, Redis cache."""

from django.core.exceptions import ImproperlyConfigured

from config.cache import redis_cache
from config.env import env_bool, env_int

from .base import *  # noqa: F403
from .base import REDIS_URL, SECRET_KEY

DEBUG = env_bool("DEBUG", False)
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is required when DEBUG is off: set it to a long random string, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Redis down is an empty cache, not an error (config/cache.py, README "When Redis is down").
CACHES = {"default": redis_cache(REDIS_URL)}
# Sessions are read from Redis and written to both Redis and PostgreSQL: a logged-in page
# costs one query fewer, and with Redis down sessions are read from PostgreSQL as before.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
