"""Calendar downloads and subscribed feeds (``text/calendar``).

- ``/events/<pk>/calendar.ics`` and ``/shifts/<pk>/calendar.ics``: one-off downloads;
- ``/calendar/events.ics``: published public events, for anyone;
- ``/calendar/<token>/shifts.ics``: a volunteer's own shifts and RSVPs, at a secret address
  (``User.calendar_token``; a reset makes the old address answer 404);
- ``/calendar/<token>/events/<pk>.ics``: every shift of one event (drafts too), at an
  organizer's own secret address (``User.organizer_calendar_token``, never the personal one),
  for as long as that person is an organizer.

Each answers with a strong ETag, and a request whose If-None-Match matches gets 304:
- the personal and organizer feeds take theirs from the version of their rows, which the
  database works out in the query that finds the feed's owner (or event): how many rows, the
  newest change, and a digest of every value the feed shows (a shift's notes or a site's
  address change without a timestamp). So a phone polling an unchanged feed costs one query
  (three for an organizer feed) and nothing is loaded or written; the rows are loaded only
  for a 200. Query counts do not grow with the rows either way;
- the public feed is kept in the cache, like the public pages, until they change, with the
  hash of its bytes;
- a download (one entry) hashes its bytes.
Last-Modified is for information only: since some changes leave no timestamp,
If-Modified-Since alone is answered in full rather than trusted.

Feeds at a secret address send ``Cache-Control: private, no-cache``: no shared cache may keep
them, and a client must ask again before each use (answered by a cheap 304 while nothing
changed), so a reset address stops working at once. ``no-store`` would forbid keeping the very
copy that If-None-Match refers to, and calendar apps keep the events in their own store anyway.
"""

import datetime
import functools
import hashlib
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Aggregate, F, OuterRef, Subquery, TextField, Value
from django.db.models.functions import Now
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from volunteers.access import PUBLIC_MAX_AGE, public_pages_version
from volunteers.models import Signup, User
from volunteers.rules import is_organizer

from . import calendar, feed_versions, selectors
from .models import Event, Rsvp, Shift

FEED_PAST = datetime.timedelta(days=90)
FEED_LIMIT = 1000
FEED_MAX_AGE = 15 * 60
# Part of the personal and organizer feeds' ETags: raise it when the code writes something
# else for the same rows (the translations and settings are in the ETag already).
FEED_FORMAT = 2


class RowsVersion(Aggregate):
    """The version of a feed's rows as one short text, ``"<count>/<newest>/<digest>"``: how
    many rows, the newest of their ``newest`` timestamps (for Last-Modified; PostgreSQL
    gives seconds since 1970) and a digest of their ``hashed`` values, which changes when
    any of them changes. PostgreSQL sums a 64-bit hash of each row's values (for a thousand
    sign-ups, 2 to 3 ms in all, half of it the joins); other databases (SQLite, for
    development and tests) list the values themselves, which the ETag then hashes."""

    name = "RowsVersion"

    def __init__(self, *, newest: tuple[str, ...] = (), hashed: tuple[str, ...]):
        self.newest_count = len(newest)
        super().__init__(*(F(name) for name in (*newest, *hashed)), output_field=TextField())

    def _parts(self, compiler) -> tuple[list[str], list[str], list]:
        parts, params = [], []
        for expression in self.source_expressions:  # without the (unused) filter
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        return parts[: self.newest_count], parts[self.newest_count:], params

    def as_sql(self, compiler, connection, **extra_context):
        newest, hashed, params = self._parts(compiler)
        newest_sql = " || ',' || ".join(f"coalesce(max({n}), '')" for n in newest) or "''"
        row = " || '|' || ".join(f"quote({h})" for h in hashed)
        return (f"(count(*) || '/' || {newest_sql} || '/' || "
                f"coalesce(group_concat({row}, ','), ''))"), params

    def as_postgresql(self, compiler, connection, **extra_context):
        newest, hashed, params = self._parts(compiler)
        newest_sql = (f"date_part('epoch', greatest({', '.join(f'max({n})' for n in newest)}))"
                      if newest else "''")
        return (f"concat_ws('/', count(*), {newest_sql}, "
                f"sum(hashtextextended(concat_ws('|', {', '.join(hashed)}), 0)))"), params


def _rows_version(rows, *, group_by: str, newest: tuple[str, ...] = (),
                  hashed: tuple[str, ...]) -> Subquery:
    return Subquery(rows.order_by().values(group_by)
                    .annotate(version=RowsVersion(newest=newest, hashed=hashed))
                    .values("version"))


