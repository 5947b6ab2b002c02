"""The long lists of shifts, written in Python: the rows of the event page with their sign-up
boxes, the box alone (the htmx response after signing up or cancelling), and the rows of the
shift board.

A bucket-drive day has 300 shifts. Through the template engine (an include, a
blocktranslate, a url and a csrf_token per shift) these lists took 150-600 ms a page; here a
page fetches each translation once, formats each distinct time once, builds its links from one
``reverse()`` and writes one CSRF token, and renders in a few milliseconds. The markup of a
sign-up box has one definition, ``ShiftRows.signup_box``, for the list and for the htmx
partial (``volunteers/partials/_shift_signup.html`` calls it through ``{% signup_box %}``).
Every value that comes from the database or a person passes through ``escape`` (the standard
library's, which Django's wraps: the same output, without the lazy-string check per call);
translated wording is written as is, as ``{% translate %}`` does.

The event page's rows are written in two parts: what every viewer sees (``SharedShift``,
written once per change to the event and kept in the cache: ``events.views.shared_detail``) and,
for each request, the viewer's part of each box, worked out once per kind of shift
(``Eligibility.standing_key``). The board's rows are the same for every organizer and kept
whole (``written_board``, ``volunteers.views.board.board``).
"""

from dataclasses import dataclass
from functools import cached_property
from html import escape
from operator import itemgetter
from types import SimpleNamespace
from urllib.parse import quote

from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from events.dates import local_format, time_range
from events.models import Event
from events.selectors import (
    Requirements,
    ShiftDay,
    by_local_day,
    event_shifts,
    shift_requirements,
    viewer_places,
)
from events.translated import localized

from .eligibility import AGE_NEEDS, Blocker, Eligibility, Need
from .models import Signup
from .selectors import event_board, waitlist_position
from .services.signups import ACTIVE, cancel_refusal, closed_reason

ANY_PK = 2147483647


def link_pattern(url_name: str) -> str:
    """The URL of ``url_name`` for any one id, as a ``str.format`` pattern (HTML-escaped)."""
    return escape(reverse(url_name, args=[ANY_PK])).replace(str(ANY_PK), "{}")


class SharedShift(tuple):
    """A shift of the event page as every viewer sees it, kept in the cache with the shared
    part of the page: its row up to the viewer's part of the sign-up box (``head``, or
    ``head_if_mine`` for those signed up when the site shows its address only to them) and
    what the viewer's part is worked out from. It stands in for the ``Shift`` in
    ``ShiftRows.box_for_viewer``, ``Eligibility`` and ``closed_reason``.

    A tuple, so that the 300 rows of a drive day come out of the cache at C speed (a class
    of its own with slots took 0.7 ms to unpickle; this takes 0.1 ms)."""

    __slots__ = ()
    FIELDS = ("pk", "event_id", "event_status", "starts_at", "ends_at", "is_cancelled",
              "confirmed_count", "waitlist_count", "capacity", "min_age",
              "required_training_id", "held_for_id", "held_for_name", "label", "label_html",
              "head", "head_if_mine", "standing_key")

    @classmethod
    def of(cls, shift, *, label_html: str, head: str, head_if_mine: str | None,
           alike: dict) -> "SharedShift":
        """``alike`` maps equal values (times, standing keys) to one object: pickled once,
        however many shifts share it."""
        starts_at = alike.setdefault(shift.starts_at, shift.starts_at)
        ends_at = alike.setdefault(shift.ends_at, shift.ends_at)
        key = Eligibility.standing_key(shift)
        return cls((shift.pk, shift.event_id, shift.event.status, starts_at, ends_at,
                    shift.is_cancelled, shift.confirmed_count, shift.waitlist_count,
                    shift.capacity, shift.min_age, shift.required_training_id,
                    shift.held_for_id, shift.held_for.name if shift.held_for_id else "",
                    shift.label, label_html, head, head_if_mine, alike.setdefault(key, key)))

    @property
    def event(self):
        """What ``closed_reason`` reads of the event: its status."""
        return _EVENT_STATUS[self.event_status]

    @property
    def held_for(self):
        return SimpleNamespace(name=self.held_for_name)


