import pytest

from events.demo import seed_events
from volunteers.demo import seed_people
from volunteers.demo_signups import seed_signups
from volunteers.models import Signup, SignupChange, Team, TeamMembership

pytestmark = pytest.mark.django_db


def counts() -> tuple:
    return (Team.objects.count(), TeamMembership.objects.count(), Signup.objects.count(),
            SignupChange.objects.count())


def test_seed_signups_builds_teams_fill_waitlist_and_checkins_and_is_idempotent():
    people = seed_people()
    events = seed_events(people)

    teams = seed_signups(people, events)
    first = counts()
    seed_signups(people, events)

    assert counts() == first
    assert set(teams) == {"Peoples Church Outreach", "Rotary Club of Fresno",
                          "FPU Students Against Trafficking", "Clovis Hope Church"}
    assert TeamMembership.objects.filter(is_captain=True).count() == 4
    drive = events["drive"]
    setup = drive.shifts.get(role="setup")
    assert setup.signups.filter(status="confirmed").count() == setup.capacity
    assert setup.signups.filter(status="waitlisted").count() == 2
    collectors = drive.shifts.filter(role="collector").order_by("starts_at")
    filled = [s.signups.filter(status="confirmed").count() for s in collectors]
    assert filled == [9, 5, 3, 0]
    past = Signup.objects.filter(shift__event=events["past_drive"])
    assert past.filter(attendance="present").count() > 20
    assert past.filter(attendance="no_show").count() == 1
    assert past.filter(hours_override__isnull=False).count() == 1


def test_seed_signups_without_a_past_drive():
    people = seed_people()
    events = seed_events(people)
    events.pop("past_drive")

    seed_signups(people, events)

    assert Signup.objects.filter(attendance="present").count() == 0
    assert Team.objects.count() == 4
