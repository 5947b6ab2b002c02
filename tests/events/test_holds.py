"""Holding a street shift for a team and releasing it (events.holds), through the services
and the outbox rows they write."""

import pytest

from events.holds import shift_hold, shift_release
from events.models import HoldChange
from events.services import EventError
from tests.factories import (
    ShiftFactory,
    SignupFactory,
    SiteFactory,
    TeamFactory,
    TeamMembershipFactory,
    organizer,
)
from volunteers.models import Message, Signup

pytestmark = pytest.mark.django_db


@pytest.fixture
def site_shift():
    return ShiftFactory(site=SiteFactory(), needed=2, capacity=4)


@pytest.fixture
def team_with_captain():
    membership = TeamMembershipFactory(is_captain=True)
    return membership.team, membership.user


def test_hold_sets_team_records_history_and_emails_captains(site_shift, team_with_captain):
    team, captain = team_with_captain
    boss = organizer()

    shift = shift_hold(shift=site_shift, team=team, by=boss)

    site_shift.refresh_from_db()
    assert site_shift.held_for == team == shift.held_for
    change = HoldChange.objects.get()
    assert (change.team, change.action, change.by) == (team, HoldChange.Action.HELD, boss)
    message = Message.objects.get(kind="shift_held")
    assert message.recipient == captain
    assert message.event_id == site_shift.event_id


def test_hold_team_without_captain_is_refused_and_nothing_saved(site_shift):
    team = TeamMembershipFactory(is_captain=False).team

    with pytest.raises(EventError) as refused:
        shift_hold(shift=site_shift, team=team, by=organizer())

    assert refused.value.field == "team"
    assert "has no captain" in refused.value.message
    site_shift.refresh_from_db()
    assert site_shift.held_for is None
    assert HoldChange.objects.count() == 0
    assert Message.objects.count() == 0


def test_hold_same_team_twice_changes_nothing(site_shift, team_with_captain):
    team, _ = team_with_captain
    shift_hold(shift=site_shift, team=team, by=None)
    shift_hold(shift=site_shift, team=team, by=None)

    assert HoldChange.objects.count() == 1
    assert Message.objects.filter(kind="shift_held").count() == 1


def test_hold_for_other_team_releases_the_first(site_shift, team_with_captain):
    first, first_captain = team_with_captain
    second = TeamMembershipFactory(is_captain=True).team
    shift_hold(shift=site_shift, team=first, by=None)

    shift_hold(shift=site_shift, team=second, by=None)

    site_shift.refresh_from_db()
    assert site_shift.held_for == second
    assert list(HoldChange.objects.values_list("action", "team")) == [
        ("held", first.pk), ("released", first.pk), ("held", second.pk)]
    assert Message.objects.get(kind="hold_released").recipient == first_captain


def test_release_emails_captains_and_team_signups_who_stay(site_shift, team_with_captain):
    team, captain = team_with_captain
    shift_hold(shift=site_shift, team=team, by=None)
    through_team = SignupFactory(shift=site_shift, team=team)
    on_their_own = SignupFactory(shift=site_shift)

    shift_release(shift=site_shift, by=organizer())

    site_shift.refresh_from_db()
    assert site_shift.held_for is None
    assert HoldChange.objects.last().action == HoldChange.Action.RELEASED
    told = set(Message.objects.filter(kind="hold_released").values_list("recipient", flat=True))
    assert told == {captain.pk, through_team.volunteer_id}
    assert on_their_own.volunteer_id not in told
    assert Signup.objects.filter(shift=site_shift, status="confirmed").count() == 2


def test_release_not_held_changes_nothing(site_shift):
    shift_release(shift=site_shift, by=None)

    assert HoldChange.objects.count() == 0


def test_hold_on_cancelled_shift_is_refused(team_with_captain):
    shift = ShiftFactory(site=SiteFactory(), is_cancelled=True)

    with pytest.raises(EventError):
        shift_hold(shift=shift, team=team_with_captain[0], by=None)


def test_hold_on_retired_site_is_refused(team_with_captain):
    shift = ShiftFactory(site=SiteFactory(is_active=False))

    with pytest.raises(EventError) as refused:
        shift_hold(shift=shift, team=team_with_captain[0], by=None)

    assert "retired" in refused.value.message


def test_team_factory_alone_has_no_captain():
    assert not TeamFactory().memberships.exists()
