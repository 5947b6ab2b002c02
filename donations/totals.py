"""What a drive raised, and who raised it: the figures every treasurer page, the captains' page
and the public total read (issue 12). Nothing here writes.

**Attribution from custody.** A bucket's figure (its agreed count, odd items' proceeds and
bank adjustments allocated to it; see donations/books) belongs to the teams and sites that had
the bucket on that trip. A trip is the custody rows from the bucket's "issued" step to its
"returned" step; each step until the next is a stretch held by the step's team at the step's
shift's site. A trip handed over between teams is shared between them in proportion to the
time each held it, in exact cents (largest remainder: the shares always add up to the figure;
a remainder cent goes to the longest stretch, then the latest). Card and online gifts count
toward the team or site whose giving code they carry, or stay unattributed. An adjustment entry
that corrects a bucket's count follows the bucket's shares; other entries are "corrections".

Because every split is exact, the totals by team, by site and by denomination each add up to
the drive's total raised (a hypothesis property test holds it)."""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count as CountOf
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Event, Site
from volunteers.models import Team

from .books import DriveBooks, drive_books
from .models import AgreedCount, CardGift, CountLine, CustodyEvent
from .money import DENOMINATIONS

UNATTRIBUTED = None  # the key of figures no team (or site) answers for


def giving_link(code: str) -> str:
    """The coalition's own donation page with a team's or site's giving code."""
    base = settings.DONATION_PAGE_URL
    return f"{base}{'&' if '?' in base else '?'}{urlencode({'code': code})}" if code else base


