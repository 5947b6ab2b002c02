"""The treasurer's dashboard and a team's "raised" page through the views: who may open them
(every role), what they show (totals every way, charts that agree with their tables,
provisional then final, buckets and variances; a team's own figures only), and query counts
that do not grow with buckets, teams or card gifts."""

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from donations.books import drive_reconcile
from tests.donations.books_fixtures import (
    counted,
    deposited,
    ready_to_reconcile,
    sheet_for,
)
from tests.donations.money_world import MoneyWorld
from tests.donations.totals_fixtures import Street, card_gifts
from tests.factories import TeamMembershipFactory, UserFactory, captain

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = MoneyWorld(buckets=3)
    world.captain = captain()
    TeamMembershipFactory(team=world.team, user=world.captain, is_captain=True)
    world.member = world.collectors[0]
    world.other_captain = captain()
    TeamMembershipFactory(user=world.other_captain, is_captain=True)  # of another team
    return world


def dashboard_url(world):
    return reverse("money_dashboard", args=[world.event.pk])


def raised_url(team):
    return reverse("team_raised", args=[team.pk])


def chart_bars(body: str, chart_id: str) -> list[tuple[str, int]]:
    """(label, cents) of each bar of the chart ``chart_id``, in order."""
    svg = body.split(f'id="{chart_id}"', 1)[1].split("</svg>", 1)[0]
    return [(html.unescape(label), int(cents)) for label, cents in
            re.findall(r'data-label="([^"]*)" data-cents="(-?\d+)"', svg)]


def chart_points(body: str, chart_id: str) -> list[int]:
    svg = body.split(f'id="{chart_id}"', 1)[1].split("</svg>", 1)[0]
    return [int(cents) for cents in re.findall(r'<circle[^>]*data-cents="(-?\d+)"', svg)]


def table_rows(body: str, table_id: str) -> list[tuple[str, int]]:
    """(row heading, cents of its data-cents cell) of each body row of the table."""
    table = body.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [(html.unescape(label), int(cents)) for label, cents in
            re.findall(r'<th scope="row">(.*?)</th>.*?data-cents="(-?\d+)"', rows, re.S)]


# --- Who may open the dashboard --------------------------------------------------------------


def test_dashboard_sends_anonymous_people_to_log_in(client, world):
    response = client.get(dashboard_url(world))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["volunteer", "member", "captain", "organizer"])
def test_dashboard_refuses_everyone_but_treasurers(client, world, who):
    client.force_login(getattr(world, who))

    assert client.get(dashboard_url(world)).status_code == 403
    assert client.post(dashboard_url(world), {}).status_code == 403


@pytest.mark.parametrize("who", ["tess", "superuser"])
def test_dashboard_opens_for_treasurers_and_superusers(client, world, who):
    client.force_login(getattr(world, who))

    assert client.get(dashboard_url(world)).status_code == 200


def test_dashboard_of_an_unknown_drive_is_not_found(client, world):
    client.force_login(world.tess)

    assert client.get(reverse("money_dashboard", args=[world.event.pk + 999])).status_code == 404


# --- What the dashboard shows ----------------------------------------------------------------


def test_dashboard_shows_the_totals_every_way(client, world):
    ready_to_reconcile(world)  # 120.00 + 45.50 + 87.25 counted, deposited, banked
    card_gifts(world.event, [5000, 2500], by=world.ann, team=world.team, fee_cents=175)
    card_gifts(world.event, [1000], by=world.ann, fee_cents=59)
    client.force_login(world.tess)

    response = client.get(dashboard_url(world))

    body = response.content.decode()
    totals = response.context["totals"]
    assert totals.total_raised_cents == 25275 + 8500
    assert "$337.75" in body
    assert "Provisional" in body
    assert "$85.00" in body and "$4.09" in body and "$80.91" in body  # card gross, fees, net
    assert "$10.00 of card gifts carried no known team or site code" in body
    assert reverse("money_card_gifts", args=[world.event.pk]) + "?show=unattributed" in body
    assert table_rows(body, "table-teams") == [
        (world.team.name, 25275 + 7500), ("Not attributed", 1000)]
    assert table_rows(body, "table-sites") == [
        (world.site.name, 25275), ("Not attributed", 8500)]
    assert "Quarters" in body and "Card and online gifts" in body


def test_dashboard_charts_agree_with_their_tables(client):
    street = Street(sites=2, teams=3)
    street.trip([(0, 60), (1, 30)], site=0)
    street.trip([(2, 90)], site=1)
    street.trip([(1, 45), (2, 45)], site=1)
    for index, cents in enumerate((9000, 4550, 12345)):
        counted(street, index, cents, at=street.at(200 + index * 30))
    card_gifts(street.event, [2000], by=street.ann, team=street.teams[2])
    client.force_login(street.ann)

    body = client.get(reverse("money_dashboard", args=[street.event.pk])).content.decode()

    teams = table_rows(body, "table-teams")
    assert chart_bars(body, "chart-teams") == teams
    assert sum(cents for _label, cents in teams) == 9000 + 4550 + 12345 + 2000
    assert chart_bars(body, "chart-sites") == table_rows(body, "table-sites")
    through = table_rows(body, "table-through")
    assert chart_points(body, "chart-through") == [cents for _time, cents in through]
    assert [cents for _time, cents in through] == [9000, 13550, 25895]


