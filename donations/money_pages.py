"""The treasurers' pages' shared parts, kept in the cache (issue 13).

The dashboard of a drive is the same for every treasurer who opens it, and costs tens of
milliseconds to compute and render; it changes only when a row it shows changes. So it is
rendered once per change and kept with the values of two counters read before rendering it:
the drive's own (bumped after the commit of any change to a money row of the drive: a count,
an agreed count, a deposit, a bank match, an adjustment, a reconciliation, a card gift...)
and one for every drive (bumped by what carries no drive: a bucket, a custody step, a team's,
a site's or a person's name), with today's date (the age of undeposited cash is counted in
days), per language. donations/receivers_money.py bumps the counters. A kept copy is used
only while both counters still have the values it was stored with: the bump runs after the
commit, and the counters are read before the rows, so a copy rendered from rows older than a
committed change is never used once the change's bump is done (before the view that made the
change answers).

Nothing is only in the cache. When it does not answer (config.cache: every read is a miss),
the counters cannot be read and the page is rendered for each request; a bump lost in an
outage is outlived by the copies' one-minute lifetime. A counter starts at the current time
in nanoseconds, not at 1, so a counter lost from the cache (evicted) never comes back to a
value an older copy was stored with."""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.utils import timezone, translation

logger = logging.getLogger(__name__)

MONEY_VERSION_KEY = "money-pages-version"
# How long a rendered copy is kept at most (it is replaced at once after a change).
MONEY_PAGES_SECONDS = 60


def _counter(event_id: int | None) -> str:
    return MONEY_VERSION_KEY if event_id is None else f"{MONEY_VERSION_KEY}:{event_id}"


def money_pages_changed(event_id: int | None = None) -> None:
    """A change to the money of drive ``event_id`` (None: of any drive) makes the cached
    parts of its treasurers' pages stale. Runs after a commit, so it never raises."""
    key = _counter(event_id)
    try:
        try:
            cache.incr(key)
        except ValueError:  # not there (yet, or evicted): a value no copy was stored under
            cache.set(key, time.time_ns(), timeout=None)
    except Exception:  # any cache backend's outage; the committed change stands
        logger.warning("Could not mark the money pages of %s as changed", event_id or "all",
                       exc_info=True)


def kept_part(name: str, event_id: int, render):
    """What ``render()`` returns for drive ``event_id``, from the cache when nothing it shows
    has changed since it was stored, else rendered and stored. One round trip to the cache
    on a hit: the part is stored with the counters read before it was rendered, and is used
    only while both counters (and the day) still have those values. When the cache does not
    answer, ``render()`` every time."""
    counters = [_counter(None), _counter(event_id)]
    key = f"money-page:{name}:{event_id}:{translation.get_language()}"
    found = cache.get_many([*counters, key])
    if any(counter not in found for counter in counters):
        for counter in counters:
            if counter not in found:
                cache.add(counter, time.time_ns(), timeout=None)
        found = cache.get_many(counters)
        if len(found) < len(counters):
            return render()
    stamp = (found[counters[0]], found[counters[1]], timezone.localdate().isoformat())
    kept = found.get(key)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    part = render()
    cache.set(key, (stamp, part), MONEY_PAGES_SECONDS)
    return part
