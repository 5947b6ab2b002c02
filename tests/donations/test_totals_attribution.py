"""donations.totals on chosen drives: a bucket's figure goes to the teams and sites that held
it, by the time each held it, in exact cents; card gifts go to the team or site of their code
or stay unattributed; corrections not about one bucket are nobody's; a team's own figures on
its drives (team_drive_totals)."""

import pytest

from donations.books import adjustment_entry_create
from donations.totals import drive_totals, split_cents, team_drive_totals
from tests.donations.books_fixtures import counted, deposited, sheet_for
from tests.donations.totals_fixtures import Street, card_gifts

pytestmark = pytest.mark.django_db


def by_key(lines):
    return {line.key: line.total_cents for line in lines}


# --- split_cents -----------------------------------------------------------------------------


def test_split_cents_shares_in_proportion_exactly():
    assert split_cents(9000, [60, 30]) == [6000, 3000]
    assert sum(split_cents(1001, [1, 1, 1])) == 1001


def test_split_cents_gives_a_tied_remainder_cent_to_the_latest_stretch():
    assert split_cents(100, [10, 10, 10]) == [33, 33, 34]


def test_split_cents_gives_a_remainder_cent_to_the_longest_stretch():
    assert split_cents(100, [20, 10, 10]) == [50, 25, 25]
    assert split_cents(101, [20, 10, 10]) == [51, 25, 25]


def test_split_cents_keeps_negative_figures_exact():
    assert split_cents(-100, [1, 2]) == [-33, -67]


def test_split_cents_with_no_time_gives_everything_to_the_last():
    assert split_cents(500, [0, 0]) == [0, 500]


# --- Custody attribution ---------------------------------------------------------------------


def test_drive_totals_give_a_bucket_to_the_team_and_site_that_held_it():
    street = Street(sites=2, teams=2)
    street.trip([(0, 120)], site=0)
    street.trip([(1, 120)], site=1)
    counted(street, 0, 12000)
    counted(street, 1, 4550)

    totals = drive_totals(street.event)

    assert by_key(totals.by_team) == {street.teams[0].pk: 12000, street.teams[1].pk: 4550}
    assert by_key(totals.by_site) == {street.sites[0].pk: 12000, street.sites[1].pk: 4550}
    assert totals.total_raised_cents == 16550
    assert [line.label for line in totals.by_team] == [t.name for t in street.teams]


def test_drive_totals_share_a_handed_over_bucket_by_the_time_each_team_held_it():
    street = Street(teams=2)
    street.trip([(0, 60), (1, 30)])
    counted(street, 0, 9000)

    totals = drive_totals(street.event)

    assert by_key(totals.by_team) == {street.teams[0].pk: 6000, street.teams[1].pk: 3000}
    assert by_key(totals.by_site) == {street.sites[0].pk: 9000}


def test_drive_totals_share_a_bucket_back_and_forth_between_teams():
    street = Street(teams=2)
    street.trip([(0, 10), (1, 10), (0, 10)])
    counted(street, 0, 100)

    totals = drive_totals(street.event)

    # Team 0 held it 20 of 30 minutes: 66.67 cents, and the tied remainder cent goes to the
    # latest stretch (team 0's second one).
    assert by_key(totals.by_team) == {street.teams[0].pk: 67, street.teams[1].pk: 33}


def test_drive_totals_leave_uncounted_buckets_out_and_say_how_many():
    street = Street(teams=1)
    street.trip([(0, 60)])
    street.trip([(0, 60)])
    street.trip([(0, 60)], end="out")
    street.trip([(0, 60)], end="lost")
    counted(street, 0, 2500)
    sheet_for(street, street.returns[1])

    totals = drive_totals(street.event)

    assert totals.total_raised_cents == 2500
    assert totals.uncounted_buckets == 2  # one opened but not counted, one still out
    assert totals.provisional


