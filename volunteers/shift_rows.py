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
"""

from functools import cached_property
from html import escape
from urllib.parse import quote

from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from events.dates import local_format, time_range
from events.translated import localized

from .eligibility import AGE_NEEDS, Blocker, Eligibility, Need
from .models import Signup
from .selectors import waitlist_position
from .services.signups import ACTIVE, cancel_refusal, closed_reason

ANY_PK = 2147483647


def link_pattern(url_name: str) -> str:
    """The URL of ``url_name`` for any one id, as a ``str.format`` pattern (HTML-escaped)."""
    return escape(reverse(url_name, args=[ANY_PK])).replace(str(ANY_PK), "{}")


class ShiftRows:
    """What every shift row of one page shares: the viewer, the moment, the wording in the
    page's language, the links and one CSRF token. Build one per request."""

    def __init__(self, request):
        self.request = request
        self.authenticated = request.user.is_authenticated
        self.now = timezone.now()
        self._formatted: dict = {}
        self._counted: dict = {}
        self.signup_link = link_pattern("shift_signup")
        self.cancel_link = link_pattern("signup_cancel")
        self.roster_link = link_pattern("shift_roster")
        self.calendar_link = link_pattern("shift_ics")
        self.event_link = link_pattern("event_detail")
        self.eligibility: Eligibility | None = None
        self.said_above: set[str] = set()  # needs the page says once, above the shifts
        self.places_taken = gettext("%(filled)s of %(capacity)s places taken")
        self.signed_up = gettext("You are signed up.")
        self.number_on_waitlist = gettext("You are number %(n)s on the waitlist.")
        self.cancel_place = gettext("Cancel my place")
        self.leave_waitlist = gettext("Leave the waitlist")
        self.join_waitlist = gettext("Join the waitlist")
        self.sign_up = gettext("Sign up")

    @cached_property
    def csrf_input(self) -> str:
        """Fetched only when a form is shown: anonymous pages set no CSRF cookie, so they
        stay cacheable."""
        return ('<input type="hidden" name="csrfmiddlewaretoken" '
                f'value="{escape(get_token(self.request))}">')

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
        """Why the viewer cannot take ``shift`` and what to do about it (escaped HTML)."""
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
            self.request.user, [shift for shift, _mine in rows], now=self.now)
        found: dict[str, tuple] = {}
        for shift, my_signup in rows:
            if (my_signup is not None and my_signup.status in ACTIVE) or closed_reason(
                    shift, now=self.now):
                continue
            if needs.min_age and "age" not in found:
                blocker = eligibility.age_blocker(shift)
                if blocker:
                    found["age"] = (shift, blocker)
            if needs.training and "training" not in found:
                blocker = eligibility.training_blocker(shift)
                if blocker:
                    found["training"] = (shift, blocker)
        if not found:
            return mark_safe("")
        self.said_above = {blocker.need for _shift, blocker in found.values()}
        heading = gettext("Before you can sign up")
        body = "".join(self.blocked(shift, blocker, in_panel=True)
                       for shift, blocker in found.values())
        return mark_safe(  # noqa: S308 (values escaped in blocked())
            f'<div class="card eligibility" id="can-i-sign-up"><h3>{heading}</h3>{body}</div>'
        )

    def blocker(self, shift) -> Blocker | None:
        if self.eligibility is None:  # a box alone (the htmx partial): its own two queries
            self.eligibility = Eligibility(self.request.user, [shift], now=self.now)
        return self.eligibility.blocker(shift)

    # --- the event page -------------------------------------------------------------------

    def signup_box(self, shift, my_signup: Signup | None, *, label: str | None = None,
                   notice: str = "", notice_level: str = "") -> SafeString:
        """The box under a shift: fill, the viewer's place, and the button that applies.
        ``shift`` carries ``confirmed_count``, ``waitlist_count`` and its event; a waitlisted
        ``my_signup`` carries ``waitlist_position``. ``label`` is the escaped shift label."""
        if label is None:
            label = escape(shift.label)
        fill = self.places_taken % {"filled": shift.confirmed_count, "capacity": shift.capacity}
        if shift.waitlist_count:
            fill = f"{fill} · {self.counted('waiting', shift.waitlist_count)}"
        html = f'<div class="signup-box" id="signup-{shift.pk}"><p class="fill">{fill}</p>'
        if notice:
            role = "alert" if notice_level == "error" else "status"
            html += (f'<p class="msg msg-{escape(notice_level)}" role="{role}">'
                     f"{escape(notice)}</p>")
        if my_signup is not None and my_signup.status in ACTIVE:
            my_signup.shift = shift
            confirmed = my_signup.status == Signup.Status.CONFIRMED
            if confirmed:
                mine = f"✓ {self.signed_up}"
            else:
                mine = self.number_on_waitlist % {"n": waitlist_position(my_signup)}
            html += f'<p class="mine"><strong>{mine}</strong></p>'
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
        else:
            closed = closed_reason(shift, now=self.now)
            if closed:
                html += f'<p class="meta">{escape(closed)}</p>'
            elif not self.authenticated:
                html += self.login_paragraph
            elif blocker := self.blocker(shift):
                html += self.blocked(shift, blocker)
            else:
                url = self.signup_link.format(shift.pk)
                full = shift.confirmed_count >= shift.capacity
                html += (f'<form method="post" action="{url}" hx-post="{url}">{self.csrf_input}'
                         f'<button type="submit">{self.join_waitlist if full else self.sign_up}'
                         "</button></form>")
        return mark_safe(html + "</div>")  # noqa: S308 (values escaped above)

    def site_line(self, shift, my_signup: Signup | None) -> str:
        """The shift's site (escaped): its name, and its address unless the site keeps it for
        the people signed up there (``Site.address_private``) and the viewer is not one."""
        site = shift.site
        line = escape(site.name)
        mine = my_signup is not None and my_signup.status in ACTIVE
        if site.address and (mine or not site.address_private):
            line += f" · {escape(site.address)}"
        return line

    def event_rows(self, rows, needs) -> SafeString:
        """The ``<li>`` of each ``(shift, my_signup)`` of a day on the event page; what
        ``needs`` (events.selectors.Requirements) says once for all is not repeated."""
        badges = self.badges
        out = []
        for shift, my_signup in rows:
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
            if shift.required_training_id and not needs.training:
                badge += (f' · <a href="#training-{shift.required_training_id}">'
                          f'{badges["training"]}</a>')
            if shift.held_for_id:
                team = escape(shift.held_for.name)
                badge += (f' <span class="badge badge-held">'
                          f'{self.wording["held_for"] % {"team": team}}</span>')
            if shift.site_id:
                badge += f"<br><small>{self.site_line(shift, my_signup)}</small>"
            notes = localized(shift, "notes")
            if notes:
                badge += f"<br><small>{escape(notes)}</small>"
            out.append(
                f'<li id="shift-{shift.pk}"><b>{self.times(shift.starts_at, shift.ends_at)}'
                f'</b> {label}{badge}\n'
                f"{self.signup_box(shift, my_signup, label=label)}</li>\n"
            )
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
