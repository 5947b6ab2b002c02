"""The treasurer's dashboard of a drive, and what a team raised, for its captains and members
(issue 12).

Every figure comes from donations.totals (``drive_totals``, ``team_drive_totals``): the views
only arrange them. The dashboard shows the drive's counted, deposited and reconciled totals,
cash, checks and card gifts, totals by team and by site (bar charts), by hour and by
denomination, the counted total through the day (a line), where the buckets stand and the
variances; each chart sits beside a table with the same figures. It runs a fixed number of
queries however many buckets, teams and card gifts the drive has.

Who sees what: the dashboard is for treasurers (and superusers). A team's page
(``team_raised``) is for the team: its captains (and treasurers) see the team's totals on its
latest drives and how many of its buckets are counted or still waiting; its other members see
the team's total of a drive only once the drive's books are reconciled; everyone else is
refused (403), anonymous people are sent to log in. No page here names a person or shows a
person's figure, and the team page never shows another team's figures."""

import datetime
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from events.dates import local_format, time_range
from events.models import Event
from volunteers.access import role_required
from volunteers.models import Team, TeamMembership
from volunteers.rules import captained_team_ids

from ..charts import bar_chart, line_chart
from ..money_pages import kept_part
from ..rules import can_handle_money
from ..totals import Line, drive_totals, team_drive_totals
from .books import SHEET_LABELS, STATE_LABELS

treasurers_only = role_required(can_handle_money)


def _url_or_none(name: str, *args) -> str | None:
    """A page another part of issue 12 adds: linked once its URL exists."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


@dataclass(frozen=True)
class HourRow:
    label: str
    cents: int


def _hour_rows(lines: list[Line]) -> list[HourRow]:
    """"10:00-11:00 AM" for each hour a counted bucket came back (with the day in front when
    the drive's buckets came back on more than one day)."""
    days = {timezone.localtime(line.key).date() for line in lines}
    rows = []
    for line in lines:
        hours = time_range(line.key, line.key + datetime.timedelta(hours=1))
        if len(days) > 1:
            hours = f"{local_format(line.key, 'weekday_date')}, {hours}"
        rows.append(HourRow(hours, line.cash_cents))
    return rows


@dataclass(frozen=True)
class StepRow:
    time: str
    added_cents: int
    so_far_cents: int


def _through_rows(points: list[tuple[datetime.datetime, int]]) -> list[StepRow]:
    days = {timezone.localtime(at).date() for at, _cents in points}
    style = "time" if len(days) <= 1 else "timestamp"
    rows = []
    before = 0
    for at, so_far in points:
        rows.append(StepRow(local_format(at, style), so_far - before, so_far))
        before = so_far
    return rows


@treasurers_only
def money_dashboard(request, pk: int):
    """The drive's totals every way a treasurer reads them, with charts beside their tables.
    The page is the same for every treasurer: rendered once per change to what it shows and
    kept (donations/money_pages.py), so a treasurer opening it again, or the next one, costs
    one round trip to the cache and no query about the drive."""
    title, body = kept_part("dashboard", pk, lambda: _dashboard_parts(pk))
    return render(request, "donations/money/dashboard/dashboard.html", {
        "drive_title": title,
        "body": mark_safe(body),  # noqa: S308 (a template's own escaped output)
    })


def _dashboard_parts(pk: int) -> tuple[str, str]:
    """The drive's title (in the reader's language) and everything under the site's header."""
    event = get_object_or_404(Event, pk=pk)
    return event.localized.title, dashboard_body(event)


def dashboard_body(event: Event) -> str:
    totals = drive_totals(event)
    books = totals.books
    uncounted = [trip for trip in books.trips if trip.agreed is None]
    for trip in uncounted:
        trip.state_label = SHEET_LABELS[trip.sheet_state]
    return render_to_string("donations/money/dashboard/_dashboard_body.html", {
        "event": event,
        "totals": totals,
        "books": books,
        "state_label": STATE_LABELS[books.state],
        "counted_buckets": len(books.trips) - len(uncounted),
        "uncounted": uncounted,
        "card_net_cents": totals.card_cents - totals.card_fees_cents,
        "team_chart": bar_chart([(line.label, line.total_cents) for line in totals.by_team],
                                chart_id="chart-teams", title=_("Raised by each team")),
        "site_chart": bar_chart([(line.label, line.total_cents) for line in totals.by_site],
                                chart_id="chart-sites", title=_("Raised at each site")),
        "through_chart": line_chart(totals.through_the_day, chart_id="chart-through",
                                    title=_("Counted through the day")),
        "by_hour": _hour_rows(totals.by_hour),
        "through": _through_rows(totals.through_the_day),
        "card_gifts_url": _url_or_none("money_card_gifts", event.pk),
        "card_import_url": _url_or_none("money_card_import", event.pk),
        "report_url": _url_or_none("money_reconciliation_report", event.pk),
    })


@login_required
def team_raised(request, pk: int):
    """What the team raised on its latest drives. Captains of the team (and treasurers) see
    every drive's figures and bucket counts; other members see a drive's total once it is
    reconciled."""
    team = get_object_or_404(Team, pk=pk)
    full = team.pk in captained_team_ids(request.user) or can_handle_money(request.user)
    if not full and not TeamMembership.objects.filter(team=team, user=request.user).exists():
        raise PermissionDenied
    return render(request, "donations/money/dashboard/team_raised.html", {
        "team": team,
        "drives": team_drive_totals(team),
        "full": full,
    })