def test_drive_totals_count_two_trips_of_one_bucket_separately():
    street = Street(teams=2)
    bucket = street.bucket()
    street.trip([(0, 30)], bucket=bucket, start=0)
    street.trip([(1, 30)], bucket=bucket, start=60)
    counted(street, 0, 1000)
    counted(street, 1, 3000)

    totals = drive_totals(street.event)

    assert by_key(totals.by_team) == {street.teams[0].pk: 1000, street.teams[1].pk: 3000}


def test_drive_totals_add_card_gifts_to_the_team_or_site_of_their_code():
    street = Street(sites=1, teams=1)
    street.trip([(0, 60)])
    counted(street, 0, 1000)
    team, site = street.teams[0], street.sites[0]
    card_gifts(street.event, [2500, 500], by=street.ann, team=team, fee_cents=30)
    card_gifts(street.event, [700], by=street.ann, site=site, fee_cents=30)
    card_gifts(street.event, [900], by=street.ann, fee_cents=30)

    totals = drive_totals(street.event)

    assert totals.card_cents == 4600
    assert totals.card_fees_cents == 120
    assert totals.card_gifts == 4
    assert totals.unattributed_card_cents == 900
    assert by_key(totals.by_team) == {team.pk: 4000, None: 1600}
    # The team's card gifts have no site: the site total leaves them to nobody.
    assert by_key(totals.by_site) == {site.pk: 1700, None: 3900}
    assert totals.total_raised_cents == 5600
    [line] = [line for line in totals.by_team if line.key == team.pk]
    assert (line.cash_cents, line.card_cents) == (1000, 3000)


def test_drive_totals_leave_a_correction_of_a_deposit_to_no_team():
    street = Street(teams=1)
    street.trip([(0, 60)])
    agreed = counted(street, 0, 5000)
    deposit = deposited(street, [agreed])
    adjustment_entry_create(event=street.event, amount_cents=-200, reason="Slip error",
                            approved_by=street.ben, by=street.ann, corrects_deposit=deposit)
    adjustment_entry_create(event=street.event, amount_cents=300, reason="Miscount",
                            approved_by=street.ben, by=street.ann, corrects_agreed=agreed)

    totals = drive_totals(street.event)

    assert by_key(totals.by_team) == {street.teams[0].pk: 5300, None: -200}
    assert totals.corrections_cents == -200
    assert totals.total_raised_cents == 5100


def test_drive_totals_list_denominations_checks_and_card_gifts():
    street = Street(teams=1)
    street.trip([(0, 60)])
    counted(street, 0, 2575, checks=(25000,))
    card_gifts(street.event, [1000], by=street.ann, team=street.teams[0])

    totals = drive_totals(street.event)

    rows = {line.key: (line.quantity, line.total_cents) for line in totals.by_denomination}
    assert rows == {"bill_20": (1, 2000), "bill_5": (1, 500), "coin_50": (1, 50),
                    "coin_25": (1, 25), "checks": (None, 25000), "card": (1, 1000)}
    assert sum(total for _q, total in rows.values()) == totals.total_raised_cents == 28575


# --- A team's own figures --------------------------------------------------------------------


def test_team_drive_totals_give_the_team_its_line_and_bucket_counts_only():
    street = Street(teams=2)
    street.trip([(0, 60)])
    street.trip([(0, 60)])
    street.trip([(1, 60)])
    counted(street, 0, 1500)
    counted(street, 2, 9900)

    [drive] = team_drive_totals(street.teams[0])

    assert drive.event == street.event
    assert drive.line.total_cents == 1500
    assert (drive.counted_buckets, drive.waiting_buckets) == (1, 1)
    assert not drive.reconciled


def test_by_hour_and_the_line_through_the_day_count_the_same_money():
    from donations.models import AdjustmentEntry

    street = Street(teams=1)
    street.trip([(0, 60)])
    agreed = counted(street, 0, 5000)
    AdjustmentEntry.objects.create(event=street.event, amount_cents=-300, reason="Miscount",
                                   approved_by=street.ben, by=street.ann, corrects_agreed=agreed)

    totals = drive_totals(street.event)

    assert sum(line.cash_cents for line in totals.by_hour) == 4700
    assert totals.through_the_day[-1][1] == 4700
