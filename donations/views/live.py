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
    body = drive_day_body(event, organizer=organizer)
    partial = request.headers.get("HX-Request") == "true" or request.GET.get("partial") == "1"
    if partial:
        return HttpResponse(body)
    return render(request, "donations/live.html", {
        "event": event,
        "body": mark_safe(body),  # noqa: S308 (a template's own escaped output)
        "organizer": organizer,
        "refresh_seconds": REFRESH_SECONDS,
        "legend": [(key, str(label)) for key, label in SITE_LABELS.items()],
    })


def drive_day_body(event: Event, *, organizer: bool) -> str:
    """The view's body as it stands in this 30-second slot: rendered once per slot and per
    change (volunteers.access drive_pages_key: custody, check-ins, sites, people...) for all
    the organizers (and, without phones, all the treasurers) watching, not once a phone."""
    now = timezone.now()
    key = drive_pages_key("drive-day", event.pk, organizer,
                          int(now.timestamp()) // REFRESH_SECONDS)
    body = cache.get(key)
    if body is None:
        body = render_to_string("donations/partials/_live_body.html", {
            "event": event, "day": drive_day(event=event, now=now), "organizer": organizer,
            "refresh_seconds": REFRESH_SECONDS,
        })
        cache.set(key, body, REFRESH_SECONDS)
    return body
