"""The cards of My shifts, written in Python: one card per upcoming sign-up (also the htmx
answer after cancelling and the shift's own page, through ``{% my_shift_card %}``) and the
rows of the past-shifts table.

A volunteer with 200 sign-ups took 160 ms a page through the template engine (an include per
card, three date formats and three URL lookups per card); here a page fetches each
translation once, formats each pair of times once (and each local day once per process),
writes each place once, and builds its links from one ``reverse()`` each
(``shift_rows.link_pattern``). The markup of a card has one
definition, ``MyShiftCards.card``. Every value that comes from the database or a person
passes through ``escape`` (the standard library's, as in ``shift_rows``); translated wording
is written as is, as ``{% translate %}`` does.
"""

import datetime
from functools import cached_property, lru_cache
from html import escape

from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from events.calendar import geo_uri, map_url
from events.dates import local_format, time_range
from events.translated import language_code, localized

from .models import Signup
from .services.signups import cancel_refusal
from .shift_rows import link_pattern
from .templatetags.notifications import tel_uri


@lru_cache(maxsize=4096)
def _weekday_date(day: datetime.date, language: str) -> str:
    """A local date as ``weekday_date`` ("Sat, March 7"): 200 cards span 100 days or more,
    and Django's date format is the slowest step of a card, so each process formats a day
    once per language."""
    return escape(local_format(day, "weekday_date", language))


