"""The drive-day view (/organize/events/<id>/live/): a street drive as it stands now, for
an organizer's phone at the staging point. It refreshes itself (htmx asks for the partial
every 30 seconds; without JavaScript a reload shows the same). Organizers and treasurers see
it (treasurers follow the money on the day); only organizers see the volunteers' phones."""

from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache

from events.models import Event
from events.views_board import shared_head_version
from volunteers.access import drive_pages_key, role_required
from volunteers.rules import is_organizer

from ..live import SITE_LABELS, drive_day
from ..rules import can_see_custody

REFRESH_SECONDS = 30


@never_cache
@role_required(can_see_custody)
def drive_day_view(request, pk: int):
    event = get_object_or_404(Event, pk=pk)
    organizer = is_organizer(request.user)
    if event.status == Event.Status.DRAFT and not organizer:
        raise Http404
    head, body = drive_day_parts(event, organizer=organizer)
    partial = request.headers.get("HX-Request") == "true" or request.GET.get("partial") == "1"
    if partial:
        return HttpResponse(body)
    if head is None:
        head = _head(event, organizer=organizer, request=request)
    return render(request, "donations/live.html", {
        "event": event,
        "head": mark_safe(head),  # noqa: S308 (a template's own escaped output)
        "body": mark_safe(body),  # noqa: S308 (a template's own escaped output)
        "refresh_seconds": REFRESH_SECONDS,
    })


def _head(event: Event, *, organizer: bool, request=None) -> str:
    """The heading, the organizer's header of the event, the legend and the polled box."""
    return render_to_string("donations/partials/_live_head.html", {
        "event": event, "organizer": organizer, "refresh_seconds": REFRESH_SECONDS,
        "legend": [(key, str(label)) for key, label in SITE_LABELS.items()],
    }, request)


def drive_day_parts(event: Event, *, organizer: bool) -> tuple[str | None, str]:
    """The view's head (None: render it for this request, see
    events.views_board.shared_head_version) and body as they stand in this 30-second slot:
    rendered once per slot and per change (volunteers.access drive_pages_key: custody,
    check-ins, sites, people...) for all the organizers (and, without phones, all the
    treasurers) watching, not once a phone."""
    now = timezone.now()
    head_version = shared_head_version(event)
    key = drive_pages_key("drive-day", organizer, int(now.timestamp()) // REFRESH_SECONDS,
                          head_version, event_id=event.pk)
    parts = cache.get(key)
    if parts is None:
        body = render_to_string("donations/partials/_live_body.html", {
            "event": event, "day": drive_day(event=event, now=now), "organizer": organizer,
            "refresh_seconds": REFRESH_SECONDS,
        })
        parts = (_head(event, organizer=organizer) if head_version else None, body)
        cache.set(key, parts, REFRESH_SECONDS)
    return parts
