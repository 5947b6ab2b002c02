"""Per-person copies of a logged-in page's body (My shifts, a team's page, an event's page),
served while nothing the body shows has changed.

A copy is the rendered ``title`` and ``content`` blocks of the page's template, kept in the
cache (Redis in production) under a key made of everything the body depends on: the person,
the language, the time zone, the address the page was asked at, the versions of the events it
shows (``access.event_pages_version``: any change to an event, its shifts, sign-ups or RSVPs),
the drive pages' version (sites, teams, memberships, users, custody) and the public pages'
version, plus whatever the view adds (see ``my_shifts_key``/``team_key``). A change bumps a
version after its commit, so the very next request asks for another key and renders anew.

What depends on the clock (a shift starting or ending, a cancellation cut-off passing, the
day of a hand-off code) is covered by ``valid_until``, stored with the copy: the first moment
the body would read differently; from then on the copy is rendered again.

The base page around the body (navigation, messages, the CSRF token of the header) is
rendered for every request, and the body's own CSRF tokens are written into the copy as a
placeholder and replaced by the request's token. No copy is served or stored for a request
that carries a message or that is not a GET/HEAD. With Redis down every read is a miss and
every write is dropped (``config.cache``): the page is rendered every time.

Copies expire ``access.PUBLIC_MAX_AGE`` seconds after they are stored, so a version bump lost
during a Redis outage leaves no stale body behind for longer than a cached public page.
"""

from __future__ import annotations

import datetime
import hashlib
import logging

from django.contrib import messages
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.context import make_context
from django.template.loader import get_template
from django.template.loader_tags import ExtendsNode
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from . import access

logger = logging.getLogger(__name__)

COPY_TEMPLATE = "volunteers/page_copy.html"
MAX_AGE = access.PUBLIC_MAX_AGE

# Stands for the request's CSRF token inside a stored body (the same length and alphabet as
# a real token, so the markup around it is the same).
CSRF_PLACEHOLDER = "PageCopyCsrfTokenPlaceholder" + "x" * 36


def copyable(request) -> bool:
    """Whether a copy may be served to (or stored from) this request."""
    return (request.method in ("GET", "HEAD")
            and request.user.is_authenticated
            and not len(messages.get_messages(request)))


def page_key(name: str, request, *parts) -> str:
    """The cache key of ``name``'s copy for this person: the parts hashed with the person,
    language, time zone and host."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (request.user.pk, translation.get_language(),
                 timezone.get_current_timezone_name(), request.get_host(), *parts):
        digest.update(repr(part).encode())
        digest.update(b"\x1f")
    return f"page-copy:{name}:{request.user.pk}:{digest.hexdigest()}"


def event_versions(event_ids) -> list:
    """The public and drive versions and each event's own, in one round trip."""
    ids = sorted(set(event_ids))
    keys = [access.PUBLIC_VERSION_KEY, access.DRIVE_VERSION_KEY,
            *(access._event_version_key(event_id) for event_id in ids)]
    versions = access._versions(*keys)
    return [*versions[:2], *zip(ids, versions[2:], strict=True)]


def next_midnight(now: datetime.datetime) -> datetime.datetime:
    """The start of the next local day (a hand-off code is shown on its day only)."""
    day = timezone.localtime(now).date() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _stored(key: str | None):
    if key is None:
        return None
    try:
        found = cache.get(key)
    except Exception:  # any backend's outage: render instead
        logger.warning("Could not read the page copy %s", key, exc_info=True)
        return None
    if not found:
        return None
    title, body, valid_until = found
    if valid_until is not None and timezone.now() >= valid_until:
        return None
    return title, body


def _store(key: str, title: str, body: str, valid_until) -> None:
    try:
        cache.set(key, (title, body, valid_until), MAX_AGE)
    except Exception:  # any backend's outage: the page was rendered all the same
        logger.warning("Could not store the page copy %s", key, exc_info=True)


def _render_blocks(request, template_name: str, context: dict) -> tuple[str, str]:
    """The template's ``title`` and ``content`` blocks, rendered as the whole page would
    render them, with ``CSRF_PLACEHOLDER`` for the CSRF token."""
    template = get_template(template_name).template
    extends = template.nodelist.get_nodes_by_type(ExtendsNode)[0]
    context = make_context({**context, "csrf_token": CSRF_PLACEHOLDER}, request)
    with context.render_context.push_state(template), context.bind_template(template):
        title = extends.blocks["title"].render(context)
        body = extends.blocks["content"].render(context)
    return title, body


def _page(request, title: str, body: str, status: int = 200):
    if CSRF_PLACEHOLDER in body:
        body = body.replace(CSRF_PLACEHOLDER, str(get_token(request)))
    return render(request, COPY_TEMPLATE,
                  {"page_title": mark_safe(title), "page_body": mark_safe(body)},  # noqa: S308
                  status=status)


def serve(request, key: str | None):
    """The response from the stored copy at ``key``, or None (render it)."""
    stored = _stored(key)
    if stored is None:
        return None
    return _page(request, *stored)


def render_and_store(request, key: str | None, template_name: str, context: dict, *,
                     valid_until: datetime.datetime | None = None):
    """Render the page (the same HTML as ``render(request, template_name, context)``) and
    keep its body at ``key`` (None: keep nothing) until ``valid_until``."""
    title, body = _render_blocks(request, template_name, context)
    if key is not None:
        _store(key, title, body, valid_until)
    return _page(request, title, body)


# --- The event page, logged in ---------------------------------------------------------

