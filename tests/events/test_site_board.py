"""The assignment board (sites x time windows), holding and releasing from a cell, and the
drive map, through the views."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import HoldChange, PermitRequirement, Shift, SiteKind
from tests.events.conftest import ROLES
from tests.factories import (
    EventFactory,
    PermitFactory,
    ShiftFactory,
    SignupFactory,
    SiteFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
    organizer,
)
from volunteers.models import Message, RoleGrant, Team, TeamMembership

pytestmark = pytest.mark.django_db


def at(event, hour: int) -> datetime.datetime:
    day = timezone.localtime(event.starts_at).date()
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def site_shift(event, site, hour=7, **fields) -> Shift:
    return ShiftFactory(event=event, site=site, starts_at=at(event, hour),
                        ends_at=at(event, hour + 2), needed=site.min_people,
                        capacity=site.max_people, **fields)


@pytest.fixture
def event():
    return EventFactory()


@pytest.fixture
def boss(client):
    user = organizer()
    client.force_login(user)
    return user


def board(client, event, **params) -> str:
    response = client.get(reverse("site_board", args=[event.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def cell_html(page: str, shift: Shift) -> str:
    start = page.index(f'<td id="c{shift.pk}"')
    return page[start:page.index("</td>", start)]


# --- Flags ------------------------------------------------------------------------------


def test_board_below_minimum_flag_until_enough_people(client, boss, event,
                                                     django_capture_on_commit_callbacks):
    shift = site_shift(event, SiteFactory(min_people=2))
    SignupFactory(shift=shift)
    assert "someone would stand alone" in cell_html(board(client, event), shift)

    with django_capture_on_commit_callbacks(execute=True):  # the change is committed
        SignupFactory(shift=shift)

    cell = cell_html(board(client, event), shift)
    assert "someone would stand alone" not in cell
    assert "2/2 confirmed" in cell


def test_board_no_permit_flag(client, boss, event):
    PermitRequirement.objects.create(kind=SiteKind.MEDIAN)
    median = SiteFactory(kind=SiteKind.MEDIAN, min_people=1)
    covered = SiteFactory(kind=SiteKind.MEDIAN, min_people=1)
    PermitFactory(sites=[covered])
    bare = site_shift(event, median)
    fine = site_shift(event, covered)

    page = board(client, event)

    assert "No permit covers it" in cell_html(page, bare)
    assert "No permit covers it" not in cell_html(page, fine)


def test_board_minor_without_adult_of_same_team_flag(client, boss, event,
                                                     django_capture_on_commit_callbacks):
    team = TeamFactory()
    shift = site_shift(event, SiteFactory(min_people=1))
    minor = UserFactory(confirmed_adult=False, date_of_birth=datetime.date(2012, 1, 1))
    SignupFactory(shift=shift, volunteer=minor, team=team)
    SignupFactory(shift=shift, team=None)  # an adult, but not of the team
    assert "A minor without an adult of the same team" in cell_html(board(client, event), shift)

    with django_capture_on_commit_callbacks(execute=True):
        SignupFactory(shift=shift, team=team)

    assert "A minor without an adult" not in cell_html(board(client, event), shift)


def test_board_retired_site_flag(client, boss, event):
    shift = site_shift(event, SiteFactory(is_active=False))

    assert "Retired site" in cell_html(board(client, event), shift)


def test_board_shows_team_counts_and_waitlist(client, boss, event):
    team = TeamFactory(name="Grace Youth")
    shift = site_shift(event, SiteFactory(min_people=1, max_people=1), held_for=team)
    SignupFactory(shift=shift)
    SignupFactory(shift=shift, status="waitlisted")

    cell = cell_html(board(client, event), shift)

    assert "<b>Grace Youth</b>" in cell
    assert "1/1 confirmed · 1 waiting" in cell


def test_board_filters_by_flag_and_team(client, boss, event):
    team = TeamFactory(name="Rotary")
    short = site_shift(event, SiteFactory(name="Short corner", min_people=2))
    full_site = SiteFactory(name="Full corner", min_people=1)
    full = site_shift(event, full_site, held_for=team)
    SignupFactory(shift=full)

    below = board(client, event, flag="below_minimum")
    assert "Short corner" in below and "Full corner" not in below
    by_team = board(client, event, team=str(team.pk))
    assert f'id="c{full.pk}"' in by_team and f'id="c{short.pk}"' not in by_team
    not_held = board(client, event, team="none")
    assert f'id="c{short.pk}"' in not_held and f'id="c{full.pk}"' not in not_held
    assert "No cell matches these filters." in board(client, event, team="none",
                                                       flag="retired")


# --- Holding and releasing from a cell ---------------------------------------------------


def test_cell_hold_plain_post_redirects_to_board(client, boss, event):
    shift = site_shift(event, SiteFactory())
    team = TeamMembershipFactory(is_captain=True).team

    response = client.post(reverse("site_board_hold", args=[event.pk, shift.pk]),
                           {"team": team.pk})

    assert response.status_code == 302
    assert response["Location"].endswith(f"#c{shift.pk}")
    shift.refresh_from_db()
    assert shift.held_for == team
    assert Message.objects.filter(kind="shift_held").count() == 1


def test_cell_hold_htmx_answers_the_cell(client, boss, event):
    shift = site_shift(event, SiteFactory())
    team = TeamMembershipFactory(is_captain=True, team__name="St. Anthony").team

    response = client.post(reverse("site_board_hold", args=[event.pk, shift.pk]),
                           {"team": team.pk}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith(f'<td id="c{shift.pk}"')
    assert "Held for St. Anthony." in html and "<b>St. Anthony</b>" in html


def test_cell_hold_team_without_captain_refused_in_the_cell(client, boss, event):
    shift = site_shift(event, SiteFactory())
    team = TeamFactory(name="Nobody leads")

    response = client.post(reverse("site_board_hold", args=[event.pk, shift.pk]),
                           {"team": team.pk}, HTTP_HX_REQUEST="true")

    assert response.status_code == 422
    html = response.content.decode()
    assert html.startswith(f'<td id="c{shift.pk}"')
    assert "Nobody leads has no captain yet" in html
    shift.refresh_from_db()
    assert shift.held_for is None


def test_cell_hold_without_js_refusal_page(client, boss, event):
    shift = site_shift(event, SiteFactory())

    response = client.post(reverse("site_board_hold", args=[event.pk, shift.pk]),
                           {"team": TeamFactory().pk})

    assert response.status_code == 422
    assert "has no captain yet" in response.content.decode()


def test_cell_hold_without_team_refused(client, boss, event):
    shift = site_shift(event, SiteFactory())

    response = client.post(reverse("site_board_hold", args=[event.pk, shift.pk]), {})

    assert response.status_code == 422
    assert "Choose a team." in response.content.decode()


def test_cell_release_keeps_signups(client, boss, event):
    team = TeamMembershipFactory(is_captain=True).team
    shift = site_shift(event, SiteFactory(), held_for=team)
    SignupFactory(shift=shift, team=team)

    response = client.post(reverse("site_board_release", args=[event.pk, shift.pk]),
                           HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "Not held" in response.content.decode()
    shift.refresh_from_db()
    assert shift.held_for is None
    assert shift.signups.filter(status="confirmed").count() == 1
    assert HoldChange.objects.get().action == "released"


def test_cell_manage_page_lists_teams_and_marks_captainless(client, boss, event):
    shift = site_shift(event, SiteFactory())
    TeamMembershipFactory(is_captain=True, team__name="Led team")
    TeamFactory(name="Unled team")

    page = client.get(reverse("site_board_cell", args=[event.pk, shift.pk])).content.decode()

    assert "Led team</option>" in page
    assert "Unled team (no captain)</option>" in page
    assert reverse("shift_roster", args=[shift.pk]) in page


def test_cell_of_another_event_is_404(client, boss, event):
    shift = site_shift(EventFactory(), SiteFactory())

    response = client.get(reverse("site_board_cell", args=[event.pk, shift.pk]))

    assert response.status_code == 404


# --- Permissions --------------------------------------------------------------------------

PAGES = ("site_board", "drive_map", "site_board_cell")


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", [*ROLES, "captain_of_this_team", "captain_of_another_team"])
def test_drive_pages_permissions(client, login_as, event, page, role):
    team = TeamFactory()
    shift = site_shift(event, SiteFactory(), held_for=team)
    if role.startswith("captain_of"):
        membership = TeamMembershipFactory(
            is_captain=True, team=team if role == "captain_of_this_team" else TeamFactory())
        RoleGrant.objects.create(user=membership.user, role="captain")
        client.force_login(membership.user)
    else:
        login_as(role)
    args = [event.pk, shift.pk] if page == "site_board_cell" else [event.pk]

    response = client.get(reverse(page, args=args))

    expected = {"anonymous": 302, "organizer": 200}.get(role, 403)
    assert response.status_code == expected


@pytest.mark.parametrize("action", ["site_board_hold", "site_board_release"])
@pytest.mark.parametrize("role", ["anonymous", "volunteer", "captain", "treasurer",
                                  "captain_of_this_team"])
def test_hold_actions_refused_to_non_organizers(client, login_as, event, action, role):
    membership = TeamMembershipFactory(is_captain=True)
    shift = site_shift(event, SiteFactory(), held_for=membership.team)
    if role == "captain_of_this_team":
        client.force_login(membership.user)
    else:
        login_as(role)

    response = client.post(reverse(action, args=[event.pk, shift.pk]),
                           {"team": membership.team.pk})

    assert response.status_code == (302 if role == "anonymous" else 403)
    assert HoldChange.objects.count() == 0


# --- The map ------------------------------------------------------------------------------


def test_map_lists_sites_with_coverage_and_json(client, boss, event):
    empty = site_shift(event, SiteFactory(name="Empty corner"))
    below = site_shift(event, SiteFactory(name="Thin corner", min_people=2))
    SignupFactory(shift=below)
    covered = site_shift(event, SiteFactory(name="Good corner", min_people=1))
    SignupFactory(shift=covered)
    assert empty

    response = client.get(reverse("drive_map", args=[event.pk]))

    page = response.content.decode()
    assert 'class="cov-row-empty"><th scope="row"><span class="dot cov-empty"></span> Empty' in page
    assert "cov-row-below" in page and "cov-row-covered" in page
    data = json.loads(page.split('id="drive-sites" type="application/json">')[1]
                      .split("</script>")[0])
    assert {s["name"]: s["coverage"] for s in data["sites"]} == {
        "Empty corner": "empty", "Thin corner": "below", "Good corner": "covered"}
    assert 'data-tile-url="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in page
    assert "<script>" not in page


# --- Query counts and size ----------------------------------------------------------------


def drive(sites: int, windows: int = 6, teams: int = 30):
    event = EventFactory()
    team_list = [TeamMembershipFactory(is_captain=True).team for _ in range(teams)]
    people = UserFactory.create_batch(4)
    PermitRequirement.objects.create(kind=SiteKind.MEDIAN)
    made = []
    for i in range(sites):
        site = SiteFactory(kind=SiteKind.MEDIAN if i % 5 == 0 else SiteKind.SIDEWALK)
        for w in range(windows):
            made.append(Shift(event=event, site=site, role="collector",
                              starts_at=at(event, 7 + 2 * w) - datetime.timedelta(hours=2),
                              ends_at=at(event, 7 + 2 * w), needed=2, capacity=4,
                              held_for=team_list[(i + w) % teams] if (i + w) % 3 else None))
    made = Shift.objects.bulk_create(made)
    for n, shift in enumerate(made[::2]):
        SignupFactory(shift=shift, volunteer=people[n % 4], team=shift.held_for)
    return event


@pytest.mark.parametrize("sites", [5, 50])
def test_board_and_map_queries_do_not_grow(client, boss, sites, django_assert_max_num_queries):
    event = drive(sites)
    assert Team.objects.count() == 30 and TeamMembership.objects.count() == 30

    with django_assert_max_num_queries(10):
        response = client.get(reverse("site_board", args=[event.pk]))
    assert response.status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("drive_map", args=[event.pk])).status_code == 200
    with django_assert_max_num_queries(10):
        filtered = client.get(reverse("site_board", args=[event.pk]), {"flag": "no_permit"})
    assert filtered.status_code == 200
    if sites == 50:
        assert response.content.count(b'<td id="c') == 300
        assert len(response.content) < 150_000


@pytest.mark.parametrize("change", ["site", "team", "age", "permit"])
def test_board_is_rendered_once_per_change(client, boss, event, change,
                                           django_assert_max_num_queries,
                                           django_capture_on_commit_callbacks):
    """The board's cells come from the cache until something they show changes: a site, a
    team, a person's age, a permit (shifts, sign-ups and holds are covered the same way)."""
    site = SiteFactory(name="Shaw & Cedar", min_people=1, kind=SiteKind.MEDIAN)
    team = TeamFactory(name="Peoples Church Youth")
    shift = site_shift(event, site, held_for=team)
    volunteer = UserFactory(confirmed_adult=True)
    SignupFactory(shift=shift, volunteer=volunteer, team=team)
    PermitRequirement.objects.create(kind=SiteKind.MEDIAN)
    first = board(client, event)
    assert "No permit covers it" in cell_html(first, shift)

    with django_assert_max_num_queries(5):  # session, user, roles, event: no board queries
        again = board(client, event)
    assert cell_html(again, shift) == cell_html(first, shift)

    with django_capture_on_commit_callbacks(execute=True):
        if change == "site":
            site.name = "Shaw & Cedar, SW corner"
            site.save()
        elif change == "team":
            team.name = "Peoples Church Young Adults"
            team.save()
        elif change == "age":
            volunteer.confirmed_adult = False
            volunteer.date_of_birth = datetime.date(2012, 1, 1)
            volunteer.save()
        else:
            PermitFactory(sites=[site])
    page = board(client, event)

    expected = {"site": "Shaw &amp; Cedar, SW corner", "team": "Peoples Church Young Adults",
                "age": "A minor without an adult of the same team",
                "permit": None}[change]
    if expected:
        assert expected in page
    else:
        assert "No permit covers it" not in cell_html(page, shift)