def _newest(version: str | None) -> datetime.datetime | None:
    """The newest change a ``RowsVersion`` names, if any."""
    parts = (version or "").split("/", 2)
    newest = max(parts[1].split(","), default="") if len(parts) > 1 else ""
    if not newest:
        return None
    try:
        return datetime.datetime.fromtimestamp(float(newest), tz=datetime.UTC)
    except ValueError:  # a timestamp as SQLite keeps it
        moment = datetime.datetime.fromisoformat(newest)
        return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


@functools.lru_cache(maxsize=1)
def _catalogues() -> str:
    """The translation files this process speaks from: a new wording makes new feeds."""
    digest = hashlib.sha256()
    for locale in settings.LOCALE_PATHS:
        for path in sorted(Path(locale).glob("*/LC_MESSAGES/*.mo")):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _version_etag(*parts) -> str:
    """A strong ETag for a feed from its version: the rows' versions and whatever else
    the feed shows (the language, the site's settings, the wording)."""
    text = repr((FEED_FORMAT, settings.SITE_URL, settings.SITE_NAME, settings.COALITION,
                 settings.TIME_ZONE, _catalogues(), *parts))
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:40] + '"'


def _bytes_etag(ics: bytes) -> str:
    return '"' + hashlib.sha256(ics).hexdigest()[:40] + '"'