for _index, _name in enumerate(SharedShift.FIELDS):
    setattr(SharedShift, _name, property(itemgetter(_index)))
del _index, _name

_EVENT_STATUS = {status: SimpleNamespace(status=status) for status in Event.Status.values}


class ShiftRows:
    """What every shift row of one page shares: the viewer, the moment, the wording in the
    page's language, the links and one CSRF token. Build one per request."""

    def __init__(self, request, *, csrf_token=None):
        self.request = request
        self.csrf_token = csrf_token  # the page's own (lazy) token, when it has one
        self.authenticated = request.user.is_authenticated
        self.now = timezone.now()
        self._formatted: dict = {}
        self._counted: dict = {}
        self.eligibility: Eligibility | None = None
        self.said_above: set[str] = set()  # needs the page says once, above the shifts
        self._written: dict[Blocker, str] = {}
        self._judged: dict[tuple, str | Blocker | None] = {}
        self.places_taken = gettext("%(filled)s of %(capacity)s places taken")
        self.signed_up = gettext("You are signed up.")
        self.number_on_waitlist = gettext("You are number %(n)s on the waitlist.")
        self.cancel_place = gettext("Cancel my place")
        self.leave_waitlist = gettext("Leave the waitlist")
        self.join_waitlist = gettext("Join the waitlist")
        self.sign_up = gettext("Sign up")

    # The links, each built when a page first needs it.
    signup_link = cached_property(lambda self: link_pattern("shift_signup"))
    cancel_link = cached_property(lambda self: link_pattern("signup_cancel"))
    roster_link = cached_property(lambda self: link_pattern("shift_roster"))
    calendar_link = cached_property(lambda self: link_pattern("shift_ics"))
    event_link = cached_property(lambda self: link_pattern("event_detail"))

    @cached_property
    def csrf_input(self) -> str:
        """Fetched only when a form is shown: anonymous pages set no CSRF cookie, so they
        stay cacheable. The page's own token when it has one (``get_token`` masks the secret
        anew at each call)."""
        token = get_token(self.request) if self.csrf_token is None else str(self.csrf_token)
        return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">'

    @cached_property
    def login_paragraph(self) -> str:
        url = escape(f'{reverse("account_login")}?next={quote(self.request.path, safe="/")}')
        label = gettext("Log in to sign up")
        return f'<p><a href="{url}">{label}</a></p>'

    # --- values many rows share, computed once --------------------------------------------

    def formatted(self, moment, kind: str) -> str:
        """``moment`` in local time as ``day`` (Saturday, March 6) or ``weekday`` (Sat, March 6:
        the start of services.signups.shift_when), HTML-escaped."""
        key = (moment, kind)
        text = self._formatted.get(key)
        if text is None:
            style = "weekday_day" if kind == "day" else "weekday_date"
            text = self._formatted[key] = escape(local_format(moment, style))
        return text

    def times(self, start, end) -> str:
        """``start``-``end`` as the page's language writes a range (events.dates.time_range),
        HTML-escaped."""
        key = (start, end)
        text = self._formatted.get(key)
        if text is None:
            text = self._formatted[key] = escape(time_range(start, end))
        return text

    def counted(self, message: str, n: int) -> str:
        """A translated phrase about a number (``needs``, ``needs_more``, ``waiting``)."""
        key = (message, n)
        text = self._counted.get(key)
        if text is None:
            if message == "waiting":
                text = ngettext("%(n)s waiting", "%(n)s waiting", n) % {"n": n}
            elif message == "needs_more":
                text = gettext("needs %(n)s more") % {"n": n}
            else:
                text = gettext("needs %(n)s") % {"n": n}
            self._counted[key] = text
        return text

    @cached_property
    def badges(self) -> dict[str, str]:
        # Plain gettext calls (not inside f-strings), so that makemessages finds them.
        cancelled, full, shift_cancelled, waiting = (
            gettext("Cancelled"), gettext("Full"), gettext("cancelled"), gettext("Waiting"),
        )
        return {
            "cancelled": f' <span class="badge badge-cancelled">{cancelled}</span>',
            "full": f' <span class="badge badge-full">{full}</span>',
            "training": gettext("training"),
            "board_cancelled": f' <i>{shift_cancelled}</i>',
            "waiting": f"<small>{waiting}</small>",
            "roster": gettext("Roster and contacts"),
        }

    @cached_property
    def wording(self) -> dict[str, str]:
        """What the sign-up boxes say about a shift the viewer cannot take, and what to do."""
        return {
            "min_age": gettext("This shift is for volunteers %(age)s or older."),
            "confirm_adult": gettext("I confirm I am 18 or older"),
            "birth_date": gettext("Add your date of birth on your profile"),
            "needs_training": gettext("This shift needs “%(training)s” first."),
            "rsvp_training": gettext("RSVP to the training"),
            "going_to_training": gettext(
                "You are going to “%(training)s”. Once an organizer marks you as attended, "
                "you can sign up."),
            "training_past": gettext(
                "If you attended it, ask the organizers to mark you as present."),
            "training_page": gettext("See the training"),
            "overlap": gettext(
                "You already have a shift at that time: %(shift)s, %(when)s (%(event)s)."),
            "my_shifts": gettext("My shifts"),
            "see_above": gettext("Not open to you yet: see what to do above"),
            "add_to_calendar": gettext("Add to my calendar"),
            "held_for": gettext("Held for %(team)s"),
            "held": gettext("This corner is held for %(team)s."),
            "held_join": gettext("To stand here, ask that team's captain to invite you."),
        }

    @cached_property
    def profile_url(self) -> str:
        return escape(reverse("profile"))

    @cached_property
    def confirm_adult_url(self) -> str:
        return escape(reverse("confirm_adult"))

    @cached_property
    def my_shifts_url(self) -> str:
        return escape(reverse("my_shifts"))

    def confirm_adult_form(self, *, next_url: str, shift_pk: int | None) -> str:
        """The in-place 18+ confirmation: htmx swaps the shift's box, a plain post comes back
        to ``next_url`` (escaped)."""
        url = self.confirm_adult_url
        if shift_pk is None:
            form = f'<form method="post" action="{url}">'
        else:
            form = (f'<form method="post" action="{url}" hx-post="{url}">'
                    f'<input type="hidden" name="shift" value="{shift_pk}">')
        return (f'{form}{self.csrf_input}<input type="hidden" name="next" value="{next_url}">'
                f'<button type="submit" class="secondary">{self.wording["confirm_adult"]}'
                "</button></form>")

    def blocked(self, shift, blocker: Blocker, *, in_panel: bool = False) -> str:
        """Why the viewer cannot take ``shift`` and what to do about it (escaped HTML). The
        same reason reads the same under every shift it stops (the 18+ form alone names its
        shift), so each is written once a page."""
        if in_panel or (blocker.need == Need.CONFIRM_ADULT
                        and blocker.need not in self.said_above):
            return self._blocked(shift, blocker, in_panel=in_panel)
        html = self._written.get(blocker)
        if html is None:
            html = self._written[blocker] = self._blocked(shift, blocker)
        return html

    def _blocked(self, shift, blocker: Blocker, *, in_panel: bool = False) -> str:
        words = self.wording
        if not in_panel and blocker.need in self.said_above:
            return f'<p class="meta"><a href="#can-i-sign-up">{words["see_above"]}</a></p>'
        need = blocker.need
        if need == Need.CLOSED:
            return f'<p class="meta">{escape(blocker.closed)}</p>'
        if need == Need.HELD:
            return (f'<p class="meta">{words["held"] % {"team": escape(blocker.team)}} '
                    f'{words["held_join"]}</p>')
        if need in AGE_NEEDS:
            html = f'<p class="meta">{words["min_age"] % {"age": blocker.min_age}}'
            if need == Need.BIRTH_DATE:
                html += f' <a href="{self.profile_url}">{words["birth_date"]}</a>'
            html += "</p>"
            if need == Need.CONFIRM_ADULT:
                page = self.event_link.format(shift.event_id)
                if in_panel:
                    html += self.confirm_adult_form(next_url=f"{page}#shifts-heading",
                                                    shift_pk=None)
                else:
                    html += self.confirm_adult_form(next_url=f"{page}#shift-{shift.pk}",
                                                    shift_pk=shift.pk)
            return html
        if need == Need.TRAINING:
            training = blocker.training
            values = {"training": escape(localized(training, "title"))}
            page = self.event_link.format(training.pk)
            if getattr(training, "viewer_going", False) and training.ends_at > self.now:
                return (f'<p class="meta">{words["going_to_training"] % values} '
                        f'<a href="{page}">{words["training_page"]}</a></p>')
            if training.ends_at <= self.now:
                return (f'<p class="meta">{words["needs_training"] % values} '
                        f'{words["training_past"]}</p>')
            return (f'<p class="meta">{words["needs_training"] % values} '
                    f'<a href="{page}#rsvp">{words["rsvp_training"]}</a></p>')
        other = blocker.clash.shift
        values = {
            "shift": escape(other.label),
            "when": f'{self.formatted(other.starts_at, "weekday")}, '
                    f'{self.times(other.starts_at, other.ends_at)}',
            "event": escape(localized(other.event, "title")),
        }
        return (f'<p class="meta">{words["overlap"] % values} '
                f'<a href="{self.my_shifts_url}">{words["my_shifts"]}</a></p>')

    def eligibility_panel(self, days, needs) -> SafeString:
        """Work out, once for the whole page, which shifts the viewer can take; what every
        shift asks (``needs``: an age, a training) and the viewer lacks is said here once,
        with what to do, and the boxes below point up to it. "" when nothing is missing."""
        if not self.authenticated:
            return mark_safe("")
        rows = [row for day in days for row in day.rows]
        self.eligibility = eligibility = Eligibility(
            self.request.user, [shift for shift, _mine in rows], now=self.now,
            trainings=needs.by_id, clashes=needs.clashes)
        found: dict[str, tuple] = {}
        asks_age, asks_training = bool(needs.min_age), bool(needs.training)
        if asks_age or asks_training:
            for shift, my_signup in rows:
                if (my_signup is not None and my_signup.status in ACTIVE) or closed_reason(
                        shift, now=self.now):
                    continue
                if asks_age and "age" not in found:
                    blocker = eligibility.age_blocker(shift)
                    if blocker:
                        found["age"] = (shift, blocker)
                if asks_training and "training" not in found:
                    blocker = eligibility.training_blocker(shift)
                    if blocker:
                        found["training"] = (shift, blocker)
                if len(found) == asks_age + asks_training:
                    break
        if not found:
            return mark_safe("")
        self.said_above = {blocker.need for _shift, blocker in found.values()}
        self._written.clear()
        self._judged.clear()
        heading = gettext("Before you can sign up")
        body = "".join(self.blocked(shift, blocker, in_panel=True)
                       for shift, blocker in found.values())
        return mark_safe(  # noqa: S308 (values escaped in blocked())
            f'<div class="card eligibility" id="can-i-sign-up"><h3>{heading}</h3>{body}</div>'
        )

    def blocker(self, shift) -> Blocker | None:
        """Why the viewer cannot take ``shift``, known to be open (None: they can)."""
        if self.eligibility is None:  # a box alone (the htmx partial): its own two queries
            self.eligibility = Eligibility(self.request.user, [shift], now=self.now)
        return self.eligibility.personal_blocker(shift)

    # --- the event page -------------------------------------------------------------------

    def signup_box(self, shift, my_signup: Signup | None, *, label: str | None = None,
                   notice: str = "", notice_level: str = "") -> SafeString:
        """The box under a shift: fill, the viewer's place, and the button that applies.
        ``shift`` carries ``confirmed_count``, ``waitlist_count`` and its event; a waitlisted
        ``my_signup`` carries ``waitlist_position``. ``label`` is the escaped shift label.
        The event page writes the same box in two parts: ``box_top`` (the same for everyone,
        kept with the shared part of the page) and ``box_for_viewer``."""
        if label is None:
            label = escape(shift.label)
        html = self.box_top(shift)
        if notice:
            role = "alert" if notice_level == "error" else "status"
            html += (f'<p class="msg msg-{escape(notice_level)}" role="{role}">'
                     f"{escape(notice)}</p>")
        if my_signup is not None:
            my_signup.shift = shift
        return mark_safe(  # noqa: S308 (values escaped in the parts)
            f"{html}{self.box_for_viewer(shift, my_signup, label)}</div>")

    def box_top(self, shift) -> str:
        """The opening of a sign-up box and its fill, what every viewer sees (escaped)."""
        fill = self.places_taken % {"filled": shift.confirmed_count, "capacity": shift.capacity}
        if shift.waitlist_count:
            fill = f"{fill} · {self.counted('waiting', shift.waitlist_count)}"
        return f'<div class="signup-box" id="signup-{shift.pk}"><p class="fill">{fill}</p>'

    def box_for_viewer(self, shift, my_signup: Signup | None, label: str) -> str:
        """The rest of the box (before its ``</div>``): the viewer's place on ``shift``, or
        why the viewer cannot take one, or the button. ``my_signup.shift`` is loaded, with
        its event."""
        if my_signup is not None and my_signup.status in ACTIVE:
            confirmed = my_signup.status == Signup.Status.CONFIRMED
            if confirmed:
                mine = f"✓ {self.signed_up}"
            else:
                mine = self.number_on_waitlist % {"n": waitlist_position(my_signup)}
            html = f'<p class="mine"><strong>{mine}</strong></p>'
            if confirmed:
                html += (f'<p><a href="{self.calendar_link.format(shift.pk)}">'
                         f'{self.wording["add_to_calendar"]}</a></p>')
            refusal = cancel_refusal(my_signup, now=self.now)
            if refusal:
                html += f'<p class="meta">{escape(refusal)}</p>'
            else:
                # A link to the "are you sure?" step (a page, or in place with htmx).
                url = self.cancel_link.format(my_signup.pk)
                button = self.cancel_place if confirmed else self.leave_waitlist
                html += (f'<p><a class="button secondary" href="{url}" hx-get="{url}">{button}'
                         f'<span class="visually-hidden">: {label}, '
                         f'{self.formatted(shift.starts_at, "weekday")}, '
                         f'{self.times(shift.starts_at, shift.ends_at)}</span></a></p>')
            return html
        return self.standing_markup(shift, self.standing(shift))

    def standing(self, shift) -> str | Blocker | None:
        """Whether the viewer, holding no place on ``shift``, may take one: ``None`` (the
        button), a ``Blocker`` whose markup names the shift, or the markup (escaped) that is
        the same for every shift of the same ``Eligibility.standing_key``."""
        closed = closed_reason(shift, now=self.now)
        if closed:
            return f'<p class="meta">{escape(closed)}</p>'
        if not self.authenticated:
            return self.login_paragraph
        blocker = self.blocker(shift)
        if blocker is None:
            return None
        if blocker.need == Need.CONFIRM_ADULT and blocker.need not in self.said_above:
            return blocker
        return self.blocked(shift, blocker)

    def standing_markup(self, shift, standing: str | Blocker | None) -> str:
        if standing is None:
            url = self.signup_link.format(shift.pk)
            full = shift.confirmed_count >= shift.capacity
            return (f'<form method="post" action="{url}" hx-post="{url}">{self.csrf_input}'
                    f'<button type="submit">{self.join_waitlist if full else self.sign_up}'
                    "</button></form>")
        if isinstance(standing, Blocker):
            return self.blocked(shift, standing)
        return standing

    def site_line(self, shift, *, mine: bool) -> str:
        """The shift's site (escaped): its name, and its address unless the site keeps it for
        the people signed up there (``Site.address_private``) and the viewer is not one."""
        site = shift.site
        line = escape(site.name)
        if site.address and (mine or not site.address_private):
            line += f" · {escape(site.address)}"
        return line

    def shared_rows(self, shifts, needs) -> list["SharedShift"]:
        """Each shift of the event page (with fill counts, site and team) as every viewer
        sees it: its ``<li>`` written up to the viewer's part of its sign-up box. What
        ``needs`` (events.selectors.Requirements) says once for all is not repeated."""
        badges = self.badges
        rows = []
        alike: dict = {}
        for shift in shifts:
            label = escape(shift.label)
            if shift.is_cancelled:
                badge = badges["cancelled"]
            elif shift.confirmed_count >= shift.capacity:
                badge = badges["full"]
            elif shift.confirmed_count < shift.needed:
                still = shift.needed - shift.confirmed_count
                badge = f' <span class="badge">{self.counted("needs_more", still)}</span>'
            else:
                badge = ""
            if shift.min_age and not needs.min_age:
                badge += f" · {shift.min_age}+"
            if shift.required_training_id and not needs.training_id:
                badge += (f' · <a href="#training-{shift.required_training_id}">'
                          f'{badges["training"]}</a>')
            if shift.held_for_id:
                team = escape(shift.held_for.name)
                badge += (f' <span class="badge badge-held">'
                          f'{self.wording["held_for"] % {"team": team}}</span>')
            notes = localized(shift, "notes")
            notes = f"<br><small>{escape(notes)}</small>" if notes else ""
            times = self.times(shift.starts_at, shift.ends_at)
            start = f'<li id="shift-{shift.pk}"><b>{times}</b> '
            box = f"\n{self.box_top(shift)}"
            head = head_if_mine = None
            if shift.site_id:
                site = f"<br><small>{self.site_line(shift, mine=False)}</small>"
                head = f"{start}{label}{badge}{site}{notes}{box}"
                if shift.site.address and shift.site.address_private:
                    site = f"<br><small>{self.site_line(shift, mine=True)}</small>"
                    head_if_mine = f"{start}{label}{badge}{site}{notes}{box}"
            else:
                head = f"{start}{label}{badge}{notes}{box}"
            rows.append(SharedShift.of(shift, label_html=label, head=head,
                                       head_if_mine=head_if_mine, alike=alike))
        return rows

    def event_rows(self, rows) -> SafeString:
        """The ``<li>`` of each ``(SharedShift, my_signup)`` of a day on the event page: the
        shared part of each row, then the viewer's part of its sign-up box. Where the viewer
        holds no place, shifts alike in all the rules look at (``standing_key``: a drive
        day's 300 shifts have a few dozen) are judged once."""
        out = []
        judged = self._judged
        for shift, my_signup in rows:
            if my_signup is not None and my_signup.status in ACTIVE:
                box = self.box_for_viewer(shift, my_signup, shift.label_html)
                out.append(f"{shift.head_if_mine or shift.head}{box}</div></li>\n")
                continue
            key = shift.standing_key
            try:
                standing = judged[key]
            except KeyError:
                standing = judged[key] = self.standing(shift)
            box = standing if type(standing) is str else self.standing_markup(shift, standing)
            out.append(f"{shift.head}{box}</div></li>\n")
        return mark_safe("".join(out))  # noqa: S308 (values escaped above)

    # --- the shift board ------------------------------------------------------------------

    def board_rows(self, rows) -> SafeString:
        """Each ``BoardShift`` of ``selectors.event_board`` (rosters as names) as a
        ``<details>``, under a heading for each local day."""
        badges = self.badges
        out = []
        day = None
        for row in rows:
            shift = row.shift
            if self.formatted(shift.starts_at, "day") != day:
                day = self.formatted(shift.starts_at, "day")
                out.append(f"<h2>{day}</h2>\n")
            count = f"{shift.confirmed_count}/{shift.needed}/{shift.capacity}"
            if shift.waitlist_count:
                count += f" +{shift.waitlist_count}"
            if shift.is_cancelled:
                count += badges["board_cancelled"]
            elif row.missing:
                count += f" <i>{self.counted('needs', row.missing)}</i>"
            roster = ""
            if row.confirmed:
                roster = "<ol>" + "".join(
                    f"<li>{escape(name)}</li>" for name in row.confirmed
                ) + "</ol>"
            if row.waiting:
                roster += badges["waiting"] + '<ol class="w">' + "".join(
                    f"<li>{escape(name)}</li>" for name in row.waiting
                ) + "</ol>"
            unfilled = ' class="unfilled"' if row.unfilled else ""
            out.append(
                f'<details id="s{shift.pk}"{unfilled}>'
                f'<summary><b>{self.times(shift.starts_at, shift.ends_at)}</b> '
                f'{escape(shift.label)} · '
                f'{count}</summary><div class="rb">{roster}'
                f'<a href="{self.roster_link.format(shift.pk)}">{badges["roster"]}</a>'
                "</div></details>\n"
            )
        return mark_safe("".join(out))  # noqa: S308 (values escaped above)