def split_cents(total: int, weights: list[int]) -> list[int]:
    """``total`` cents shared in proportion to ``weights`` (non-negative integers), exactly:
    the parts add up to ``total`` (negative totals too). All weights zero: all to the last."""
    if not weights:
        return []
    if sum(weights) <= 0:
        return [0] * (len(weights) - 1) + [total]
    sign = -1 if total < 0 else 1
    whole = abs(total)
    weight_sum = sum(weights)
    parts = [whole * w // weight_sum for w in weights]
    remainders = [(whole * w % weight_sum, w, index) for index, w in enumerate(weights)]
    for _rem, _w, index in sorted(remainders, reverse=True)[: whole - sum(parts)]:
        parts[index] += 1
    return [sign * part for part in parts]


@dataclass(frozen=True)
class Stretch:
    team_id: int | None
    site_id: int | None
    seconds: int


def trip_stretches(rows: list[dict]) -> list[Stretch]:
    """The stretches of one trip: ``rows`` are the trip's custody rows in order (dicts with
    kind, team_id, site_id, at), from "issued" to "returned"."""
    stretches = []
    for step, following in itertools.pairwise(rows):
        if step["kind"] not in ("issued", "handed_over"):
            continue
        seconds = max(0, int((following["at"] - step["at"]).total_seconds()))
        stretches.append(Stretch(step["team_id"], step["site_id"], seconds))
    if not stretches:  # a return without an issue on record: the return's own team and site
        last = rows[-1]
        stretches.append(Stretch(last["team_id"], last["site_id"], 0))
    return stretches


def trips_of(event: Event) -> dict[int, list[Stretch]]:
    """Every returned trip of the drive: {returned custody row id: its stretches}. One query."""
    rows = (CustodyEvent.objects.filter(shift__event=event).order_by("bucket_id", "at", "pk")
            .values("id", "bucket_id", "kind", "team_id", "shift__site_id", "at"))
    trips: dict[int, list[Stretch]] = {}
    current: list[dict] = []
    bucket = None
    for row in rows:
        row = {**row, "site_id": row["shift__site_id"]}
        if row["bucket_id"] != bucket:
            bucket, current = row["bucket_id"], []
        if row["kind"] == "issued":
            current = [row]
        elif row["kind"] == "handed_over":
            current.append(row)
        elif row["kind"] == "returned":
            trips[row["id"]] = trip_stretches([*current, row])
            current = []
        else:  # lost, stolen, found: the trip ends without money
            current = []
    return trips


@dataclass
class Line:
    """One row of a total: a team, a site, an hour or a denomination."""

    key: object
    label: str
    cash_cents: int = 0  # the buckets' figures (cash, checks, proceeds, bank adjustments)
    card_cents: int = 0
    quantity: int | None = None  # denominations: how many notes, coins or rolls

    @property
    def total_cents(self) -> int:
        return self.cash_cents + self.card_cents


@dataclass
class DriveTotals:
    event: Event
    books: DriveBooks
    by_team: list[Line]
    by_site: list[Line]
    by_hour: list[Line]  # by the hour each counted bucket came back
    by_denomination: list[Line]  # notes, coins, rolls, then checks, proceeds, ... card gifts
    through_the_day: list[tuple[datetime.datetime, int]]  # (agreed at, counted so far)
    cash_cents: int
    checks_cents: int
    card_cents: int
    card_fees_cents: int
    card_gifts: int
    unattributed_card_cents: int
    corrections_cents: int  # adjustment entries not about one bucket
    counted_cents: int
    entries_cents: int
    total_raised_cents: int
    uncounted_buckets: int = 0
    teams: set[int] = field(default_factory=set)

    @property
    def provisional(self) -> bool:
        return not self.books.locked


def _card_rows(event: Event) -> list[dict]:
    return list(CardGift.objects.filter(event=event).order_by()
                .values("team_id", "site_id")
                .annotate(cents=Sum("amount_cents"), fees=Sum("fee_cents"), n=CountOf("pk")))


def drive_totals(event: Event) -> DriveTotals:
    """The drive's totals every way they are shown. A constant number of queries: the books'
    own, plus custody rows, count lines, card gifts grouped, and the names of teams/sites."""
    books = drive_books(event)
    trips = trips_of(event)
    team_cents: dict[int | None, int] = defaultdict(int)
    site_cents: dict[int | None, int] = defaultdict(int)
    hour_cents: dict[datetime.datetime, int] = defaultdict(int)
    bucket_entries: dict[int, int] = defaultdict(int)
    corrections = 0
    for entry in books.entries:
        if entry.corrects_agreed_id:
            bucket_entries[entry.corrects_agreed_id] += entry.amount_cents
        else:
            corrections += entry.amount_cents
    agreed = []
    for trip in books.trips:
        if trip.agreed is None:
            continue
        agreed.append(trip)
        figure = trip.figure_cents + bucket_entries.get(trip.agreed.pk, 0)
        stretches = trips.get(trip.returned.pk) or [
            Stretch(trip.returned.team_id, None, 0)]
        for stretch, share in zip(stretches, split_cents(figure, [s.seconds for s in stretches]),
                                  strict=True):
            team_cents[stretch.team_id] += share
            site_cents[stretch.site_id] += share
        hour = timezone.localtime(trip.returned.at).replace(minute=0, second=0, microsecond=0)
        hour_cents[hour] += figure
    if corrections:
        team_cents[UNATTRIBUTED] += corrections
        site_cents[UNATTRIBUTED] += corrections

    cards = _card_rows(event)
    team_card: dict[int | None, int] = defaultdict(int)
    site_card: dict[int | None, int] = defaultdict(int)
    card_cents = card_fees = card_gifts = unattributed_card = 0
    for row in cards:
        card_cents += row["cents"]
        card_fees += row["fees"]
        card_gifts += row["n"]
        if row["team_id"]:
            team_card[row["team_id"]] += row["cents"]
        if row["site_id"]:
            site_card[row["site_id"]] += row["cents"]
        if not row["team_id"] and not row["site_id"]:
            unattributed_card += row["cents"]
            team_card[UNATTRIBUTED] += row["cents"]
            site_card[UNATTRIBUTED] += row["cents"]
        elif not row["team_id"]:
            team_card[UNATTRIBUTED] += row["cents"]  # a site's code: no team answers for it
        elif not row["site_id"]:
            site_card[UNATTRIBUTED] += row["cents"]

    team_ids = {key for key in (*team_cents, *team_card) if key}
    site_ids = {key for key in (*site_cents, *site_card) if key}
    team_names = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name"))
    site_names = dict(Site.objects.filter(pk__in=site_ids).values_list("pk", "name"))
    nobody = str(_("Not attributed"))

    def lines(cash: dict, card: dict, names: dict) -> list[Line]:
        keys = set(cash) | set(card)
        rows = [Line(key, names.get(key, nobody) if key else nobody, cash.get(key, 0),
                     card.get(key, 0)) for key in keys]
        return sorted(rows, key=lambda line: (line.key is None, -line.total_cents, line.label))

    agreed_counts = AgreedCount.objects.filter(event=event).values("count_id")
    quantities = dict(CountLine.objects.filter(count_id__in=agreed_counts).order_by()
                      .values_list("denomination").annotate(Sum("quantity")))
    by_denomination = [Line(d.code, str(d.label), quantities[d.code] * d.unit_cents,
                            quantity=quantities[d.code])
                       for d in DENOMINATIONS if quantities.get(d.code)]
    cash = sum(line.cash_cents for line in by_denomination)
    checks = sum(trip.agreed.checks_cents for trip in agreed)
    extras = [
        ("checks", _("Checks and named envelopes"), checks),
        ("proceeds", _("Odd items' proceeds"), books.proceeds_cents),
        ("bank", _("Bank adjustments"), books.adjustments_cents),
        ("entries", _("Adjustment entries"), books.entries_cents),
    ]
    by_denomination += [Line(key, str(label), cents) for key, label, cents in extras if cents]
    if card_cents:
        by_denomination.append(Line("card", str(_("Card and online gifts")), 0, card_cents,
                                    quantity=card_gifts))
    running = 0
    through = []
    for trip in sorted(agreed, key=lambda t: (t.agreed.agreed_at, t.agreed.pk)):
        running += trip.figure_cents + bucket_entries.get(trip.agreed.pk, 0)
        through.append((trip.agreed.agreed_at, running))
    return DriveTotals(
        event=event, books=books,
        by_team=lines(team_cents, team_card, team_names),
        by_site=lines(site_cents, site_card, site_names),
        by_hour=[Line(hour, "", cents) for hour, cents in sorted(hour_cents.items())],
        by_denomination=by_denomination, through_the_day=through,
        cash_cents=cash, checks_cents=checks, card_cents=card_cents, card_fees_cents=card_fees,
        card_gifts=card_gifts, unattributed_card_cents=unattributed_card,
        corrections_cents=corrections, counted_cents=books.counted_cents,
        entries_cents=books.entries_cents,
        total_raised_cents=books.counted_cents + books.entries_cents + card_cents,
        uncounted_buckets=sum(1 for trip in books.trips if trip.agreed is None) + len(books.out),
        teams=team_ids,
    )


@dataclass
class PublicFigures:
    """What the public may know of a drive: no person's name, no per-person figure."""

    total_cents: int
    final: bool
    uncounted_buckets: int
    volunteers: int
    sites: int
    teams: int
    leaderboard: list[Line]

    @property
    def provisional(self) -> bool:
        return not self.final


def public_figures(event: Event) -> PublicFigures:
    from volunteers.models import Signup

    totals = drive_totals(event)
    confirmed = Signup.objects.filter(shift__event=event, status=Signup.Status.CONFIRMED)
    sites = set(event.shifts.filter(site__isnull=False).values_list("site_id", flat=True))
    teams = totals.teams | set(confirmed.exclude(team__isnull=True)
                               .values_list("team_id", flat=True).distinct())
    leaderboard = ([line for line in totals.by_team if line.key is not None]
                   if event.show_leaderboard else [])
    return PublicFigures(
        total_cents=totals.total_raised_cents, final=totals.books.locked,
        uncounted_buckets=totals.uncounted_buckets,
        volunteers=confirmed.values("volunteer_id").distinct().count(),
        sites=len(sites), teams=len(teams), leaderboard=leaderboard)


@dataclass
class TeamDrive:
    event: Event
    line: Line
    reconciled: bool
    counted_buckets: int
    waiting_buckets: int


def team_drive_totals(team: Team, *, limit: int = 12) -> list[TeamDrive]:
    """The team's figures on its latest drives (custody trips or card gifts), newest first.
    Queries grow with the number of drives shown (``limit``), not with their size."""
    drive_ids = set(CustodyEvent.objects.filter(team=team, shift__isnull=False)
                    .values_list("shift__event_id", flat=True).distinct())
    drive_ids |= set(CardGift.objects.filter(team=team).values_list("event_id", flat=True)
                     .distinct())
    drives = Event.objects.filter(pk__in=drive_ids).order_by("-starts_at")[:limit]
    found = []
    for event in drives:
        totals = drive_totals(event)
        line = next((line for line in totals.by_team if line.key == team.pk),
                    Line(team.pk, team.name))
        mine = [trip for trip in totals.books.trips
                if trip.returned.team_id == team.pk]
        found.append(TeamDrive(
            event=event, line=line, reconciled=totals.books.locked,
            counted_buckets=sum(1 for trip in mine if trip.agreed is not None),
            waiting_buckets=sum(1 for trip in mine if trip.agreed is None)))
    return found
