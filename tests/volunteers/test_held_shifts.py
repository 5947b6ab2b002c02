"""A shift held for a team (Shift.held_for) takes only that team's members: themselves, or
through their captain's team sign-up. Everyone else, an organizer adding a non-member
included, is refused with the reason. The permit cap (events.permits) is checked inside the
locked sign-up. The event page says "Held for <team>" and offers Sign up to members only;
the team page lists the cells held for the team and the team sign-up form offers them first."""

import pytest
from django.urls import reverse

from tests.factories import (
    PermitFactory,
    SiteFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
    organizer,
)
from volunteers.models import Signup
from volunteers.services.signups import SignupError, signup_create, team_signup_members

from .conftest import make_shift

pytestmark = pytest.mark.django_db


@pytest.fixture
def youth():
    team = TeamFactory(name="Peoples Church Youth")
    captain = TeamMembershipFactory(team=team, is_captain=True).user
    member = TeamMembershipFactory(team=team).user
    return team, captain, member


@pytest.fixture
def held(youth):
    team, _captain, _member = youth
    return make_shift(site=SiteFactory(name="Blackstone & Shaw, NE corner"), held_for=team)


def test_held_shift_member_signs_up_themselves(held, youth):
    _team, _captain, member = youth

    signup = signup_create(shift=held, volunteer=member, by=member)

    assert signup.status == Signup.Status.CONFIRMED


def test_held_shift_non_member_is_refused_with_the_team_named(held):
    stranger = UserFactory()

    with pytest.raises(SignupError) as error:
        signup_create(shift=held, volunteer=stranger, by=stranger)

    assert str(error.value) == "This corner is held for Peoples Church Youth."
    assert not Signup.objects.filter(shift=held).exists()


def test_held_shift_captain_team_signup_places_members(held, youth):
    team, captain, member = youth

    results = team_signup_members(team=team, shift=held, volunteers=[member, captain],
                                  by=captain)

    assert [r.error for r in results] == [None, None]
    assert Signup.objects.filter(shift=held, status=Signup.Status.CONFIRMED).count() == 2


def test_held_shift_organizer_adding_a_non_member_is_refused_with_what_to_do(held):
    stranger = UserFactory(display_name="Sam Rivera")

    with pytest.raises(SignupError) as error:
        signup_create(shift=held, volunteer=stranger, by=organizer())

    assert str(error.value) == (
        "This corner is held for Peoples Church Youth, and Sam Rivera is not a member. "
        "Release the hold, or invite Sam Rivera to Peoples Church Youth first."
    )
    assert not Signup.objects.filter(shift=held).exists()


def test_held_shift_organizer_adding_a_member_works(held, youth):
    _team, _captain, member = youth

    signup = signup_create(shift=held, volunteer=member, by=organizer())

    assert signup.status == Signup.Status.CONFIRMED


def test_held_shift_signup_view_refuses_non_member_at_the_field(client, held):
    stranger = UserFactory()
    client.force_login(stranger)

    response = client.post(reverse("shift_signup", args=[held.pk]), follow=True)

    assert "This corner is held for Peoples Church Youth." in response.content.decode()
    assert not Signup.objects.filter(shift=held).exists()


def test_permit_cap_refuses_the_collector_beyond_it(youth):
    site = SiteFactory()
    PermitFactory(sites=[site], max_collectors=1, reference="SP-CAP")
    shift = make_shift(site=site, capacity=4)
    first, second = UserFactory(), UserFactory()
    signup_create(shift=shift, volunteer=first, by=first)

    with pytest.raises(SignupError) as error:
        signup_create(shift=shift, volunteer=second, by=second)

    assert "at most 1 collectors" in str(error.value)
    assert Signup.objects.filter(shift=shift, status=Signup.Status.CONFIRMED).count() == 1


def test_event_page_says_held_for_and_offers_sign_up_to_members_only(client, held, youth):
    _team, _captain, member = youth
    url = reverse("event_detail", args=[held.event_id])
    signup_url = reverse("shift_signup", args=[held.pk])

    client.force_login(UserFactory())
    stranger_page = client.get(url).content.decode()
    client.force_login(member)
    member_page = client.get(url).content.decode()

    assert "Held for Peoples Church Youth" in stranger_page
    assert "This corner is held for Peoples Church Youth." in stranger_page
    assert f'action="{signup_url}"' not in stranger_page
    assert "Held for Peoples Church Youth" in member_page
    assert f'action="{signup_url}"' in member_page


def test_team_page_lists_held_cells_with_fill_for_the_captain(client, held, youth):
    _team, captain, member = youth
    signup_create(shift=held, volunteer=member, by=member)
    client.force_login(captain)

    page = client.get(reverse("team_detail", args=[held.held_for_id])).content.decode()

    assert "Corners held for this team" in page
    assert "Blackstone &amp; Shaw, NE corner" in page
    assert "1 of 3 needed" in page
    assert f"{reverse('team_signup', args=[held.held_for_id])}?shift={held.pk}" in page


def test_team_signup_offers_held_shifts_first_and_hides_other_teams_holds(client, held, youth):
    team, captain, _member = youth
    open_shift = make_shift(starts_in_hours=24)
    other_hold = make_shift(starts_in_hours=30, held_for=TeamFactory(name="Rotary Club"))
    client.force_login(captain)

    response = client.get(reverse("team_signup", args=[team.pk]))

    choices = [pk for pk, _label in response.context["form"].fields["shift"].choices if pk]
    assert [int(str(pk)) for pk in choices[:2]] == [held.pk, open_shift.pk]
    assert other_hold.pk not in [int(str(pk)) for pk in choices]
    assert "Held for Peoples Church Youth:" in response.content.decode()


def test_team_signup_fills_a_held_shift_through_the_page(client, held, youth):
    team, captain, member = youth
    client.force_login(captain)

    client.post(reverse("team_signup", args=[team.pk]),
                {"shift": held.pk, "members": [member.pk]})

    assert Signup.objects.get(shift=held, volunteer=member).team_id == team.pk