# --- the event page's shift list: a shared part and the viewer's ------------------------------


def shared_shift_days(request, event: Event) -> tuple[list[tuple], Requirements]:
    """What every viewer sees of the event page's shifts, to be kept with the shared part of
    the page (``events.views.shared_detail``): the days, each ``(date, [SharedShift])``,
    and what the shifts ask (``Requirements``, by ids). One query. Nothing in it depends on
    the time or the viewer; ``viewer_shift_days`` adds what does."""
    shifts = event_shifts(event=event)
    needs = shift_requirements(shifts)
    return by_local_day(ShiftRows(request).shared_rows(shifts, needs)), needs


def viewer_shift_days(request, event: Event, days: list[tuple],
                      needs: Requirements) -> tuple[list[ShiftDay], Requirements]:
    """The shared days with the viewer's sign-ups (one query), each row a
    ``(SharedShift, my_signup)``, and ``needs`` with the required trainings and the
    viewer's attendance (one query when a shift needs a training) and the viewer's places
    that the overlap rule counts (from the same query as the sign-ups)."""
    mine, clashes = viewer_places(user=request.user, event=event)
    needs = needs.for_viewer(request.user, clashes=clashes)
    return [ShiftDay(day, [(shift, mine.get(shift.pk)) for shift in shifts])
            for day, shifts in days], needs


# --- the shift board ---------------------------------------------------------------------------


@dataclass
class WrittenBoard:
    """The shift board's figures and its rows written out (``ShiftRows.board_rows``), as the
    board template shows them, and its ``event`` (``volunteers.views.board.board``)."""

    shifts: list[int]  # the ids of its shifts, in order
    confirmed: int
    needed: int
    unfilled_count: int
    waiting: int
    rows: SafeString
    event: Event | None = None


def written_board(request, *, event: Event, viewer) -> WrittenBoard:
    """The board of ``event`` as ``viewer`` may see it (``selectors.event_board``: two
    queries), written out. Nothing in it depends on the time."""
    board = event_board(event=event, viewer=viewer)
    return WrittenBoard(
        shifts=[row.shift.pk for row in board.shifts], confirmed=board.confirmed,
        needed=board.needed,
        unfilled_count=board.unfilled_count, waiting=board.waiting,
        rows=ShiftRows(request).board_rows(board.shifts),
    )
