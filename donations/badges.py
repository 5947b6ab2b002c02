"""Collector badges: one numbered badge per volunteer confirmed on a street shift of a drive,
each with a public verification code (``/verify/<code>/``), and QR codes drawn on the server.

Services (writes): ``badge_issue_all``, ``badge_return``, ``badge_revoke``. Selectors (reads):
``badges_for_event``, ``badge_verdict``. A badge is valid from its issue until the end of its
drive's last day (local time), unless it was handed back (returned), revoked, or its drive was
cancelled; the verification page says only that, the drive, its date and the badge number."""

import datetime
from dataclasses import dataclass

import segno
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from events.models import Event
from volunteers.models import Signup, User

from .handoff import personal_code
from .models import Badge
from .totals import giving_link


class BadgeError(Exception):
    """A badge action that cannot be done, with a message for the organizer."""


# --- Services ---------------------------------------------------------------------------------


def street_collectors(event: Event) -> QuerySet[User]:
    """People confirmed on a live street shift (a shift at a site) of the drive, earliest
    shift first: the people who get a badge."""
    return (
        User.objects.filter(
            signups__shift__event=event, signups__shift__site__isnull=False,
            signups__shift__is_cancelled=False, signups__status=Signup.Status.CONFIRMED,
        )
        .annotate(first_start=Min("signups__shift__starts_at"))
        .order_by("first_start", "display_name", "pk")
    )


def badge_issue_all(*, event: Event, by: User) -> list[Badge]:
    """Give a badge to every person confirmed on a street shift of ``event`` who has none yet,
    numbered after the drive's highest number (earliest shift first). Existing badges
    (returned or revoked ones too) are kept as they are, so running it again after more
    sign-ups only adds the newcomers. One transaction, with the event row locked so that two
    organizers pressing the button at once cannot hand out the same number.
    Returns the new badges."""
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        if event.is_cancelled:
            raise BadgeError(_("This drive is cancelled: no badges are issued for it."))
        have_badge = Badge.objects.filter(event=event).values("volunteer_id")
        newcomers = list(street_collectors(event).exclude(pk__in=have_badge))
        highest = Badge.objects.filter(event=event).aggregate(n=Max("number"))["n"] or 0
        now = timezone.now()
        badges = [
            Badge(event=event, volunteer=person, number=highest + i, issued_at=now)
            for i, person in enumerate(newcomers, start=1)
        ]
        Badge.objects.bulk_create(badges)
    return badges


def _lock(badge: Badge) -> Badge:
    return Badge.objects.select_for_update().select_related("event").get(pk=badge.pk)


def badge_return(*, badge: Badge, by: User) -> Badge:
    """Record that the collector handed the badge back (it stops being valid). Handing back
    twice keeps the first time: a re-posted form changes nothing."""
    with transaction.atomic():
        badge = _lock(badge)
        if badge.returned_at is None:
            badge.returned_at = timezone.now()
            badge.returned_to = by
            badge.save(update_fields=["returned_at", "returned_to"])
    return badge


def badge_revoke(*, badge: Badge, by: User) -> Badge:
    """Revoke a badge (lost, or its holder must not collect): the verification page says
    "not valid" from now on. Revoking twice keeps the first time."""
    with transaction.atomic():
        badge = _lock(badge)
        if badge.revoked_at is None:
            badge.revoked_at = timezone.now()
            badge.revoked_by = by
            badge.save(update_fields=["revoked_at", "revoked_by"])
    return badge


# --- Selectors --------------------------------------------------------------------------------


def badges_for_event(event: Event) -> list[Badge]:
    """The drive's badges by number, with the volunteer: one query."""
    return list(Badge.objects.filter(event=event).select_related("volunteer", "event")
                .order_by("number"))


def drive_last_day(event: Event) -> datetime.date:
    return timezone.localdate(event.ends_at)