def test_dashboard_shares_a_handed_over_bucket_between_the_teams(client):
    street = Street(teams=2)
    street.trip([(0, 60), (1, 30)])
    counted(street, 0, 9000)
    client.force_login(street.ann)

    body = client.get(reverse("money_dashboard", args=[street.event.pk])).content.decode()

    assert table_rows(body, "table-teams") == [
        (street.teams[0].name, 6000), (street.teams[1].name, 3000)]


def test_dashboard_says_final_once_the_drive_is_reconciled(client, world):
    ready_to_reconcile(world)
    drive_reconcile(event=world.event, by=world.tess, explanations={})
    client.force_login(world.tess)

    response = client.get(dashboard_url(world))

    body = response.content.decode()
    assert "Final" in body
    assert "Provisional" not in body
    assert f"Reconciled by {world.tess.name}" in body
    assert response.context["books"].step.total_cents == 25275


def test_dashboard_lists_buckets_not_counted_not_deposited_and_out(client, world, settings):
    settings.MONEY_UNDEPOSITED_ALERT_DAYS = 3
    counted(world, 0, 4200, at=timezone.now() - datetime.timedelta(days=6))
    agreed = counted(world, 1, 1000)
    deposited(world, [agreed], declared=1200)
    sheet_for(world, world.returns[2])
    out = world.bucket_out()
    client.force_login(world.tess)

    response = client.get(dashboard_url(world))

    body = response.content.decode()
    assert table_rows(body, "table-through")[-1][1] == 5200
    assert "2 buckets are still to be counted (or still out)." in body
    uncounted = body.split('id="table-uncounted"', 1)[1].split("</table>", 1)[0]
    assert str(world.buckets[2]) in uncounted and "Opened" in uncounted
    undeposited = body.split('id="table-undeposited"', 1)[1].split("</table>", 1)[0]
    assert str(world.buckets[0]) in undeposited and "6 days" in undeposited
    assert "Overdue for the bank" in undeposited
    assert f"Still out:</strong> {out}" in body
    assert "the slip says $12.00" in body


def test_dashboard_of_a_drive_without_money_says_so(client, world):
    client.force_login(world.tess)

    response = client.get(dashboard_url(world))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Nothing counted yet." in body
    assert "No count agreed yet." in body
    assert "<svg" not in body


def test_dashboard_escapes_team_names_in_the_chart_and_table(client):
    street = Street(teams=1)
    street.teams[0].name = '<script>alert("x")</script> & Co'
    street.teams[0].save()
    street.trip([(0, 60)])
    counted(street, 0, 100)
    client.force_login(street.ann)

    body = client.get(reverse("money_dashboard", args=[street.event.pk])).content.decode()

    assert "<script>alert" not in body
    assert chart_bars(body, "chart-teams") == [('<script>alert("x")</script> & Co', 100)]


def test_dashboard_draws_negative_figures_from_a_zero_line(client):
    street = Street(teams=2)
    street.trip([(0, 60)])
    street.trip([(1, 60)])
    counted(street, 0, 5000)
    agreed = counted(street, 1, 1000)
    from donations.models import AdjustmentEntry

    AdjustmentEntry.objects.create(event=street.event, amount_cents=-3000, reason="Miscount",
                                   approved_by=street.ben, by=street.ann,
                                   corrects_agreed=agreed)
    client.force_login(street.ann)

    body = client.get(reverse("money_dashboard", args=[street.event.pk])).content.decode()

    assert chart_bars(body, "chart-teams") == [(street.teams[0].name, 5000),
                                                (street.teams[1].name, -2000)]
    assert 'class="chart-bar chart-negative"' in body
    assert 'class="chart-zero"' in body


def test_dashboard_prints_with_the_print_stylesheet(client, world):
    client.force_login(world.tess)

    body = client.get(dashboard_url(world)).content.decode()

    assert "css/print.css" in body
    assert "style=" not in body.split("<main", 1)[1]


# --- Query counts ----------------------------------------------------------------------------


