"""What a street drive prints, one item per page: collector badges, a run sheet per team, the
donor disclosure card; the badges' management page (issue, hand back, revoke); and the public
verification page a badge's QR code opens. Organizers only, except the verification page,
which anyone may open and which says nothing about the person."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from events.dates import local_format
from events.models import Event
from events.views import organizer_only
from volunteers.selectors import first_name

from ..badges import (
    BadgeError,
    badge_is_valid,
    badge_issue_all,
    badge_return,
    badge_revoke,
    badge_verdict,
    badges_for_event,
    qr_svg,
    street_collectors,
    verify_url,
    with_giving_links,
)
from ..models import Badge
from ..run_sheets import SAFETY_RULES, run_sheets


def drive_date(event: Event) -> str:
    start, end = event.starts_at, event.ends_at
    first, last = local_format(start, "day_month_year"), local_format(end, "day_month_year")
    return first if first == last else f"{first} \u2013 {last}"


@organizer_only
@require_http_methods(["GET", "HEAD", "POST"])
def badge_list(request, pk: int):
    """The drive's badges: who has which number, handed back or revoked; POST issues a badge
    to everyone on a street shift who has none yet."""
    event = get_object_or_404(Event, pk=pk)
    if request.method == "POST":
        try:
            new = badge_issue_all(event=event, by=request.user)
        except BadgeError as error:
            messages.error(request, str(error))
        else:
            if new:
                messages.success(request, _("%(n)d new badges issued.") % {"n": len(new)})
            else:
                messages.info(request, _("Everyone on a street shift already has a badge."))
        return HttpResponseRedirect(reverse("organize_event_badges", args=[pk]))
    badges = badges_for_event(event)
    for badge in badges:
        badge.first_name = first_name(badge.volunteer)
        badge.valid = badge_is_valid(badge)
    waiting = street_collectors(event).exclude(badges__event=event).count()
    return render(request, "donations/print/badge_list.html", {
        "event": event, "badges": badges, "waiting": waiting,
    })


@organizer_only
@require_http_methods(["GET", "HEAD"])
def badges_print(request, pk: int):
    """Every badge still out (not handed back, not revoked), one per page."""
    event = get_object_or_404(Event, pk=pk)
    badges = with_giving_links([b for b in badges_for_event(event)
                                if b.returned_at is None and b.revoked_at is None], event)
    for badge in badges:
        badge.first_name = first_name(badge.volunteer)
        badge.qr = qr_svg(verify_url(badge),
                          label=_("QR code to check badge %(n)s") % {"n": badge.number})
        badge.verify_url = verify_url(badge)
    return render(request, "donations/print/badges_print.html", {
        "event": event, "badges": badges, "drive_date": drive_date(event),
    })


def _badge_action(request, pk: int, service, done: str):
    badge = get_object_or_404(Badge, pk=pk)
    service(badge=badge, by=request.user)
    messages.success(request, done % {"n": badge.number})
    return HttpResponseRedirect(reverse("organize_event_badges", args=[badge.event_id]))


@organizer_only
@require_POST
def badge_return_view(request, pk: int):
    return _badge_action(request, pk, badge_return, _("Badge %(n)s is marked handed back."))


@organizer_only
@require_POST
def badge_revoke_view(request, pk: int):
    return _badge_action(request, pk, badge_revoke,
                         _("Badge %(n)s is revoked: its QR code now says “not valid”."))


@organizer_only
@require_http_methods(["GET", "HEAD"])
def run_sheets_print(request, pk: int):
    """A run sheet per team, one per page: sites and windows, people and phones, buckets and
    seals, the safety rules, the hotline and the organizer's phone."""
    event = get_object_or_404(Event.objects.select_related("contact"), pk=pk)
    return render(request, "donations/print/run_sheets.html", {
        "event": event, "sheets": run_sheets(event), "safety_rules": SAFETY_RULES,
        "drive_date": drive_date(event),
    })


@organizer_only
@require_http_methods(["GET", "HEAD"])
def disclosure_card(request, pk: int):
    """The donor disclosure card that collectors show before asking (Cal. Bus. & Prof. Code
    §17510.3): the coalition's name and address, the purpose, its tax status and how much
    of a gift is deductible; signed and dated by hand by an officer."""
    event = get_object_or_404(Event, pk=pk)
    return render(request, "donations/print/disclosure_card.html", {
        "event": event, "drive_date": drive_date(event), "coalition": settings.COALITION,
    })


@require_http_methods(["GET", "HEAD"])
def badge_verify(request, code: str):
    """Public: is this a valid collector's badge? The drive, its date and the badge number,
    or "not valid" (unknown, handed back, revoked, the drive cancelled or over): never a name.
    Not cached anywhere, since a revoked badge must read "not valid" at once."""
    verdict = badge_verdict(code[:40])
    response = render(request, "donations/print/verify.html", {
        "verdict": verdict,
        "drive_date": drive_date(verdict.badge.event) if verdict.valid else "",
    })
    patch_cache_control(response, no_store=True, no_cache=True, max_age=0)
    response["X-Robots-Tag"] = "noindex"
    return response
