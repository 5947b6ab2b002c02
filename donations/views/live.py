"""The drive-day view (/organize/events/<id>/live/): a street drive as it stands now, for
an organizer's phone at the staging point. It refreshes itself (htmx asks for the partial
every 30 seconds; without JavaScript a reload shows the same). Organizers and treasurers see
it (treasurers follow the money on the day); only organizers see the volunteers' phones."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache

from events.models import Event
from volunteers.access import role_required
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
    context = {
        "event": event,
        "day": drive_day(event=event),
        "organizer": organizer,
        "refresh_seconds": REFRESH_SECONDS,
        "legend": [(key, str(label)) for key, label in SITE_LABELS.items()],
    }
    partial = request.headers.get("HX-Request") == "true" or request.GET.get("partial") == "1"
    template = "donations/partials/_live_body.html" if partial else "donations/live.html"
    return render(request, template, context)
