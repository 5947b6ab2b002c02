"""The demo street drive (events.demo_drive, run by seed_demo): about 15 real Fresno and
Clovis intersections, a median that needs a permit and has one, six partner teams holding
cells with a captain each, one deliberate gap, one cell below minimum; twice is once."""

import time

import pytest

from events import permits
from events.demo_drive import STREET_DRIVE_TITLE
from events.models import Event, HoldChange, Shift, Site, SiteKind
from volunteers.models import Signup, TeamMembership

pytestmark = pytest.mark.django_db


@pytest.fixture
def drive(seeded_demo):
    return Event.objects.get(title=STREET_DRIVE_TITLE)


def confirmed(shift: Shift) -> int:
    return shift.signups.filter(status=Signup.Status.CONFIRMED).count()


def test_demo_drive_has_about_fifteen_sites_in_fresno_and_clovis(drive):
    sites = Site.objects.filter(shifts__event=drive).distinct()

    assert sites.count() == 15
    assert {site.jurisdiction for site in sites} == {"Fresno", "Clovis"}
    for site in sites:
        assert 36.70 < float(site.latitude) < 36.87, site.name
        assert -119.84 < float(site.longitude) < -119.67, site.name
    corner = sites.get(name="Blackstone & Shaw, NE corner")
    assert (float(corner.latitude), float(corner.longitude)) == (36.8081, -119.7904)


def test_demo_drive_median_needs_a_permit_and_has_one(drive):
    median = Site.objects.get(name="Shaw Ave median at Fresno St")

    assert median.kind == SiteKind.MEDIAN
    assert permits.site_needs_permit(median)
    for shift in drive.shifts.filter(site=median):
        assert permits.shift_permit_refusal(shift) is None


def test_demo_drive_six_teams_with_captains_hold_cells(drive):
    held = drive.shifts.filter(held_for__isnull=False)
    team_ids = set(held.values_list("held_for_id", flat=True))

    assert len(team_ids) == 6
    for team_id in team_ids:
        assert TeamMembership.objects.filter(team_id=team_id, is_captain=True).exists()
    assert HoldChange.objects.filter(shift__event=drive, action="held").count() == held.count()


def test_demo_drive_has_one_gap_and_one_cell_below_minimum(drive):
    shifts = list(drive.shifts.select_related("site"))
    gaps = [s for s in shifts if s.held_for_id is None and confirmed(s) == 0]
    short = [s for s in shifts if s.held_for_id and confirmed(s) < s.site.min_people]

    assert [s.site.name for s in gaps] == ["Kings Canyon & Clovis, NW corner"]
    assert [(s.site.name, confirmed(s)) for s in short] == [("Ventura & Chestnut, NW corner", 1)]


def test_demo_drive_second_run_is_fast_and_adds_nothing(drive):
    from events.demo_drive import seed_street_drive
    from volunteers.demo import seed_people

    people = seed_people()
    counts = (Site.objects.count(), Shift.objects.count(), Signup.objects.count(),
              HoldChange.objects.count())
    started = time.monotonic()

    seed_street_drive(people)

    assert time.monotonic() - started < 3
    assert (Site.objects.count(), Shift.objects.count(), Signup.objects.count(),
            HoldChange.objects.count()) == counts
