"""The grid form: a drive's shifts, sites x time windows, in one step, all or nothing."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from events.grid import parse_windows
from events.models import PermitRequirement, Shift, SiteKind
from events.services import EventError
from tests.events.conftest import ROLES
from tests.factories import EventFactory, PermitFactory, SiteFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db
WINDOWS = "07:00-09:00\n09:00-11:00\n11:00-13:00\n13:00-15:00\n15:00-17:00"


@pytest.fixture
def event():
    return EventFactory()


def post(client, event, sites, windows=WINDOWS, **extra):
    return client.post(reverse("drive_grid", args=[event.pk]), {
        "sites": [s.pk for s in sites], "windows": windows, "role": "collector",
        "day": timezone.localtime(event.starts_at).date().isoformat(), **extra,
    })


def test_grid_creates_sites_times_windows_with_site_sizes(client, login_as, event):
    login_as("organizer")
    corner = SiteFactory(min_people=2, max_people=4)
    median = SiteFactory(kind=SiteKind.MEDIAN, min_people=3, max_people=5, min_age=18)

    response = post(client, event, [corner, median])

    assert response.status_code == 302
    assert response["Location"] == reverse("site_board", args=[event.pk])
    shifts = Shift.objects.filter(event=event)
    assert shifts.count() == 10
    at_median = shifts.filter(site=median).order_by("starts_at")
    first_shift = at_median.first()
    assert (first_shift.needed, first_shift.capacity, first_shift.min_age, first_shift.role) == (
        3, 5, 18, "collector")
    first = timezone.localtime(at_median[0].starts_at)
    assert (first.hour, first.minute) == (7, 0)
    assert timezone.localtime(at_median[4].ends_at).hour == 17


def test_grid_bad_window_names_the_line_and_creates_nothing(client, login_as, event):
    login_as("organizer")

    response = post(client, event, [SiteFactory()], windows="07:00-09:00\n9 to 11")

    assert response.status_code == 422
    assert "Line 2, “9 to 11”" in response.content.decode()
    assert Shift.objects.count() == 0


def test_grid_window_ending_before_start_is_refused(client, login_as, event):
    login_as("organizer")

    response = post(client, event, [SiteFactory()], windows="11:00-09:00")

    assert response.status_code == 422
    assert "must end after it starts" in response.content.decode()


def test_grid_retired_site_is_refused_by_name_and_nothing_created(client, login_as, event):
    login_as("organizer")
    retired = SiteFactory(name="Old Kmart lot", is_active=False)

    response = post(client, event, [SiteFactory(), retired])

    assert response.status_code == 422
    assert "Old Kmart lot, 07:00-09:00: this site is retired." in response.content.decode()
    assert Shift.objects.count() == 0


def test_grid_permit_refusal_names_site_and_window_all_or_nothing(client, login_as, event):
    login_as("organizer")
    PermitRequirement.objects.create(kind=SiteKind.MEDIAN, jurisdiction="Fresno")
    median = SiteFactory(name="Shaw median", kind=SiteKind.MEDIAN)
    day = timezone.localtime(event.starts_at).date()
    PermitFactory(sites=[median], valid_from=day - datetime.timedelta(days=1),
                  valid_until=day + datetime.timedelta(days=1),
                  daily_start=datetime.time(7), daily_end=datetime.time(13))

    response = post(client, event, [SiteFactory(), median])

    assert response.status_code == 422
    assert "Shaw median, 13:00-15:00" in response.content.decode()
    assert Shift.objects.count() == 0


def test_grid_twice_with_one_token_creates_once(client, login_as, event):
    login_as("organizer")
    site = SiteFactory()
    page = client.get(reverse("drive_grid", args=[event.pk]))
    token = page.context["form"].initial["form_token"]

    post(client, event, [site], form_token=token)
    again = post(client, event, [site], form_token=token)

    assert again.status_code == 302
    assert Shift.objects.count() == 5


def test_grid_refuses_a_second_shift_at_the_same_site_and_time(client, login_as, event):
    login_as("organizer")
    site = SiteFactory(name="Herndon & Fowler")
    post(client, event, [site], windows="07:00-09:00")

    response = post(client, event, [site], windows="08:00-10:00")

    assert response.status_code == 422
    assert "already has a shift at that time" in response.content.decode()
    assert Shift.objects.count() == 1


def test_parse_windows_overlap_is_refused():
    with pytest.raises(EventError) as refused:
        parse_windows("07:00-09:00\n08:30-10:00")
    assert "overlap" in refused.value.message


def test_parse_windows_accepts_short_hours():
    assert [str(w) for w in parse_windows("7-9\n13:00 - 15:30\n")] == [
        "07:00-09:00", "13:00-15:30"]


def test_grid_form_offers_only_active_sites(client, login_as, event):
    login_as("organizer")
    SiteFactory(name="Open corner")
    SiteFactory(name="Closed corner", is_active=False)

    page = client.get(reverse("drive_grid", args=[event.pk])).content.decode()

    assert "Open corner" in page
    assert "Closed corner" not in page


@pytest.mark.parametrize("role", [*ROLES, "team_captain"])
def test_grid_page_permissions(client, login_as, event, role):
    if role == "team_captain":
        membership = TeamMembershipFactory(is_captain=True)
        client.force_login(membership.user)
    else:
        login_as(role)

    response = client.get(reverse("drive_grid", args=[event.pk]))

    expected = {"anonymous": 302, "organizer": 200}.get(role, 403)
    assert response.status_code == expected
