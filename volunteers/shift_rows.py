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
from django.utils import formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from events.dates import local_format

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
        """``moment`` in local time as ``time`` (7 a.m.), ``clock`` (7:00), ``clock_am``
        (7:00 AM), ``day`` (Saturday, March 6) or ``when`` (Sat, Mar. 6, 7 a.m.: the start of
        services.signups.shift_when), HTML-escaped."""
        key = (moment, kind)
        text = self._formatted.get(key)
        if text is None:
            local = timezone.localtime(moment)
            if kind == "time":
                text = formats.time_format(local, "P")
            elif kind == "clock":
                text = formats.time_format(local, "g:i")
            elif kind == "clock_am":
                text = formats.time_format(local, "g:i A")
            elif kind == "day":
                text = local_format(local, "weekday_day")
            else:
                text = f"{local_format(local, 'weekday_date')}, {self.formatted(moment, 'time')}"
            text = self._formatted[key] = escape(text)
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
            refusal = cancel_refusal(my_signup, now=self.now)
            if refusal:
                html += f'<p class="meta">{escape(refusal)}</p>'
            else:
                url = self.cancel_link.format(my_signup.pk)
                button = self.cancel_place if confirmed else self.leave_waitlist
                html += (f'<form method="post" action="{url}" hx-post="{url}">{self.csrf_input}'
                         f'<button type="submit" class="secondary">{button}<span '
                         f'class="visually-hidden">: {label}, '
                         f'{self.formatted(shift.starts_at, "when")}\u2013'
                         f'{self.formatted(shift.ends_at, "time")}</span></button></form>')
        else:
            closed = closed_reason(shift, now=self.now)
            if closed:
                html += f'<p class="meta">{escape(closed)}</p>'
            elif not self.authenticated:
                html += self.login_paragraph
            else:
                url = self.signup_link.format(shift.pk)
                full = shift.confirmed_count >= shift.capacity
                html += (f'<form method="post" action="{url}" hx-post="{url}">{self.csrf_input}'
                         f'<button type="submit">{self.join_waitlist if full else self.sign_up}'
                         "</button></form>")
        return mark_safe(html + "</div>")  # noqa: S308 (values escaped above)

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
            if shift.notes:
                badge += f"<br><small>{escape(shift.notes)}</small>"
            out.append(
                f'<li id="shift-{shift.pk}"><b>{self.formatted(shift.starts_at, "time")}\u2013'
                f'{self.formatted(shift.ends_at, "time")}</b> {label}{badge}\n'
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
                f'<summary><b>{self.formatted(shift.starts_at, "clock")}\u2013'
                f'{self.formatted(shift.ends_at, "clock_am")}</b> {escape(shift.label)} · '
                f'{count}</summary><div class="rb">{roster}'
                f'<a href="{self.roster_link.format(shift.pk)}">{badges["roster"]}</a>'
                "</div></details>\n"
            )
        return mark_safe("".join(out))  # noqa: S308 (values escaped above)
