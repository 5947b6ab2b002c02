"""Properties of donations.totals for arbitrary drives (hypothesis): whatever the custody
(buckets issued to a team or to nobody, handed between teams at the same site any number of
times, returned, left out or lost, a bucket going out again) and whatever the count histories
(never opened, opened, one count, two counts that differ, agreed counts of any notes, coins,
rolls and checks, odd items and what they brought, bank adjustments allocated to buckets,
adjustment entries on a bucket or a deposit) and card gifts (to a team, a site, or nobody):

- the totals by team, by site and by denomination each add up to the drive's total raised,
  which is the buckets' figures plus the adjustment entries plus the card gifts;
- a site's total is exactly the figures of the trips at that site (a trip stays at one site);
- a team's share of the buckets is its time-weighted share of each trip it held, to within a
  cent per trip (the split is in exact cents);
- the line through the day ends at the counted total.

Each example builds its own drive inside a transaction that is rolled back afterwards."""

from collections import defaultdict
from fractions import Fraction

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from donations.models import AdjustmentEntry, OddItemProceeds
from donations.money import DENOMINATIONS
from donations.totals import drive_totals
from tests.donations.books_fixtures import (
    agree,
    bank_adjustment,
    banked,
    count_of,
    deposited,
    sheet_for,
)
from tests.donations.totals_fixtures import Street, card_gifts

pytestmark = pytest.mark.django_db