class MyShiftCards:
    """What the cards of one page share: the moment, the wording in the page's language, the
    links and the formatted times. Build one per request."""

    def __init__(self):
        self.now = timezone.now()
        self.zone = timezone.get_current_timezone()
        self.language = language_code()
        self._titles: dict = {}
        self._roles: dict = {}
        self._places: dict = {}
        self._times: dict = {}
        self.event_link = link_pattern("event_detail")
        self.calendar_link = link_pattern("shift_ics")
        self.detail_link = link_pattern("shift_detail")
        self.cancel_link = link_pattern("signup_cancel")
        self.bucket_link = link_pattern("my_bucket")

    @cached_property
    def wording(self) -> dict[str, str]:
        # Plain gettext calls, so that makemessages finds them (the msgids of the template
        # these cards came from).
        return {
            "held_for": gettext("Held for %(team)s"),
            "open_in_maps": gettext("Open in maps"),
            "open_in_map_app": gettext("Open in the phone's map app"),
            "safety": gettext("Safety"),
            "handoff_today": gettext("Your handoff code for today"),
            "handoff_how": gettext(
                "When you receive a bucket, say this code or let the giver scan the QR code."),
            "my_bucket": gettext("My bucket: %(bucket)s"),
            "with": gettext("With"),
            "captain_of": gettext("Captain of %(team)s: %(name)s"),
            "cancelled": gettext("Cancelled"),
            "shift_cancelled": gettext("Shift cancelled by the organizers"),
            "confirmed": gettext("Confirmed"),
            "waitlist_number": gettext("Waitlist: number %(n)s"),
            "with_team": gettext("with %(team)s"),
            "add_to_calendar": gettext("Add to my calendar"),
            "shift_details": gettext("Shift details"),
            "cancel_place": gettext("Cancel my place"),
            "leave_waitlist": gettext("Leave the waitlist"),
        }

    @cached_property
    def my_shifts_url(self) -> str:
        return escape(reverse("my_shifts"))

    def when(self, shift) -> str:
        """``services.signups.shift_when`` ("Sat, March 7, 7:00-10:00 AM"), HTML-escaped; the
        times are formatted once per pair of local clock times (``time_range`` reads nothing
        else of them)."""
        start, end = shift.starts_at.astimezone(self.zone), shift.ends_at.astimezone(self.zone)
        day = start.date()
        times_key = (start.time(), end.time(), day == end.date())
        times = self._times.get(times_key)
        if times is None:
            times = self._times[times_key] = escape(time_range(start, end))
        return f"{_weekday_date(day, self.language)}, {times}"

    def label(self, shift) -> str:
        """``Shift.label`` (its title in the page's language, else its role's name),
        HTML-escaped; a role's name is looked up once."""
        title = localized(shift, "title", self.language)
        if title:
            return escape(title)
        text = self._roles.get(shift.role)
        if text is None:
            text = self._roles[shift.role] = escape(shift.label)
        return text

    def title(self, event) -> str:
        """The event's title in the page's language, HTML-escaped, once per event."""
        text = self._titles.get(event.pk)
        if text is None:
            text = self._titles[event.pk] = escape(localized(event, "title", self.language))
        return text

    def where(self, shift) -> str:
        """The place of the shift (its site, else its event's venue) with map links, and the
        site's safety notes: the same for every shift there, so written once per place."""
        key = ("site", shift.site_id) if shift.site_id else ("event", shift.event_id)
        html = self._places.get(key)
        if html is not None:
            return html
        words = self.wording
        place = shift.place
        html = f'<p class="meta">{escape(place.name)}'
        if place.address:
            html += f"<br>{escape(place.address)}"
        if place.address or place.latitude is not None:
            html += f'<br><a href="{escape(map_url(place))}">{words["open_in_maps"]}</a>'
            geo = geo_uri(place)
            if geo:
                html += f' · <a href="{escape(geo)}">{words["open_in_map_app"]}</a>'
        html += "</p>\n"
        if shift.site_id:
            notes = localized(shift.site, "safety_notes", self.language)
            if notes:
                html += (f'<p class="meta"><strong>{words["safety"]}:</strong> '
                         f"{linebreaksbr(notes, autoescape=True)}</p>\n")
        self._places[key] = html
        return html

    # --- an upcoming place -----------------------------------------------------------------

    def card(self, signup: Signup, *, notice: str = "", notice_level: str = "",
             on_shift_page: bool = False) -> SafeString:
        """One sign-up as a card: the shift, where, with whom, its state, and what the person
        can do. ``signup`` carries its shift with event (and contact), site and teams loaded,
        ``waitlist_position`` when waiting, and may carry ``teammates``, ``unnamed_teammates``,
        ``captains`` (selectors.with_crew), ``held_buckets`` and ``handoff_code``/``_qr``
        (donations.badges.with_handoff_codes)."""
        words = self.wording
        shift = signup.shift
        event = shift.event
        label = self.label(shift)
        when = self.when(shift)
        out = [
            f'<li class="card" id="mine-{signup.pk}">\n'
            f'<h3><a href="{self.event_link.format(shift.event_id)}">'
            f"{self.title(event)}</a></h3>\n"
            f"<p><strong>{label}</strong> · {when}"
        ]
        if shift.held_for_id:
            held = words["held_for"] % {"team": escape(shift.held_for.name)}
            out.append(f' · <span class="badge badge-held">{held}</span>')
        out.append(f"</p>\n{self.where(shift)}")
        code = getattr(signup, "handoff_code", "")
        if code:
            out.append(
                f'<div class="handoff"><div><p class="meta">{words["handoff_today"]}</p>'
                f'<p class="handoff-code">{escape(code)}</p>'
                f'<p class="meta">{words["handoff_how"]}</p></div>'
                f'<div class="handoff-qr">{conditional_escape(signup.handoff_qr)}</div></div>\n'
            )
        for bucket in getattr(signup, "held_buckets", ()):
            out.append(f'<p><a class="button" href="{self.bucket_link.format(bucket.pk)}">'
                       f'{words["my_bucket"] % {"bucket": escape(str(bucket))}}</a></p>\n')
        teammates = getattr(signup, "teammates", ())
        unnamed = getattr(signup, "unnamed_teammates", 0)
        if teammates or unnamed:
            line = f'<p class="meta">{words["with"]}: ' + ", ".join(map(escape, teammates))
            if unnamed:
                more = ngettext("(and %(n)s more)", "(and %(n)s more)", unnamed) % {"n": unnamed}
                line += f" {more}" if teammates else more
            out.append(f"{line}</p>\n")
        for captain in getattr(signup, "captains", ()):
            named = words["captain_of"] % {"team": escape(captain.team),
                                           "name": escape(captain.name)}
            if captain.phone:
                named += (f', <a href="{escape(tel_uri(captain.phone))}">'
                          f"{escape(captain.phone)}</a>")
            out.append(f'<p class="meta">{named}</p>\n')
        if notice:
            role = "alert" if notice_level == "error" else "status"
            out.append(f'<p class="msg msg-{escape(notice_level)}" role="{role}">'
                       f"{conditional_escape(notice)}</p>\n")
        if signup.status == Signup.Status.CANCELLED:
            out.append(f'<p><span class="badge badge-cancelled">{words["cancelled"]}</span>'
                       "</p>\n</li>\n")
            return mark_safe("".join(out))  # noqa: S308 (values escaped above)
        confirmed = signup.status == Signup.Status.CONFIRMED
        called_off = shift.is_cancelled or event.is_cancelled
        if called_off:
            state = f'<span class="badge badge-cancelled">{words["shift_cancelled"]}</span>'
        elif confirmed:
            state = f'<span class="badge badge-open">{words["confirmed"]}</span>'
        else:
            number = words["waitlist_number"] % {"n": signup.waitlist_position}
            state = f'<span class="badge">{number}</span>'
        out.append(f"<p>{state}\n")
        if signup.team_id is not None:
            out.append(f' · {words["with_team"] % {"team": escape(signup.team.name)}}')
        out.append("</p>\n")
        hidden = f'<span class="visually-hidden">: {label}, {when}</span>'
        if confirmed and not called_off:
            out.append(f'<p><a href="{self.calendar_link.format(signup.shift_id)}">'
                       f'{words["add_to_calendar"]}{hidden}</a> <small class="meta">(.ics)</small>')
            if not on_shift_page:
                out.append(f' · <a href="{self.detail_link.format(signup.shift_id)}">'
                           f'{words["shift_details"]}</a>')
            out.append("</p>\n")
        refusal = cancel_refusal(signup, now=self.now)
        if refusal:
            out.append(f'<p class="meta">{escape(refusal)}</p>\n')
        else:
            url = f"{self.cancel_link.format(signup.pk)}?next={self.my_shifts_url}"
            button = words["cancel_place"] if confirmed else words["leave_waitlist"]
            out.append(f'<p><a class="button secondary" href="{url}" hx-get="{url}" '
                       f'hx-target="#mine-{signup.pk}" hx-swap="outerHTML">{button}{hidden}</a>'
                       "</p>\n")
        out.append("</li>\n")
        return mark_safe("".join(out))  # noqa: S308 (values escaped above)

    def cards(self, signups) -> SafeString:
        return mark_safe("".join([self.card(signup) for signup in signups]))  # noqa: S308

    # --- past shifts -----------------------------------------------------------------------

    def past_rows(self, signups) -> SafeString:
        """The rows of the past-shifts table: the shift, attendance and hours (each sign-up
        carries ``hours``, selectors.my_shifts)."""
        out = []
        for signup in signups:
            shift = signup.shift
            out.append(
                f"\n<tr><td>{self.title(shift.event)}<br><small>"
                f"{self.label(shift)} · {self.when(shift)} · {escape(shift.place.name)}"
                f"</small></td>\n<td>{escape(str(signup.get_attendance_display()))}</td>"
                f"<td>{escape(str(formats.localize(signup.hours)))}</td></tr>\n"
            )
        return mark_safe("".join(out))  # noqa: S308 (values escaped above)
