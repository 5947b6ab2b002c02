"""Calendar downloads and subscribed feeds (``text/calendar``).

- ``/events/<pk>/calendar.ics`` and ``/shifts/<pk>/calendar.ics``: one-off downloads;
- ``/calendar/events.ics``: published public events, for anyone;
- ``/calendar/<token>/shifts.ics``: a volunteer's own shifts and RSVPs, at a secret address
  (``User.calendar_token``; a reset makes the old address answer 404);
- ``/calendar/<token>/events/<pk>.ics``: every shift of one event (drafts too), at an
  organizer's own secret address (``User.organizer_calendar_token``, never the personal one),
  for as long as that person is an organizer.

Each answers with a strong ETag (a hash of the bytes: a feed's bytes change only when what it
shows changes, since DTSTAMPs come from the rows) and a Last-Modified for information; a
request whose If-None-Match matches gets 304. Query counts do not grow with the rows.

Feeds at a secret address send ``Cache-Control: private, no-cache``: no shared cache may keep
them, and a client must ask again before each use (answered by a cheap 304 while nothing
changed), so a reset address stops working at once. ``no-store`` would forbid keeping the very
copy that If-None-Match refers to, and calendar apps keep the events in their own store anyway.
"""

import datetime
import hashlib

from django.db.models import Max
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from volunteers.models import Signup, User
from volunteers.rules import is_organizer

from . import calendar, selectors
from .models import Event, Rsvp, Shift

FEED_PAST = datetime.timedelta(days=90)
FEED_LIMIT = 1000
FEED_MAX_AGE = 15 * 60


def calendar_response(request, ics: bytes, *, filename: str, last_modified=None,
                      private: bool = True, secret_url: bool = False) -> HttpResponse:
    etag = '"' + hashlib.sha256(ics).hexdigest()[:40] + '"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
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


def _feed_user(token: str) -> User:
    """The owner of a live feed token; anything else is a 404 that says nothing more."""
    if not token or len(token) > 64:
        raise Http404
    user = User.objects.filter(calendar_token=token, is_active=True).first()
    if user is None:
        raise Http404
    return user


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
    return calendar_response(request, ics, filename=f"event-{event.pk}.ics",
                             last_modified=event.updated_at,
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
        request, ics, filename=f"shift-{shift.pk}.ics",
        last_modified=_latest(shift.event.updated_at, signup and signup.updated_at),
    )


@require_safe
def public_feed(request):
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
    return calendar_response(request, ics, filename="events.ics", private=False,
                             last_modified=_latest(*(e.updated_at for e in events)))


@require_safe
def personal_feed(request, token: str):
    """The volunteer's confirmed shifts (UID of each sign-up, as in their invites) and the
    events they RSVP'd to, from 90 days ago on, in their language."""
    user = _feed_user(token)
    since = timezone.now() - FEED_PAST
    signups = list(
        Signup.objects.filter(volunteer=user, status=Signup.Status.CONFIRMED,
                              shift__ends_at__gte=since, shift__is_cancelled=False)
        .exclude(shift__event__status=Event.Status.CANCELLED)
        .select_related("shift", "shift__event", "shift__event__contact", "shift__site")
        .order_by("shift__starts_at", "pk")[:FEED_LIMIT]
    )
    rsvps = list(
        Rsvp.objects.filter(user=user, status=Rsvp.Status.GOING, event__ends_at__gte=since)
        .exclude(event__status=Event.Status.DRAFT)
        .select_related("event", "event__contact")
        .order_by("event__starts_at", "pk")[:FEED_LIMIT]
    )
    with translation.override(user.language):
        ics = calendar.calendar_bytes(
            calendar.personal_feed(user=user, signups=signups, rsvps=rsvps)
        )
    last_modified = _latest(*(s.updated_at for s in signups),
                            *(s.shift.event.updated_at for s in signups),
                            *(r.event.updated_at for r in rsvps))
    return calendar_response(request, ics, filename="my-shifts.ics",
                             last_modified=last_modified, secret_url=True)


@require_safe
def organizer_feed(request, token: str, pk: int):
    """Every shift of one event (a draft too) with how full it is, for an organizer's own
    organizer-feed token."""
    user = _organizer_feed_user(token)
    event = get_object_or_404(Event.objects.select_related("contact"), pk=pk)
    shifts = list(
        selectors.shifts_with_fill(event.shifts.select_related("site"))
        .annotate(last_signup_change=Max("signups__updated_at"))
        .order_by("starts_at", "pk")
    )
    for shift in shifts:
        shift.event = event
    with translation.override(user.language):
        ics = calendar.calendar_bytes(calendar.organizer_feed(event=event, shifts=shifts))
    last_modified = _latest(event.updated_at, *(s.last_signup_change for s in shifts))
    return calendar_response(request, ics, filename=f"event-{event.pk}-shifts.ics",
                             last_modified=last_modified, secret_url=True)
