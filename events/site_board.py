"""The assignment board of a bucket drive: its sites as rows, its time windows as columns,
one cell per shift at a site; and the coverage of each site for the map.

Reads in a constant number of queries (the shifts with their site, team and fill; the
confirmed sign-ups' ages and teams; the permit coverage; the teams), whatever the number of
sites, windows or teams. The cells are written in Python (as ``volunteers/shift_rows.py``
does for the 300-shift lists): a drive of 50 sites x 6 windows is 300 cells, and through
the template engine each cell's links, wording and flags cost more than the whole query
work. Every value from the database passes through ``escape``."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from html import escape

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_lazy, ngettext

from volunteers.models import Signup, Team
from volunteers.shift_rows import ANY_PK, link_pattern

from .dates import time_range
from .models import Event, Shift, Site
from .permits import coverage_by_shift
from .selectors import shifts_with_fill

BELOW_MINIMUM = "below_minimum"
NO_PERMIT = "no_permit"
MINOR_ALONE = "minor_alone"
RETIRED = "retired"
FLAGS = {
    BELOW_MINIMUM: gettext_lazy("Below minimum"),
    NO_PERMIT: gettext_lazy("No permit"),
    MINOR_ALONE: gettext_lazy("Minor without an adult of the team"),
    RETIRED: gettext_lazy("Retired site"),
}
NOT_HELD = "none"  # the team filter's value for cells held for no team

# Map colours (coverage of a site over the day), also used by the list beside the map.
COVERED = "covered"
BELOW = "below"
EMPTY = "empty"
COVERAGE_LABELS = {
    COVERED: gettext_lazy("Covered: enough people in every window"),
    BELOW: gettext_lazy("Below minimum in some window"),
    EMPTY: gettext_lazy("Empty: nobody signed up yet"),
}


@dataclass
class Cell:
    shift: Shift
    confirmed: int
    waiting: int
    flags: list[str] = field(default_factory=list)
    permit_reason: str | None = None

    @property
    def site(self) -> Site:
        return self.shift.site


@dataclass
class SiteRow:
    site: Site
    cells: list  # Cell or None, one per window


@dataclass
class Board:
    event: Event
    windows: list[tuple[datetime.datetime, datetime.datetime]]
    rows: list[SiteRow]
    teams: list[Team]
    team_filter: str = ""
    flag_filter: str = ""
    flag_counts: dict[str, int] = field(default_factory=dict)
    cell_count: int = 0


def _board_shifts(event: Event, shift_ids=None) -> list[Shift]:
    shifts = Shift.objects.filter(event=event, site__isnull=False, is_cancelled=False)
    if shift_ids is not None:
        shifts = shifts.filter(pk__in=shift_ids)
    return list(
        shifts_with_fill(shifts.select_related("site", "held_for"))
        .order_by("site__name", "site_id", "starts_at", "pk")
    )


def _minor_alone(shifts: list[Shift]) -> set[int]:
    """Shifts where a confirmed minor has no confirmed adult of the same team (a minor
    signed up on their own counts as without one)."""
    if not shifts:
        return set()
    by_shift = {shift.pk: shift for shift in shifts}
    rows = Signup.objects.filter(
        shift_id__in=list(by_shift), status=Signup.Status.CONFIRMED
    ).values_list("shift_id", "team_id", "volunteer__date_of_birth", "volunteer__confirmed_adult")
    minors: dict[int, set] = defaultdict(set)
    adults: dict[int, set] = defaultdict(set)
    for shift_id, team_id, born, confirmed_adult in rows:
        day = by_shift[shift_id].starts_at.date()
        if born is not None:
            age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
            adult = age >= 18
        else:
            adult = confirmed_adult
        (adults if adult else minors)[shift_id].add(team_id)
    return {
        shift_id for shift_id, teams in minors.items()
        if any(team is None or team not in adults[shift_id] for team in teams)
    }


def _cells(shifts: list[Shift]) -> list[Cell]:
    coverage = coverage_by_shift(shifts)
    alone = _minor_alone(shifts)
    cells = []
    for shift in shifts:
        cell = Cell(shift=shift, confirmed=shift.confirmed_count, waiting=shift.waitlist_count)
        if cell.confirmed < shift.site.min_people:
            cell.flags.append(BELOW_MINIMUM)
        info = coverage.get(shift.pk)
        if info is not None and info.reason:
            cell.flags.append(NO_PERMIT)
            cell.permit_reason = info.reason
        if shift.pk in alone:
            cell.flags.append(MINOR_ALONE)
        if not shift.site.is_active:
            cell.flags.append(RETIRED)
        cells.append(cell)
    return cells


def teams_for_holding() -> list[Team]:
    """Every team, each with ``captain_count`` (a team without a captain cannot hold)."""
    return list(Team.objects.annotate(
        captain_count=Count("memberships", filter=Q(memberships__is_captain=True))
    ).order_by("name"))


def site_board(*, event: Event, team: str = "", flag: str = "") -> Board:
    """The board of ``event``, filtered to cells held for ``team`` (a team id, or
    ``NOT_HELD``) and/or carrying ``flag``; rows without a cell left are dropped. The
    columns are the windows of the whole drive, filtered or not."""
    cells = _cells(_board_shifts(event))
    windows = sorted({(c.shift.starts_at, c.shift.ends_at) for c in cells})
    column = {window: i for i, window in enumerate(windows)}
    flag_counts = dict.fromkeys(FLAGS, 0)
    for cell in cells:
        for name in cell.flags:
            flag_counts[name] += 1
    if team == NOT_HELD:
        cells = [c for c in cells if c.shift.held_for_id is None]
    elif team.isdigit():
        cells = [c for c in cells if c.shift.held_for_id == int(team)]
    if flag in FLAGS:
        cells = [c for c in cells if flag in c.flags]
    rows: dict[int, SiteRow] = {}
    for cell in cells:
        row = rows.get(cell.shift.site_id)
        if row is None:
            row = rows[cell.shift.site_id] = SiteRow(cell.site, [None] * len(windows))
        index = column[(cell.shift.starts_at, cell.shift.ends_at)]
        if row.cells[index] is None:  # two shifts at one site and time: the first shows
            row.cells[index] = cell
    return Board(event=event, windows=windows, rows=list(rows.values()),
                 teams=teams_for_holding(), team_filter=team, flag_filter=flag,
                 flag_counts=flag_counts, cell_count=len(cells))


def board_cell(*, event: Event, shift_id: int) -> Cell | None:
    """One cell, read as the board reads it (for the htmx answer to a hold or release)."""
    cells = _cells(_board_shifts(event, shift_ids=[shift_id]))
    return cells[0] if cells else None


# --- Markup ---------------------------------------------------------------------------------


class CellMarkup:
    """What every cell of one page shares: wording fetched once, links from one reverse()."""

    def __init__(self, event: Event):
        self.event = event
        self.cell_link = escape(reverse("site_board_cell", args=[event.pk, ANY_PK])).replace(
            str(ANY_PK), "{}")
        self.roster_link = link_pattern("shift_roster")
        self.not_held = escape(gettext("Not held"))
        self.manage = escape(gettext("Hold or release"))
        self.roster = escape(gettext("Roster"))
        self.flag_words = {
            NO_PERMIT: escape(gettext("No permit covers it")),
            MINOR_ALONE: escape(gettext("A minor without an adult of the same team")),
            RETIRED: escape(gettext("Retired site")),
        }

    def below(self, minimum: int) -> str:
        return escape(ngettext(
            "Below the minimum of %(n)s: someone would stand alone",
            "Below the minimum of %(n)s: someone would stand alone", minimum) % {"n": minimum})

    def counts(self, cell: Cell) -> str:
        text = gettext("%(filled)s/%(needed)s confirmed") % {
            "filled": cell.confirmed, "needed": cell.shift.needed}
        if cell.waiting:
            text += " · " + gettext("%(n)s waiting") % {"n": cell.waiting}
        return escape(text)

    def cell(self, cell: Cell | None, *, note: str = "") -> str:
        if cell is None:
            return "<td></td>"
        shift = cell.shift
        team = shift.held_for
        classes = " ".join(["cell", *(f"f-{name}" for name in cell.flags)])
        held = f"<b>{escape(team.name)}</b>" if team is not None else (
            f'<span class="muted">{self.not_held}</span>')
        flags = ""
        if cell.flags:
            words = []
            for name in cell.flags:
                if name == BELOW_MINIMUM:
                    words.append(self.below(shift.site.min_people))
                elif name == NO_PERMIT:
                    words.append(f'<span title="{escape(cell.permit_reason or "")}">'
                                 f"{self.flag_words[name]}</span>")
                else:
                    words.append(self.flag_words[name])
            flags = '<ul class="flags">' + "".join(f"<li>{w}</li>" for w in words) + "</ul>"
        url = self.cell_link.format(shift.pk)
        note = f'<p class="msg" role="status">{escape(note)}</p>' if note else ""
        return (
            f'<td id="c{shift.pk}" class="{classes}">{note}{held}<br>{self.counts(cell)}{flags}'
            f'<a href="{url}" hx-get="{url}">'
            f'{self.manage}</a> · <a href="{self.roster_link.format(shift.pk)}">{self.roster}'
            "</a></td>"
        )

    def rows(self, board: Board) -> SafeString:
        out = []
        sizes = gettext("min %(min)s, most %(max)s")
        for row in board.rows:
            site = row.site
            size = escape(sizes % {"min": site.min_people, "max": site.max_people})
            out.append(f'<tr><th scope="row">{escape(site.name)}<br><small>{size}</small></th>')
            out.extend(self.cell(cell) for cell in row.cells)
            out.append("</tr>")
        return mark_safe("".join(out))  # noqa: S308 (every value escaped above)


def window_label(window: tuple[datetime.datetime, datetime.datetime]) -> str:
    return time_range(*window)


# --- The map --------------------------------------------------------------------------------


def map_sites(*, event: Event) -> list[dict]:
    """Each site of the drive with its coverage colour, its windows and the buckets out there
    now (number, holder, overdue), for the map's JSON and the list beside it (constant
    queries)."""
    from donations.live import buckets_by_site  # donations builds on events, not the reverse

    shifts = _board_shifts(event)
    buckets = buckets_by_site(event=event)
    by_site: dict[int, list[Shift]] = defaultdict(list)
    for shift in shifts:
        by_site[shift.site_id].append(shift)
    sites = []
    for site_shifts in by_site.values():
        site = site_shifts[0].site
        teams = sorted({s.held_for.name for s in site_shifts if s.held_for is not None})
        if all(s.confirmed_count == 0 for s in site_shifts):
            coverage = EMPTY
        elif any(s.confirmed_count < site.min_people for s in site_shifts):
            coverage = BELOW
        else:
            coverage = COVERED
        sites.append({
            "name": site.name,
            "address": site.address,
            "lat": float(site.latitude),
            "lon": float(site.longitude),
            "coverage": coverage,
            "coverage_label": str(COVERAGE_LABELS[coverage]),
            "teams": teams,
            "buckets": buckets.get(site.pk, []),
            "windows": [
                {"time": time_range(s.starts_at, s.ends_at), "filled": s.confirmed_count,
                 "needed": s.needed, "team": s.held_for.name if s.held_for else ""}
                for s in site_shifts
            ],
        })
    sites.sort(key=lambda entry: entry["name"])
    return sites