EXAMPLES = settings(max_examples=60, deadline=None, derandomize=True,
                    phases=(Phase.explicit, Phase.generate),
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

TEAMS = 3
SITES = 2


class Rollback(Exception):
    pass


def in_a_rolled_back_transaction(check):
    try:
        with transaction.atomic():
            check()
            raise Rollback
    except Rollback:
        pass


quantities = st.dictionaries(st.sampled_from([d.code for d in DENOMINATIONS]),
                             st.integers(1, 60), max_size=5)
checks = st.lists(st.integers(1, 300_000), max_size=2)
counts = st.one_of(
    st.tuples(st.sampled_from(["unopened", "opened", "one", "differ"]), st.just({}),
              st.just([]), st.just([])),
    # Agreed: the notes and coins, the checks, and what each odd item brought.
    st.tuples(st.just("agreed"), quantities, checks, st.lists(st.integers(0, 20_000),
                                                              max_size=2)),
)
trips = st.lists(st.fixed_dictionaries({
    "site": st.integers(0, SITES - 1),
    "start": st.integers(0, 600),  # minutes after the drive's start
    # Who held it, for how long (seconds): None is a step without a team.
    "held": st.lists(st.tuples(st.one_of(st.none(), st.integers(0, TEAMS - 1)),
                               st.integers(0, 4 * 3600)), min_size=1, max_size=4),
    "end": st.sampled_from(["returned", "returned", "returned", "out", "lost"]),
    "again": st.booleans(),  # the same bucket as the trip before, when that one came back
    "count": counts,
}), min_size=1, max_size=6)
drives = st.fixed_dictionaries({
    "trips": trips,
    # Bank adjustments allocated to the agreed buckets (by position, signed, not zero).
    "allocations": st.lists(st.integers(-20_000, 20_000).filter(bool), max_size=3),
    # Adjustment entries: on an agreed bucket (by position) or on the deposit.
    "entries": st.lists(st.tuples(st.sampled_from(["bucket", "deposit"]), st.integers(0, 5),
                                  st.integers(-50_000, 50_000).filter(bool)), max_size=3),
    # Card gifts: to a team, a site, or nobody.
    "cards": st.lists(st.tuples(st.sampled_from(["team", "site", "none"]), st.integers(0, 2),
                                st.integers(1, 500_000), st.integers(0, 900)), max_size=5),
})


def build(drive: dict) -> tuple[Street, list, list]:
    """The drive on the street and at the counting table. Returns the street, each returned
    trip as (returned row, its stretches [(team index, seconds)], site index), and the agreed
    counts."""
    street = Street(sites=SITES, teams=TEAMS)
    returned_trips = []
    agreed = []
    previous = None  # (bucket, minute it came back) of the last returned trip
    for trip in drive["trips"]:
        start, bucket = trip["start"], None
        if trip["again"] and previous is not None:
            bucket, start = previous[0], previous[1] + 1
        held = [(team, seconds / 60) for team, seconds in trip["held"]]
        returned = street.trip(held, site=trip["site"], start=start, end=trip["end"],
                               bucket=bucket)
        previous = None
        if returned is None:
            continue
        back_at = start + sum(minutes for _team, minutes in held)
        previous = (returned.bucket, back_at)
        returned_trips.append((returned, trip["held"], trip["site"]))
        state, lines, check_list, odd = trip["count"]
        if state == "unopened":
            continue
        sheet = sheet_for(street, returned)
        if state == "opened":
            continue
        first = count_of(sheet, counter=street.ann, letter="A", quantities=lines,
                         checks=tuple(check_list), odd=tuple(f"odd {n}" for n in range(len(odd))))
        if state == "one":
            continue
        if state == "differ":
            count_of(sheet, counter=street.ben, letter="B", quantities={"coin_1": 1})
            continue
        second = count_of(sheet, counter=street.ben, letter="B", quantities=lines,
                          checks=tuple(check_list))
        settled = agree(sheet, first, second)
        for item, cents in zip(first.odd_items.all(), odd, strict=True):
            OddItemProceeds.objects.create(
                odd_item=item, agreed=settled, event=street.event, amount_cents=cents,
                how=OddItemProceeds.How.SOLD if cents else OddItemProceeds.How.NO_VALUE,
                by=street.ann)
        agreed.append(settled)

    deposit = deposited(street, agreed) if agreed else None
    if deposit is not None and drive["allocations"]:
        shares = defaultdict(int)
        for index, cents in enumerate(drive["allocations"]):
            shares[agreed[index % len(agreed)]] += cents
        shares = {a: cents for a, cents in shares.items() if cents}
        if shares:
            banked(deposit, sum(a.total_cents for a in agreed) + sum(shares.values()))
            bank_adjustment(deposit, shares, by=street.ann)
    for target, index, cents in drive["entries"]:
        if deposit is None:
            continue
        AdjustmentEntry.objects.create(
            event=street.event, amount_cents=cents, reason="Correction", approved_by=street.ben,
            by=street.ann,
            **({"corrects_agreed": agreed[index % len(agreed)]} if target == "bucket"
               else {"corrects_deposit": deposit}))
    for target, index, cents, fee in drive["cards"]:
        holder = {"team": street.teams[index % TEAMS], "site": street.sites[index % SITES],
                  "none": None}[target]
        card_gifts(street.event, [cents], by=street.ann, fee_cents=fee,
                   **({target: holder} if holder else {}))
    return street, returned_trips, agreed


@EXAMPLES
@given(drive=drives)
def test_totals_by_team_site_and_denomination_add_up_to_the_drive_total(drive):
    def check():
        street, _trips, _agreed = build(drive)

        totals = drive_totals(street.event)

        total = totals.total_raised_cents
        assert total == totals.books.counted_cents + totals.books.entries_cents + (
            totals.card_cents)
        assert sum(line.total_cents for line in totals.by_team) == total
        assert sum(line.total_cents for line in totals.by_site) == total
        assert sum(line.total_cents for line in totals.by_denomination) == total
        assert totals.card_cents == sum(cents for _t, _i, cents, _f in drive["cards"])
        if totals.through_the_day:  # the buckets' figures with the corrections made to them
            assert totals.through_the_day[-1][1] == (
                totals.books.counted_cents + totals.books.entries_cents
                - totals.corrections_cents)
            assert totals.through_the_day[-1][1] == sum(line.cash_cents
                                                        for line in totals.by_hour)

    in_a_rolled_back_transaction(check)


@EXAMPLES
@given(drive=drives)
def test_totals_follow_custody_site_exactly_and_team_by_time(drive):
    def check():
        street, returned_trips, _agreed = build(drive)

        totals = drive_totals(street.event)

        figures = {trip.returned.pk: trip.figure_cents + trip.entries_cents
                   for trip in totals.books.trips if trip.agreed is not None}
        team_pk = {index: team.pk for index, team in enumerate(street.teams)}
        team_pk[None] = None
        site_expected = defaultdict(int)
        team_expected: dict = defaultdict(Fraction)
        for returned, held, site in returned_trips:
            figure = figures.get(returned.pk)
            if figure is None:
                continue
            site_expected[street.sites[site].pk] += figure
            seconds = sum(s for _team, s in held)
            if not seconds:  # no time held: the last holder answers for all of it
                team_expected[team_pk[held[-1][0]]] += figure
                continue
            for team, s in held:
                team_expected[team_pk[team]] += Fraction(figure * s, seconds)
        site_expected[None] += totals.corrections_cents
        team_expected[None] += totals.corrections_cents

        sites = {line.key: line.cash_cents for line in totals.by_site if line.cash_cents}
        assert sites == {key: cents for key, cents in site_expected.items() if cents}
        teams = {line.key: line.cash_cents for line in totals.by_team}
        for key in set(teams) | set(team_expected):
            assert abs(teams.get(key, 0) - team_expected.get(key, 0)) < len(figures) + 1

    in_a_rolled_back_transaction(check)