def badge_is_valid(badge: Badge, *, today: datetime.date | None = None) -> bool:
    """Valid: not handed back, not revoked, the drive not cancelled, and its last day (local
    time) not past. A badge printed before the drive day is valid; the page shows the date."""
    today = today or timezone.localdate()
    event = badge.event
    return (badge.returned_at is None and badge.revoked_at is None
            and not event.is_cancelled and today <= drive_last_day(event))


@dataclass(frozen=True)
class Verdict:
    valid: bool
    badge: Badge | None = None


def badge_verdict(code: str) -> Verdict:
    """What the public verification page may say about ``code``: one query. An unknown code
    and a badge no longer valid read the same, so the page tells a stranger nothing about
    which codes exist or why one stopped working."""
    badge = Badge.objects.select_related("event").filter(code=code).first() if code else None
    if badge is None or not badge_is_valid(badge):
        return Verdict(valid=False)
    return Verdict(valid=True, badge=badge)


# --- QR codes -----------------------------------------------------------------------------------


def verify_url(badge: Badge) -> str:
    return settings.SITE_URL + reverse("badge_verify", args=[badge.code])


def qr_svg(text: str, *, label: str = "") -> SafeString:
    """``text`` as a QR code in inline SVG (no file, no script, nothing the CSP forbids),
    sized by CSS (class ``qr``), wrapped so a screen reader reads ``label``."""
    svg = segno.make(text, error="m").svg_inline(
        scale=1, border=2, omitsize=True, svgclass="qr", lineclass="qr-line", dark="#000",
    )
    return format_html('<span class="qr-code" role="img" aria-label="{}">{}</span>',
                       label or text, mark_safe(svg))  # noqa: S308 (segno's own markup)


def with_giving_links(badges: list[Badge], event: Event) -> list[Badge]:
    """On each badge, ``giving_code``, ``giving_link`` and ``giving_qr`` (issue 12): the code of
    the team its holder collects with on the drive (their earliest confirmed street shift: the
    team the shift is held for, else the team they signed up with), else of that shift's site;
    "" and None without one. One query; one QR code drawn per code."""
    first: dict[int, Signup] = {}
    for signup in (Signup.objects.filter(
            shift__event=event, shift__site__isnull=False, shift__is_cancelled=False,
            status=Signup.Status.CONFIRMED,
            volunteer_id__in=[badge.volunteer_id for badge in badges])
            .select_related("team", "shift__held_for", "shift__site")
            .order_by("shift__starts_at", "pk")):
        first.setdefault(signup.volunteer_id, signup)
    drawn: dict[str, SafeString] = {}
    for badge in badges:
        signup = first.get(badge.volunteer_id)
        team = (signup.shift.held_for or signup.team) if signup else None
        code = ((team.giving_code if team else None)
                or (signup.shift.site.giving_code if signup else None) or "")
        badge.giving_code = code
        badge.giving_link = giving_link(code) if code else ""
        if code and code not in drawn:
            drawn[code] = qr_svg(badge.giving_link, label=_("QR code to give by card or phone"))
        badge.giving_qr = drawn.get(code)
    return badges


# --- My shifts: the personal handoff code on the drive day ------------------------------------


def with_handoff_codes(signups: list, *, user: User, today: datetime.date | None = None) -> list:
    """On each of the person's confirmed street-shift sign-ups whose shift is today (local
    date), ``handoff_code`` (their personal code for the drive, donations.handoff) and
    ``handoff_qr`` (the same code as an inline SVG QR code); "" and None on the others.
    Computed in Python from rows already loaded: no query."""
    today = today or timezone.localdate()
    codes: dict[int, str] = {}
    for signup in signups:
        signup.handoff_code, signup.handoff_qr = "", None
        shift = signup.shift
        if (signup.status != Signup.Status.CONFIRMED or shift.site_id is None
                or shift.is_cancelled or shift.event.is_cancelled
                or timezone.localdate(shift.starts_at) != today):
            continue
        if shift.event_id not in codes:
            codes[shift.event_id] = personal_code(user, shift.event)
        signup.handoff_code = codes[shift.event_id]
        signup.handoff_qr = qr_svg(signup.handoff_code,
                                   label=_("Your handoff code as a QR code"))
    return signups
