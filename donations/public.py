"""The public total of a fundraiser (issue 12): which drives have one, the cache its page is
kept in, and the "Raised so far" box on the event page and the home page. The figures
themselves come from :func:`donations.totals.public_figures`; nothing here computes money.

**Freshness.** Public pages are cached under ``volunteers.access.public_pages_version``, which
donations/receivers.py bumps after the commit of every write that changes what a drive raised
(an agreed count, an odd item's proceeds, a bank adjustment, a reconciliation or reopening, an
adjustment entry, card gifts); the event's own save (the leaderboard toggle) bumps it too. The
total's page also shows what only the street-drive counter hears of (a bucket returned and not
yet counted, a team renamed) and how many volunteers took part (the event's own counter,
``volunteers.access.event_pages_version``), so it is keyed on all three
(``volunteers.access.drive_pages_key``). Every cached copy expires after ``PUBLIC_MAX_AGE``
seconds whatever happens, as the other public pages do."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from events.models import Event, EventKind
from events.selectors import visible_events
from volunteers.access import PUBLIC_MAX_AGE, drive_pages_key, public_cache, public_pages_version

from .totals import public_figures


def raised_events(*, user) -> QuerySet[Event]:
    """The fundraisers whose total this person may see: those they may see at all
    (events.selectors.visible_events: members-only ones need a login), never a draft."""
    return (visible_events(user=user).filter(kind=EventKind.FUNDRAISER)
            .exclude(status=Event.Status.DRAFT))


def raised_event_or_404(*, user, pk: int) -> Event:
    event = raised_events(user=user).filter(pk=pk).first()
    if event is None:
        raise Http404
    return event


def _raised_key(request) -> str:
    return drive_pages_key("public-raised", request.get_full_path(),
                           event_id=request.resolver_match.kwargs["pk"])


# ``volunteers.access.public_cache`` for the total's page, its key following the three counters
# (see the module docstring).
raised_page_cache = public_cache(key=_raised_key)


# --- The "Raised so far" box --------------------------------------------------------------


@dataclass(frozen=True)
class RaisedBox:
    event: Event
    total_cents: int
    final: bool

    @property
    def provisional(self) -> bool:
        return not self.final


def shows_raised_box(event: Event) -> bool:
    """A published fundraiser that has begun: before its day there is nothing to show, and a
    cancelled or draft drive says nothing about money on its page."""
    return (event.kind == EventKind.FUNDRAISER and event.status == Event.Status.PUBLISHED
            and event.starts_at <= timezone.now())


def _figures_for_box(event: Event) -> tuple[int, bool]:
    """(total raised, final), kept per change of the public pages so that the box costs no
    query on a page for a logged-in person (which is rendered every time)."""
    key = f"public-raised-box:{public_pages_version()}:{event.pk}"
    stored = cache.get(key)
    if stored is None:
        figures = public_figures(event)
        stored = (figures.total_cents, figures.final)
        cache.set(key, stored, PUBLIC_MAX_AGE)
    return stored


def raised_box(event: Event) -> RaisedBox | None:
    """The box on a fundraiser's own page (None: no box)."""
    if not shows_raised_box(event):
        return None
    total_cents, final = _figures_for_box(event)
    return RaisedBox(event=event, total_cents=total_cents, final=final)


def current_fundraiser(*, user) -> Event | None:
    """The home page's drive: the one that began most recently and is not cancelled (the
    drive of the day while it runs, then the last one). Kept per change of the public pages;
    anonymous visitors and logged-in people may see different drives (members-only ones)."""
    key = f"public-raised-home:{public_pages_version()}:{int(user.is_authenticated)}"
    stored = cache.get(key)
    if stored is None:
        event = (raised_events(user=user)
                 .filter(status=Event.Status.PUBLISHED, starts_at__lte=timezone.now())
                 .order_by("-starts_at", "-pk").first())
        stored = (event,)
        cache.set(key, stored, PUBLIC_MAX_AGE)
    return stored[0]


def home_raised_box(*, user) -> RaisedBox | None:
    event = current_fundraiser(user=user)
    return raised_box(event) if event is not None else None
