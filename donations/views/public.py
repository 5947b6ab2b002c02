"""The public total of a fundraiser: what the drive raised, provisional until its books are
reconciled and final after, how many volunteers, sites and teams took part, and a team
leaderboard when the organizer turns it on. Anyone may open it (members-only drives need a
login, as their event page does); only published or cancelled fundraisers have one. No
person's name and no per-person figure appear on it: the figures come from
donations.totals.public_figures, which holds no names."""

from django.conf import settings
from django.shortcuts import render

from ..public import raised_event_or_404, raised_page_cache
from ..totals import giving_link, public_figures


@raised_page_cache
def fundraiser_raised(request, pk: int):
    event = raised_event_or_404(user=request.user, pk=pk)
    figures = public_figures(event)
    return render(request, "donations/public/raised.html", {
        "event": event,
        "figures": figures,
        "giving_link": giving_link("") if settings.DONATION_PAGE_URL else "",
    })