def big_drive(*, buckets: int, teams: int, gifts: int) -> Street:
    """A drive with ``buckets`` trips (every third handed between two teams), ``teams`` teams
    on 5 sites, most buckets counted and some deposited, one still out, and ``gifts`` card
    gifts spread over teams, sites and nobody."""
    street = Street(sites=5, teams=teams)
    for index in range(buckets):
        held = [(index % teams, 60)]
        if index % 3 == 0:
            held.append(((index + 1) % teams, 30))
        street.trip(held, site=index % 5, start=index)
    street.trip([(0, 30)], end="out")
    agreed = [counted(street, index, 1000 + index) for index in range(buckets - 2)]
    deposited(street, agreed[: len(agreed) // 2])
    third = max(1, gifts // 3)
    card_gifts(street.event, [500] * third, by=street.ann, team=street.teams[1])
    card_gifts(street.event, [700] * third, by=street.ann, site=street.sites[2])
    card_gifts(street.event, [900] * (gifts - 2 * third), by=street.ann)
    return street


def test_dashboard_queries_do_not_grow_with_buckets_teams_or_card_gifts(
        client, django_assert_max_num_queries):
    small = big_drive(buckets=10, teams=3, gifts=10)
    client.force_login(small.ann)
    with django_assert_max_num_queries(25) as few:
        client.get(reverse("money_dashboard", args=[small.event.pk]))
    large = big_drive(buckets=100, teams=30, gifts=1000)
    client.force_login(large.ann)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("money_dashboard", args=[large.event.pk]))

    totals = response.context["totals"]
    assert len([line for line in totals.by_team if line.key]) == 30
    assert totals.card_gifts == 1000
    assert len(totals.books.trips) == 100


def test_team_raised_queries_do_not_grow_with_buckets(client, django_assert_max_num_queries):
    small = big_drive(buckets=5, teams=2, gifts=5)
    captain_of_small = captain()
    TeamMembershipFactory(team=small.teams[1], user=captain_of_small, is_captain=True)
    client.force_login(captain_of_small)
    with django_assert_max_num_queries(60) as few:
        client.get(raised_url(small.teams[1]))
    large = big_drive(buckets=60, teams=2, gifts=300)
    captain_of_large = captain()
    TeamMembershipFactory(team=large.teams[1], user=captain_of_large, is_captain=True)
    client.force_login(captain_of_large)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(raised_url(large.teams[1]))

    [drive] = response.context["drives"]
    assert drive.counted_buckets + drive.waiting_buckets == 30


# --- A team's "raised" page ------------------------------------------------------------------


def test_team_raised_sends_anonymous_people_to_log_in(client, world):
    response = client.get(raised_url(world.team))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["volunteer", "organizer", "other_captain"])
def test_team_raised_refuses_people_outside_the_team(client, world, who):
    client.force_login(getattr(world, who))

    assert client.get(raised_url(world.team)).status_code == 403


def test_team_raised_of_an_unknown_team_is_not_found(client, world):
    client.force_login(world.captain)

    assert client.get(reverse("team_raised", args=[world.team.pk + 999])).status_code == 404


@pytest.mark.parametrize("who", ["captain", "tess", "superuser"])
def test_team_raised_shows_captains_and_treasurers_the_figures_and_count_status(
        client, world, who):
    counted(world, 0, 12000)
    counted(world, 1, 4550)
    card_gifts(world.event, [2500], by=world.ann, team=world.team)
    client.force_login(getattr(world, who))

    response = client.get(raised_url(world.team))

    body = response.content.decode()
    assert response.status_code == 200
    assert "$190.50" in body and "$165.50" in body and "$25.00" in body
    assert "2 buckets counted, 1 waiting to be counted" in body
    assert "Provisional" in body


def test_team_raised_never_shows_other_teams_or_people(client, world):
    other = world.return_another(team=TeamMembershipFactory().team)
    counted(world, 0, 12000)
    counted(world, world.returns.index(other), 99999)
    client.force_login(world.captain)

    body = client.get(raised_url(world.team)).content.decode()

    assert "$120.00" in body
    assert "$999.99" not in body
    assert other.team.name not in body
    for collector in world.collectors:
        assert collector.name not in body


def test_team_raised_shows_members_the_total_only_once_reconciled(client, world):
    ready_to_reconcile(world)
    client.force_login(world.member)

    before = client.get(raised_url(world.team)).content.decode()
    drive_reconcile(event=world.event, by=world.tess, explanations={})
    after = client.get(raised_url(world.team)).content.decode()

    assert "Not reconciled yet" in before
    assert "$252.75" not in before
    assert "waiting to be counted" not in before and "counted" not in before.split("<table")[1]
    assert "$252.75" in after
    assert "Final" in after


def test_team_raised_for_a_team_that_has_not_collected(client):
    person = UserFactory()
    team = TeamMembershipFactory(user=person).team
    client.force_login(person)

    response = client.get(raised_url(team))

    assert response.status_code == 200
    assert "The team has not collected on a drive yet." in response.content.decode()


@pytest.mark.parametrize(("who", "shown"), [("captain", True), ("member", True),
                                            ("organizer", False)])
def test_team_page_links_to_what_the_team_raised(client, world, who, shown):
    client.force_login(getattr(world, who))

    body = client.get(reverse("team_detail", args=[world.team.pk])).content.decode()

    assert (raised_url(world.team) in body) is shown