def calendar_response(request, *, etag: str, ics, filename: str, last_modified=None,
                      private: bool = True, secret_url: bool = False) -> HttpResponse:
    """A 304 when If-None-Match holds ``etag``, else the file. ``ics`` is the bytes, or a
    function that writes them, called only for a 200."""
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(ics() if callable(ics) else ics,
                                content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    if secret_url:
        patch_cache_control(response, private=True, no_cache=True)
        response["X-Robots-Tag"] = "noindex"
    elif private:
        patch_cache_control(response, private=True, max_age=FEED_MAX_AGE)
        response["X-Robots-Tag"] = "noindex"
    else:
        patch_cache_control(response, public=True, max_age=FEED_MAX_AGE)
    return response


def _latest(*moments) -> datetime.datetime | None:
    present = [m for m in moments if m is not None]
    return max(present) if present else None


def _organizer_feed_user(token: str) -> User:
    """The organizer owning a live organizer-feed token. A personal feed token, a reset token
    or the token of someone who is no longer an organizer is a 404 like any other."""
    if not token or len(token) > 64:
        raise Http404
    user = User.objects.filter(organizer_calendar_token=token, is_active=True).first()
    if user is None or not is_organizer(user):
        raise Http404
    return user


@require_safe
def event_ics(request, pk: int):
    event = get_object_or_404(
        selectors.visible_events(user=request.user).select_related("contact"), pk=pk
    )
    ics = calendar.calendar_bytes(calendar.event_download(event))
    return calendar_response(request, etag=_bytes_etag(ics), ics=ics,
                             filename=f"event-{event.pk}.ics", last_modified=event.updated_at,
                             private=event.visibility != Event.Visibility.PUBLIC)


@require_safe
def shift_ics(request, pk: int):
    """A shift's file; for a volunteer holding it, with their sign-up's UID (so it merges
    with the e-mailed invite instead of adding a second copy)."""
    shift = get_object_or_404(
        Shift.objects.filter(event__in=selectors.visible_events(user=request.user))
        .select_related("event", "event__contact", "site"),
        pk=pk,
    )
    signup = None
    if request.user.is_authenticated:
        signup = Signup.objects.filter(
            shift=shift, volunteer=request.user, status=Signup.Status.CONFIRMED
        ).first()
    ics = calendar.calendar_bytes(calendar.shift_download(shift, signup=signup))
    return calendar_response(
        request, etag=_bytes_etag(ics), ics=ics, filename=f"shift-{shift.pk}.ics",
        last_modified=_latest(shift.event.updated_at, signup and signup.updated_at),
    )


def _public_feed_file() -> tuple[bytes, str, datetime.datetime | None]:
    now = timezone.now()
    events = list(
        Event.objects.filter(
            status__in=[Event.Status.PUBLISHED, Event.Status.CANCELLED],
            visibility=Event.Visibility.PUBLIC,
            ends_at__gte=now - FEED_PAST,
        )
        .select_related("contact")
        .order_by("starts_at", "pk")[:FEED_LIMIT]
    )
    ics = calendar.calendar_bytes(calendar.public_feed(events=events))
    return ics, _bytes_etag(ics), _latest(*(e.updated_at for e in events))


@require_safe
def public_feed(request):
    """Written once per change of the public pages (and language), then served from the
    cache for up to ``PUBLIC_MAX_AGE`` seconds (the most a lost version bump leaves it
    stale; a contact's new name waits as long). The key follows the public pages' one
    version, not an event's: the feed shows every public event."""
    key = f"calendar-public-feed:{public_pages_version()}:{translation.get_language()}"
    stored = cache.get(key)
    if stored is None:
        stored = _public_feed_file()
        cache.set(key, stored, PUBLIC_MAX_AGE)
    ics, etag, last_modified = stored
    return calendar_response(request, etag=etag, ics=ics, filename="events.ics",
                             private=False, last_modified=last_modified)


# The personal feed's window: from 90 days ago, by the database's clock, so that its
# queries take the feed's token as their only parameter (see ``_owner_query``).
_SINCE = Now() - Value(FEED_PAST)


def _personal_signups():
    return (
        Signup.objects.filter(status=Signup.Status.CONFIRMED, shift__ends_at__gte=_SINCE,
                              shift__is_cancelled=False)
        .exclude(shift__event__status=Event.Status.CANCELLED)
    )


def _personal_rsvps():
    return (Rsvp.objects.filter(status=Rsvp.Status.GOING, event__ends_at__gte=_SINCE)
            .exclude(event__status=Event.Status.DRAFT))


# What the personal feed shows that no timestamp covers (an event's own fields are covered by
# its updated_at; a sign-up's by its own; an RSVP's return to "going" sets its created_at).
_CONTACT = ("contact__display_name", "contact__email", "contact__phone")
_SIGNUP_VALUES = (
    "pk", "sequence", "shift_id", "shift__role", "shift__title", "shift__title_es",
    "shift__notes", "shift__notes_es", "shift__starts_at", "shift__ends_at", "shift__site_id",
    "shift__site__name", "shift__site__address", "shift__site__latitude",
    "shift__site__longitude", "shift__event_id", *(f"shift__event__{f}" for f in _CONTACT),
)
_RSVP_VALUES = ("pk", "event_id", *(f"event__{f}" for f in _CONTACT))
# Where the token goes in the prepared query: no token has a NUL.
_STAND_IN = "\x00feed-owner"


@functools.lru_cache(maxsize=4)
def _owner_query(alias: str) -> tuple[str, tuple, int]:
    """The SQL that finds a personal feed's owner with the version of their sign-ups and
    RSVPs, and where the token goes in its parameters. Built once per process: building it
    with the ORM takes longer than the database takes to answer it."""
    person = OuterRef("pk")
    owners = (
        User.objects.using(alias).filter(calendar_token=_STAND_IN, is_active=True)
        .annotate(
            signups_version=_rows_version(
                _personal_signups().filter(volunteer=person), group_by="volunteer",
                newest=("updated_at", "shift__event__updated_at"), hashed=_SIGNUP_VALUES),
            rsvps_version=_rows_version(
                _personal_rsvps().filter(user=person), group_by="user",
                newest=("created_at", "event__updated_at"), hashed=_RSVP_VALUES),
        )[:1]
    )
    sql, params = owners.query.get_compiler(alias).as_sql()
    return sql, tuple(params), list(params).index(_STAND_IN)


def _feed_owner(token: str) -> User:
    """The owner of a live feed token, with ``signups_version`` and ``rsvps_version``;
    anything else is a 404 that says nothing more."""
    if not token or len(token) > 64:
        raise Http404
    sql, params, position = _owner_query(DEFAULT_DB_ALIAS)
    params = list(params)
    params[position] = token
    user = next(iter(User.objects.raw(sql, params)), None)
    if user is None:
        raise Http404
    return user


class HeldShift(NamedTuple):
    """A confirmed sign-up as the personal feed reads it."""

    pk: int
    sequence: int
    updated_at: datetime.datetime
    shift: Shift


@require_safe
def personal_feed(request, token: str):
    """The volunteer's confirmed shifts (UID of each sign-up, as in their invites) and the
    events they RSVP'd to, from 90 days ago on, in their language. One query finds the owner
    and the version of both lists; the rows are loaded (three more queries) only when the
    ETag changed."""
    fingerprint = _version_etag()  # this code's format, settings and wording
    entry, version = feed_versions.remembered(token, fingerprint)
    if feed_versions.servable(entry, version):
        # Nothing this feed shows changed since its ETag was worked out: no query at all.
        response = get_conditional_response(request, etag=entry[2])
        if response is not None:
            return calendar_response(request, etag=entry[2], ics=b"", filename="my-shifts.ics",
                                     secret_url=True, last_modified=entry[3])
    # The owner an earlier poll found: their own counter is read before the rows.
    known = entry[0] if entry is not None and version is not None else None
    own = feed_versions.own_version(known) if known is not None else None
    user = _feed_owner(token)
    etag = _version_etag("personal", user.pk, user.language, user.signups_version,
                         user.rsvps_version)
    last_modified = _latest(_newest(user.signups_version), _newest(user.rsvps_version))
    feed_versions.remember(token, fingerprint, user_id=user.pk, version=version,
                           own=own if known == user.pk else None, etag=etag,
                           last_modified=last_modified)

    def write() -> bytes:
        # Shifts with their sign-up's fields, and each event once: a row per shift, not four
        # model objects per row.
        shifts = list(
            Shift.objects.filter(signups__in=_personal_signups().filter(volunteer=user))
            .annotate(signup_pk=F("signups__pk"), signup_sequence=F("signups__sequence"),
                      signup_updated_at=F("signups__updated_at"))
            .select_related("site").only(*calendar.SHIFT_ENTRY_FIELDS)
            .order_by("starts_at", "signup_pk")[:FEED_LIMIT]
        )
        events = Event.objects.select_related("contact").in_bulk({s.event_id for s in shifts})
        held = []
        for shift in shifts:
            shift.event = events[shift.event_id]
            held.append(HeldShift(shift.signup_pk, shift.signup_sequence,
                                  shift.signup_updated_at, shift))
        rsvps = list(
            _personal_rsvps().filter(user=user).select_related("event", "event__contact")
            .order_by("event__starts_at", "pk")[:FEED_LIMIT]
        )
        with translation.override(user.language):
            return calendar.calendar_bytes(
                calendar.personal_feed(user=user, signups=held, rsvps=rsvps))

    return calendar_response(
        request, etag=etag, ics=write, filename="my-shifts.ics", secret_url=True,
        last_modified=last_modified)


_SHIFT_VALUES = (
    "pk", "sequence", "role", "title", "title_es", "notes", "notes_es", "starts_at", "ends_at",
    "needed", "is_cancelled", "site_id", "site__name", "site__address", "site__latitude",
    "site__longitude",
)
_EVENT_VALUES = (
    "title", "title_es", "description", "description_es", "what_to_bring", "what_to_bring_es",
    "venue_name", "address", "latitude", "longitude", "starts_at", "ends_at", "status",
    "sequence", "updated_at",
)


@require_safe
def organizer_feed(request, token: str, pk: int):
    """Every shift of one event (a draft too) with how full it is, for an organizer's own
    organizer-feed token. The event's query carries the version of its shifts and of their
    sign-ups; the shifts are loaded only when the ETag changed."""
    user = _organizer_feed_user(token)
    event = get_object_or_404(
        Event.objects.select_related("contact").annotate(
            shifts_version=_rows_version(
                Shift.objects.filter(event=OuterRef("pk")), group_by="event",
                hashed=_SHIFT_VALUES),
            signups_version=_rows_version(
                Signup.objects.filter(shift__event=OuterRef("pk"), status__in=[
                    Signup.Status.CONFIRMED, Signup.Status.WAITLISTED]),
                group_by="shift__event", newest=("updated_at",),
                hashed=("pk", "status", "shift_id")),
        ),
        pk=pk,
    )
    contact = event.contact
    etag = _version_etag(
        "organizer", event.pk, user.language, [getattr(event, f) for f in _EVENT_VALUES],
        contact and (contact.name, contact.phone, contact.email),
        event.shifts_version, event.signups_version)

    def write() -> bytes:
        shifts = list(
            selectors.shifts_with_fill(event.shifts.select_related("site"))
            .only(*calendar.SHIFT_ENTRY_FIELDS, "sequence", "is_cancelled", "needed")
            .order_by("starts_at", "pk")
        )
        for shift in shifts:
            shift.event = event
        with translation.override(user.language):
            return calendar.calendar_bytes(calendar.organizer_feed(event=event, shifts=shifts))

    return calendar_response(
        request, etag=etag, ics=write, filename=f"event-{event.pk}-shifts.ics",
        secret_url=True, last_modified=_latest(event.updated_at, _newest(event.signups_version)))
