"""The production cache: Django's Redis cache that treats an unreachable Redis as an empty cache.

Rally's cache holds nothing that is not also somewhere else: rendered public pages (rendered
again on a miss), the public-pages version (a missed bump is outlived by the pages' one-minute
lifetime) and allauth's rate-limit counters. So when Redis stops answering, every read is a
miss, every write is dropped, ``add`` reports success (allauth's rate-limit lock is then taken
and its limits fail open) and ``incr`` says the key is missing; nothing raises into a view.

Failures are quick and quiet: after a failure this process does not try Redis again for
``RETRY_AFTER`` seconds (OPTIONS, default 5), so a Redis that hangs costs one connect timeout
per process every few seconds, not one per cache call; the outage is logged once as a warning
when it begins and once when Redis answers again.
"""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import urlsplit

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("rally.cache")

OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)
DEFAULT_RETRY_AFTER = 5.0


def redis_cache(url: str, *, retry_after: float = DEFAULT_RETRY_AFTER) -> dict:
    """The CACHES entry of production settings for the Redis at ``url``."""
    return {
        "BACKEND": "config.cache.OutageTolerantRedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "rally",
        # Redis is on the private network and answers in a millisecond; a server that does
        # not answer within half a second is treated as down for RETRY_AFTER seconds.
        "OPTIONS": {
            "socket_connect_timeout": 0.5,
            "socket_timeout": 0.5,
            "RETRY_AFTER": retry_after,
        },
    }


class _Outage:
    """Per process and per Redis address: is Redis believed down, and until when to wait
    before trying it again. Shared by the threads of a process (Django makes one cache object
    per thread)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.down = False
        self.retry_at = 0.0

    def skipping(self) -> bool:
        return self.down and time.monotonic() < self.retry_at

    def failed(self, where: str, error: Exception, retry_after: float) -> None:
        with self.lock:
            first = not self.down
            self.down = True
            self.retry_at = time.monotonic() + retry_after
        if first:
            logger.warning(
                "Redis cache at %s is unreachable (%s: %s). Pages render without the cache and "
                "login/sign-up rate limits are off until it answers again; retrying every %ss.",
                where, type(error).__name__, error, retry_after,
            )

    def answered(self, where: str) -> None:
        if not self.down:
            return
        with self.lock:
            was_down, self.down = self.down, False
        if was_down:
            logger.warning("Redis cache at %s answers again; caching and rate limits resume.",
                           where)


_outages: dict[str, _Outage] = {}
_outages_lock = threading.Lock()


def _outage_for(location: str) -> _Outage:
    with _outages_lock:
        return _outages.setdefault(location, _Outage())


def _address(location) -> str:
    """host:port of the first server, without any password, for log lines."""
    first = location if isinstance(location, str) else location[0]
    first = first.split(",")[0].split(";")[0]
    parts = urlsplit(first)
    return f"{parts.hostname}:{parts.port or 6379}"


class _ReusedClients(RedisCacheClient):
    """Django builds a new ``redis.Redis`` around the connection pool for every cache call;
    building one sets up ~170 response callbacks, the costliest line of a cached page's
    profile. One client per pool serves every call (redis-py clients are thread-safe: each
    command takes a connection from the pool)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class OutageTolerantRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        self.retry_after = float(options.pop("RETRY_AFTER", DEFAULT_RETRY_AFTER))
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = _ReusedClients
        self.where = _address(server)
        self.outage = _outage_for(str(server))

    def _guarded(self, call, fallback):
        if self.outage.skipping():
            return fallback()
        try:
            result = call()
        except OUTAGE_ERRORS as error:
            self.outage.failed(self.where, error, self.retry_after)
            return fallback()
        self.outage.answered(self.where)
        return result

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(lambda: super(OutageTolerantRedisCache, self).add(
            key, value, timeout, version), lambda: True)

    def get(self, key, default=None, version=None):
        return self._guarded(lambda: super(OutageTolerantRedisCache, self).get(
            key, default, version), lambda: default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(lambda: super(OutageTolerantRedisCache, self).set(
            key, value, timeout, version), lambda: None)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(lambda: super(OutageTolerantRedisCache, self).touch(
            key, timeout, version), lambda: False)

    def delete(self, key, version=None):
        return self._guarded(lambda: super(OutageTolerantRedisCache, self).delete(
            key, version), lambda: False)

    def get_many(self, keys, version=None):
        return self._guarded(lambda: super(OutageTolerantRedisCache, self).get_many(
            keys, version), dict)

    def has_key(self, key, version=None):
        return self._guarded(lambda: super(OutageTolerantRedisCache, self).has_key(
            key, version), lambda: False)

    def incr(self, key, delta=1, version=None):
        def missing():
            raise ValueError(f"Key '{key}' not found (Redis is unreachable).")

        return self._guarded(lambda: super(OutageTolerantRedisCache, self).incr(
            key, delta, version), missing)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(lambda: super(OutageTolerantRedisCache, self).set_many(
            data, timeout, version), lambda: list(data))

    def delete_many(self, keys, version=None):
        return self._guarded(lambda: super(OutageTolerantRedisCache, self).delete_many(
            keys, version), lambda: None)

    def clear(self):
        return self._guarded(lambda: super(OutageTolerantRedisCache, self).clear(),
                             lambda: False)