def event_page_key(request, event_id: int) -> str | None:
    """Everything the event page shows a logged-in person: the event's own version (its
    shifts, fill counts, sign-ups, RSVPs), the public and drive versions (the event itself,
    what it raised, sites, teams), the versions of the other events the person holds a place
    or an RSVP at (their times decide the overlap rule), and the person as
    ``viewer_cache`` keeps them (``_viewer_generation``: a new one after any change to their
    row, roles, teams, addresses, sign-ups anywhere, trainings attended). None when the
    person was not kept (the cache down, or ``VIEWER_CACHE`` off): no copy then. One cache
    read."""
    user = request.user
    generation = getattr(user, "_viewer_generation", None)
    if generation is None:
        return None
    found, _verified = my_event_ids(user)
    return page_key("event", request, int(event_id), generation,
                    *event_versions({int(event_id), *found}))


def event_page_valid_until(shared, now: datetime.datetime) -> datetime.datetime:
    """The first moment after ``now`` the event page would read differently with nothing
    else changed: the event starting (no more RSVPs), a shift starting (its sign-ups close)
    or its cancellation cut-off passing, or the next day (ages are counted on the day)."""
    event = shared.event
    cutoff = datetime.timedelta(hours=event.cancel_cutoff_hours)
    moments = [next_midnight(now), event.starts_at]
    for _day, shifts in shared.days:
        for shift in shifts:
            moments += [shift.starts_at, shift.starts_at - cutoff]
    return min(moment for moment in moments if moment > now)


# --- My shifts ---------------------------------------------------------------------------

def my_event_ids(user) -> tuple[frozenset, bool]:
    """The ids of the events ``user`` has a sign-up or RSVP at, and whether their address is
    verified (the question ``messaging.render.has_verified_email`` asks): one query, or none
    when ``volunteers.viewer_cache`` kept the answer with the person (their sign-ups, RSVPs
    and addresses drop it)."""
    from allauth.account.models import EmailAddress
    from django.db.models import Value

    from events.models import Rsvp

    from .models import Signup

    kept = getattr(user, "_my_events", None)
    if kept is None:
        found = set(
            Signup.objects.filter(volunteer=user).values_list("shift__event_id", flat=True)
            .union(Rsvp.objects.filter(user=user).values_list("event_id", flat=True),
                   EmailAddress.objects.filter(user=user, email__iexact=user.email,
                                               verified=True)
                   .annotate(marker=Value(-1)).values_list("marker", flat=True)))
        verified = -1 in found
        found.discard(-1)
        kept = user._my_events = (frozenset(found), verified)
    return kept


def my_shifts_key(request) -> str:
    """Everything My shifts shows beyond the clock: the versions of every event the person
    has a sign-up or RSVP at (their places, waitlist positions, crews, hours, RSVPs), the
    drive version (sites, teams, captains, names, custody of buckets), the person's own
    fields the page reads, and whether their reminders are on (``reminder_status`` reads the
    e-mail address's verification, which no version hears of). One cache read, and one
    query unless the person's events were kept with them (``my_event_ids``)."""
    user = request.user
    found, verified = my_event_ids(user)
    # ``has_verified_email`` reads the object's own ``__dict__``: the template's ``user`` is
    # the request's lazy object around the user, so the answer goes on both.
    user.__dict__["_verified_email"] = verified
    wrapped = user.__dict__.get("_wrapped")
    if wrapped is not None and hasattr(wrapped, "__dict__"):
        wrapped.__dict__["_verified_email"] = verified
    return page_key(
        "my-shifts", request, *event_versions(found),
        user.email, user.display_name, user.reminders_enabled, user.calendar_token, verified,
    )


def my_shifts_valid_until(mine, now: datetime.datetime) -> datetime.datetime:
    """The first moment after ``now`` the page would read differently with nothing else
    changed: an upcoming shift starting (no more cancelling), ending (it moves to the past),
    its cancellation cut-off passing, an upcoming RSVP's event ending, or the next day (the
    hand-off code is the day's)."""
    from .services.signups import cancel_cutoff

    moments = [next_midnight(now)]
    for signup in mine.upcoming:
        shift = signup.shift
        moments += [shift.starts_at, shift.ends_at, cancel_cutoff(shift)]
    moments += [rsvp.event.ends_at for rsvp in mine.rsvps_upcoming]
    return min(moment for moment in moments if moment > now)


# --- A team's page -----------------------------------------------------------------------

def team_key(request, team, *, manage: bool, organizer: bool) -> str:
    """What a team's page shows beyond the drive version (the team, its memberships and the
    members' details): the viewer's standing (managing, organizer, treasurer), the team's
    held shifts still to come and their events' versions (times, titles, how many are
    filled), and for those who manage it the open invitations (no version hears of them)."""
    from django.db import connection

    from . import rules as roles
    from .services.teams import OPEN_INVITATION

    # One query: the held shifts still to come, and for those who manage the team its open
    # invitations.
    sql = ("SELECT 0, id, event_id, '' FROM events_shift WHERE held_for_id = %s "
           "AND ends_at > %s AND NOT is_cancelled")
    params = [team.pk, timezone.now()]
    if manage:
        sql += (" UNION ALL SELECT 1, id, 0, status FROM volunteers_teaminvitation "
                "WHERE team_id = %s AND status IN (%s, %s)")
        params += [team.pk, *OPEN_INVITATION]
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY 1, 2", params)
        rows = cursor.fetchall()
    held = [(pk, event_id) for kind, pk, event_id, _status in rows if kind == 0]
    invitations = tuple((pk, status) for kind, pk, _event, status in rows if kind == 1)
    return page_key(
        "team", request, team.pk, manage, organizer, roles.is_treasurer(request.user),
        tuple(held), *event_versions(event_id for _pk, event_id in held), invitations,
    )
