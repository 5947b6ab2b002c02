"""View guards: anonymous visitors are sent to log in, the wrong role gets 403; public pages
may be cached for anonymous visitors only.

The cache is only ever a shortcut here. In production it is ``config.cache``'s Redis cache,
which answers "not there" while Redis is down: pages are then rendered for every visitor and
version bumps are lost. A lost bump leaves no stale page behind for long, because every cached
page expires ``PUBLIC_MAX_AGE`` seconds after it was stored, the same minute browsers and
shared caches are allowed to keep it anyway."""

import logging
import secrets
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers

PUBLIC_MAX_AGE = 60

logger = logging.getLogger(__name__)


def role_required(predicate):
    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not predicate(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return guarded

    return decorator


PUBLIC_VERSION_KEY = "public-pages-version"


# The street-drive pages (sites board, drive-day view) also show sites, permits, teams,
# captains, ages and bucket custody: their own counter, bumped by those changes too.
DRIVE_VERSION_KEY = "drive-pages-version"


def _event_version_key(event_id: int) -> str:
    return f"event-pages-version:{int(event_id)}"


def _versions(*keys: str) -> list[int]:
    """The versions at ``keys`` in one round trip; one never set (or lost with Redis) is 1."""
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, 1, timeout=None)
    return [found.get(key, 1) for key in keys]


def public_pages_version() -> int:
    return cache.get_or_set(PUBLIC_VERSION_KEY, 1, timeout=None)


def event_pages_version(event_id: int) -> int:
    """One event's own version: what is cached about that event alone (its page, its
    board, its drive day, its public total, the shared part of its page for logged-in
    visitors) is stale after any change to the event, its shifts, sign-ups or RSVPs."""
    return cache.get_or_set(_event_version_key(event_id), 1, timeout=None)


def _bump(key: str) -> None:
    """Runs after the commit of a change that has already happened, so it must never raise:
    with the cache unreachable the bump is skipped (see the module docstring)."""
    try:
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 2, timeout=None)
    except Exception:  # any cache backend's outage; the committed change stands
        logger.warning("Could not mark %s as changed", key, exc_info=True)


def public_pages_changed() -> None:
    """A change to what public pages beyond one event show (an event itself, which the event
    list and the home page show, a series, a site, what a drive raised) makes every cached
    public page stale at once; the next anonymous visitor renders it anew."""
    _bump(PUBLIC_VERSION_KEY)


def event_pages_changed(event_id: int) -> None:
    """A change to one event's shifts, sign-ups or RSVPs (or to the event) makes only that
    event's cached pages stale: the event list and the home page show none of them.

    Called after every sign-up, so it costs one write and no read: the event's version
    becomes a new random number (keys only ever compare versions for equality), where a
    counter would need to know first whether it exists. Never raises (see ``_bump``)."""
    renew_version(_event_version_key(event_id))


def renew_version(key: str) -> None:
    """Give the version at ``key`` a new random value (one write, no read); after a commit,
    so it never raises: with the cache unreachable the change is skipped (module docstring)."""
    try:
        cache.set(key, secrets.randbits(62), timeout=None)
    except Exception:  # any cache backend's outage; the committed change stands
        logger.warning("Could not mark %s as changed", key, exc_info=True)


def drive_pages_changed() -> None:
    """A change that only the street-drive pages show (a site, a permit, a team, a captain,
    someone's age, a bucket's custody) makes their cached parts stale."""
    _bump(DRIVE_VERSION_KEY)


def drive_pages_key(name: str, *parts, event_id: int | None = None) -> str:
    """A cache key for a street-drive page's shared part: stale after any change either
    counter hears of (and, for a page about one event, ``event_id``, after any change to
    that event's shifts, sign-ups or RSVPs), and kept per language."""
    keys = [PUBLIC_VERSION_KEY, DRIVE_VERSION_KEY]
    if event_id is not None:
        keys.append(_event_version_key(event_id))
    versions = _versions(*keys)
    if event_id is not None:
        versions[-1] = f"e{event_id}.{versions[-1]}"
    return ":".join(str(part) for part in (
        name, *versions, translation.get_language(), *parts))


def _copy_and_versions(request, event_id) -> tuple[str, tuple, tuple | None]:
    """``(key, versions, copy)`` for the default key: the address's copy (None unless it was
    rendered under the versions read now) and the versions, in one ``get_many``. The versions
    are read before any rendering, so a change committed meanwhile leaves a copy that is
    never served."""
    version_keys = [PUBLIC_VERSION_KEY]
    if event_id is not None:
        version_keys.append(_event_version_key(event_id))
    address = f"public-page:{translation.get_language()}:{request.get_full_path()}"
    found = cache.get_many([*version_keys, address])
    for version_key in version_keys:
        if version_key not in found:
            cache.add(version_key, 1, timeout=None)
    versions = tuple(found.get(version_key, 1) for version_key in version_keys)
    stored = found.get(address)
    copy = stored[1] if stored is not None and stored[0] == versions else None
    return address, versions, copy


def public_cache(view=None, *, key=None, event_kwarg: str = "pk"):
    """Pages for anonymous visitors are rendered once per change and kept in the cache (Redis
    in production) for up to a minute, and browsers and shared caches may keep them for a
    minute too (keyed on Cookie); a page for a logged-in person, or one carrying a message, is
    never cached anywhere. ``key(request)`` names the cached copy (default: the public pages'
    version, the language and the address, plus the event's own version when the view is
    about one event, named by its ``event_kwarg`` keyword: ``pk`` for the event page);
    ``@public_cache`` or ``@public_cache(key=...)``."""
    if view is None:
        return lambda inner: public_cache(inner, key=key, event_kwarg=event_kwarg)

    @wraps(view)
    def cached(request, *args, **kwargs):
        anonymous = (
            request.method == "GET"
            and not request.user.is_authenticated
            and not len(messages.get_messages(request))
        )
        stored_as = versions = None
        if anonymous:
            if key is None:
                # One round trip: the copy is kept under the address alone, with the versions
                # it was rendered under, and read together with the versions now.
                stored_as, versions, stored = _copy_and_versions(request, kwargs.get(
                    event_kwarg))
            else:
                stored_as = key(request)
                stored = cache.get(stored_as)
            if stored is not None:
                content, content_type = stored
                response = HttpResponse(content, content_type=content_type)
                response["Content-Language"] = translation.get_language()
                patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
                patch_vary_headers(response, ["Cookie", "Accept-Language"])
                return response
        response = view(request, *args, **kwargs)
        if anonymous and response.status_code == 200 and not response.cookies:
            patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
            if not getattr(response, "streaming", False):
                copy = (response.content, response["Content-Type"])
                cache.set(stored_as, copy if versions is None else (versions, copy),
                          PUBLIC_MAX_AGE)
        else:
            add_never_cache_headers(response)
        patch_vary_headers(response, ["Cookie"])
        return response

    return cached
