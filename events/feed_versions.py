"""What a personal calendar feed's 304 is answered from: one read from the cache (Redis in
production), so that an unchanged feed costs no query and a single round trip.

Phones poll a feed every few minutes all day. The feed's ETag is worked out from its rows in
PostgreSQL (events.feeds); the last one is kept in the cache under the feed's token (hashed)
with everyone's counter it was worked out under (``calendar-feeds-version``: any event,
shift, site or person changed). A poll whose If-None-Match is that ETag, while the counter
has not moved, gets its 304 from the copy and the counter, read together.

What changes one person's feed only (their sign-ups and RSVPs) deletes their copy instead: a
pointer ``calendar-feed-copy:<user id>`` names it, since a sign-up knows its volunteer, not
the token; ``volunteers.viewer_cache`` hears of every such change and calls ``feed_changed``
after renewing the person's own counter. That counter closes the race with a poll that read
the rows just before such a change committed: the poll reads the own counter before the rows
(its user id comes from the entry an earlier poll kept: the first poll's entry is never
served) and again after keeping its copy, and drops the copy if it moved; the change renews
the counter before it deletes the copy the pointer names. Either the poll sees the new
counter, or the change deletes the copy after it was kept. Everyone's counter is read before
the rows too, so a change committed in between leaves a copy that is already stale. With the
cache down every poll reads the rows, as before. A reset token is a change to the person, so
the old token's copy is stale at once.
"""

import hashlib
import logging

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from volunteers import viewer_cache
from volunteers.access import _versions, renew_version
from volunteers.models import User

from .models import Event, EventSeries, Shift, Site

FEEDS_VERSION_KEY = "calendar-feeds-version"
COPY_SECONDS = 15 * 60  # longer than phones wait between polls

logger = logging.getLogger(__name__)


def _own_key(user_id: int) -> str:
    # The person's own counter is volunteers.viewer_cache's: renewed after any change to
    # them, their sign-ups or RSVPs, just before ``feed_changed`` runs (a hook of it).
    return viewer_cache.version_key(user_id)


def _pointer_key(user_id: int) -> str:
    return f"calendar-feed-copy:{int(user_id)}"


def _copy_key(token: str, fingerprint: str) -> str:
    # The token is a secret: only its hash goes into a key.
    return "calendar-feed-etag:" + hashlib.sha256(f"{fingerprint}:{token}".encode()).hexdigest()


def feeds_changed() -> None:
    renew_version(FEEDS_VERSION_KEY)


def feed_changed(user_id: int) -> None:
    """After the commit of a change to one person (their sign-ups, RSVPs, their row), once
    their counter is renewed (``viewer_cache`` calls this after renewing it): delete the
    copy their pointer names (in this order: module docstring)."""
    try:
        copy_key = cache.get(_pointer_key(user_id))
        if copy_key is not None:
            cache.delete(copy_key)
    except Exception:  # the cache's outage: the copy ends with COPY_SECONDS, or the counter
        logger.warning("Could not drop a feed's kept version", exc_info=True)


viewer_cache.after_person_changed.append(feed_changed)


def remembered(token: str, fingerprint: str):
    """``(entry, version)``: what is kept for this token, ``(user_id, version, etag,
    last_modified, servable)`` or None, and everyone's counter now: one read, before any row.
    ``(None, None)`` when the cache is down."""
    copy_key = _copy_key(token, fingerprint)
    try:
        found = cache.get_many([copy_key, FEEDS_VERSION_KEY])
    except Exception:  # the cache backend's outage: read the rows
        return None, None
    return found.get(copy_key), found.get(FEEDS_VERSION_KEY, 1)


def servable(entry, version) -> bool:
    """The kept ETag still stands: kept under both counters, and everyone's has not moved
    (the person's own changes delete the entry)."""
    return entry is not None and entry[4] and entry[1] == version


def own_version(user_id: int):
    """The person's own counter, read before their rows (None with the cache down)."""
    try:
        return _versions(_own_key(user_id))[0]
    except Exception:
        return None


def remember(token: str, fingerprint: str, *, user_id: int, version, own, etag: str,
             last_modified) -> None:
    """Keep the ETag just worked out, under the counters read before the rows: ``version``
    (everyone's; None with the cache down: nothing is kept) and ``own`` (the person's, known
    only once an earlier poll told whose token this is; without it the entry only tells the
    next poll whose counter to read, and is not served). A served entry is dropped again at
    once if the person's counter moved meanwhile (module docstring)."""
    if version is None:
        return
    copy_key = _copy_key(token, fingerprint)
    try:
        cache.set(_pointer_key(user_id), copy_key, COPY_SECONDS + 60)
        cache.set(copy_key, (user_id, version, etag, last_modified, own is not None),
                  COPY_SECONDS)
        if own is not None and _versions(_own_key(user_id))[0] != own:
            cache.delete(copy_key)
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
