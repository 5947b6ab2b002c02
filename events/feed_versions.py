"""What a personal calendar feed's 304 is answered from: two counters in the cache (Redis in
production), so that an unchanged feed costs no query at all.

Phones poll a feed every few minutes all day. The feed's ETag is worked out from its rows in
PostgreSQL (events.feeds); the last one is kept in the cache under the feed's token with the
two counters it was worked out under: everyone's (``calendar-feeds-version``: any event, shift,
site or person changed) and the volunteer's own (their sign-ups and RSVPs). A poll whose
If-None-Match is that ETag, while neither counter moved, gets its 304 from the cache.

The counters are read before the rows, so a change committed in between leaves a copy whose
counters are already stale: it is never served. With the cache down every poll reads the rows,
as before. A reset token is a change to the person, so the old token's copy is stale at once.
"""

import hashlib
import logging

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from volunteers.access import _versions, renew_version
from volunteers.models import Signup, User

from .models import Event, EventSeries, Rsvp, Shift, Site

FEEDS_VERSION_KEY = "calendar-feeds-version"
COPY_SECONDS = 15 * 60  # longer than phones wait between polls

logger = logging.getLogger(__name__)


def _own_key(user_id: int) -> str:
    return f"calendar-feed-version:{int(user_id)}"


def _copy_key(token: str, fingerprint: str) -> str:
    # The token is a secret: only its hash goes into a key.
    return "calendar-feed-etag:" + hashlib.sha256(f"{fingerprint}:{token}".encode()).hexdigest()


def feeds_changed() -> None:
    renew_version(FEEDS_VERSION_KEY)


def feed_changed(user_id: int) -> None:
    renew_version(_own_key(user_id))


def remembered(token: str, fingerprint: str):
    """``(copy, versions)``: the kept ``(user_id, versions, etag, last_modified)`` of this
    token (or None) and the counters now (None without a copy), read before any row."""
    try:
        copy = cache.get(_copy_key(token, fingerprint))
        if copy is None:
            return None, None
        return copy, tuple(_versions(FEEDS_VERSION_KEY, _own_key(copy[0])))
    except Exception:  # the cache backend's outage: read the rows
        return None, None


def remember(token: str, fingerprint: str, *, user_id: int, versions, etag: str,
             last_modified) -> None:
    """Keep the ETag just worked out; ``versions`` are the counters read before the rows
    (None when they were not known then: the next poll reads them first)."""
    try:
        cache.set(_copy_key(token, fingerprint), (user_id, versions, etag, last_modified),
                  COPY_SECONDS)
    except Exception:
        logger.warning("Could not keep a feed's version", exc_info=True)


@receiver([post_save, post_delete], sender=Event)
@receiver([post_save, post_delete], sender=EventSeries)
@receiver([post_save, post_delete], sender=Shift)
@receiver([post_save, post_delete], sender=Site)
def _everyones_feed_changed(sender, **kwargs):
    transaction.on_commit(feeds_changed)


@receiver([post_save, post_delete], sender=User)
def _person_changed(sender, update_fields=None, **kwargs):
    # A login stamps last_login: nothing a feed shows.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    transaction.on_commit(feeds_changed)


@receiver([post_save, post_delete], sender=Signup)
def _signup_changed(sender, instance, **kwargs):
    volunteer_id = instance.volunteer_id
    transaction.on_commit(lambda: feed_changed(volunteer_id))


@receiver([post_save, post_delete], sender=Rsvp)
def _rsvp_changed(sender, instance, **kwargs):
    user_id = instance.user_id
    transaction.on_commit(lambda: feed_changed(user_id))
