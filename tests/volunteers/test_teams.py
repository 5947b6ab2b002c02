import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from tests.factories import TeamMembershipFactory, UserFactory
from volunteers.models import Role, Signup, Team, TeamInvitation, TeamMembership
from volunteers.services.teams import TeamError, team_captain_set, team_create, team_member_add

from .conftest import make_shift

pytestmark = pytest.mark.django_db


def test_organizer_creates_a_team_with_a_partner_organization(client, people):
    client.force_login(people["organizer"])

    response = client.post(reverse("team_new"), {
        "name": "Clovis Hope Church", "partner_organization": "Clovis Hope Church",
        "description": "Sunday volunteers"})

    team = Team.objects.get(name="Clovis Hope Church")
    assert response["Location"] == reverse("team_detail", args=[team.pk])
    assert team.partner_organization == "Clovis Hope Church"


def test_team_create_refuses_a_duplicate_name(people):
    with pytest.raises(TeamError, match="already a team called"):
        team_create(name="Peoples  Church Team ", by=people["organizer"])


def test_team_new_form_shows_duplicate_name_at_the_field(client, people):
    client.force_login(people["organizer"])

    response = client.post(reverse("team_new"), {"name": "Peoples Church Team"})

    assert response.status_code == 422
    assert "already exists" in response.content.decode()


def test_organizer_edits_a_team(client, people):
    client.force_login(people["organizer"])

    client.post(reverse("team_edit", args=[people["team"].pk]),
                {"name": "Peoples Church Youth", "partner_organization": "Peoples Church"})

    people["team"].refresh_from_db()
    assert people["team"].name == "Peoples Church Youth"


def test_captain_adding_a_member_only_invites_them(client, people):
    newcomer = UserFactory(email="new.person@example.org")
    client.force_login(people["own_captain"])

    response = client.post(reverse("team_member_add", args=[people["team"].pk]),
                           {"email": "New.Person@Example.org", "is_captain": "on"})

    assert response.status_code == 302
    assert not TeamMembership.objects.filter(team=people["team"], user=newcomer).exists()
    invitation = TeamInvitation.objects.get(team=people["team"])
    assert (invitation.email, invitation.status) == ("new.person@example.org", "pending")


def test_organizer_adds_a_member_directly_by_email_case_insensitively(client, people):
    newcomer = UserFactory(email="new.person@example.org")
    client.force_login(people["organizer"])

    response = client.post(reverse("team_member_add", args=[people["team"].pk]),
                           {"email": "New.Person@Example.org"})

    assert response.status_code == 302
    membership = TeamMembership.objects.get(team=people["team"], user=newcomer)
    assert membership.is_captain is False


def test_organizer_add_member_unknown_email_is_shown_at_the_field(client, people):
    client.force_login(people["organizer"])

    response = client.post(reverse("team_member_add", args=[people["team"].pk]),
                           {"email": "nobody@example.org"})

    assert response.status_code == 422
    assert "Nobody with the email address nobody@example.org has a Rally account" in (
        response.content.decode())


def test_team_member_add_service_refuses_captains(people):
    UserFactory(email="someone@example.org")

    with pytest.raises(PermissionDenied):
        team_member_add(team=people["team"], email="someone@example.org",
                        by=people["own_captain"])


def test_making_a_captain_grants_the_captain_role(client, people):
    member = people["member"]
    client.force_login(people["organizer"])

    client.post(reverse("team_captain", args=[people["team"].pk, member.pk]),
                {"is_captain": "1"})

    assert TeamMembership.objects.get(team=people["team"], user=member).is_captain
    assert member.role_grants.filter(role=Role.CAPTAIN).exists()


def test_unmaking_a_captain_keeps_membership(people):
    team_captain_set(team=people["team"], user=people["own_captain"], is_captain=False,
                     by=people["organizer"])

    membership = TeamMembership.objects.get(team=people["team"], user=people["own_captain"])
    assert membership.is_captain is False


def test_organizer_adds_a_captain_directly(people):
    person = UserFactory(email="cap@example.org")

    membership = team_member_add(team=people["team"], email="cap@example.org", is_captain=True,
                                 by=people["organizer"])

    assert membership.is_captain
    assert person.role_grants.filter(role=Role.CAPTAIN).exists()


def test_captain_removes_a_member_but_not_a_captain(client, people):
    co_captain = UserFactory()
    TeamMembershipFactory(team=people["team"], user=co_captain, is_captain=True)
    client.force_login(people["own_captain"])

    client.post(reverse("team_member_remove", args=[people["team"].pk, people["member"].pk]))
    response = client.post(
        reverse("team_member_remove", args=[people["team"].pk, co_captain.pk]), follow=True)

    assert not TeamMembership.objects.filter(user=people["member"]).exists()
    assert TeamMembership.objects.filter(user=co_captain).exists()
    assert "Only an organizer can remove a team captain." in response.content.decode()


def test_a_volunteer_can_be_in_several_teams_and_sees_them(client, people):
    member = people["member"]
    TeamMembershipFactory(team=people["other_team"], user=member)
    client.force_login(member)

    response = client.get(reverse("team_list"))

    assert [t.name for t in response.context["teams"]] == ["Peoples Church Team", "Rotary Team"]


def test_captain_sees_only_own_team_in_the_list(client, people):
    client.force_login(people["own_captain"])

    response = client.get(reverse("team_list"))

    assert [t.name for t in response.context["teams"]] == ["Peoples Church Team"]


def test_organizer_sees_every_team(client, people):
    client.force_login(people["organizer"])

    response = client.get(reverse("team_list"))

    assert [t.name for t in response.context["teams"]] == ["Peoples Church Team", "Rotary Team"]


def test_captain_team_page_shows_member_contacts_member_page_does_not(client, people):
    client.force_login(people["own_captain"])
    captain_view = client.get(reverse("team_detail", args=[people["team"].pk])).content.decode()
    client.force_login(people["member"])
    member_view = client.get(reverse("team_detail", args=[people["team"].pk])).content.decode()

    assert "(559) 555-0111" in captain_view
    assert "(559) 555-0111" not in member_view
    assert people["own_captain"].name in member_view
    assert people["own_captain"].email in member_view  # members may reach their captains


def test_member_page_shows_no_captain_phone(client, people):
    people["own_captain"].phone = "(559) 555-0444"
    people["own_captain"].save()
    client.force_login(people["member"])

    body = client.get(reverse("team_detail", args=[people["team"].pk])).content.decode()

    assert "(559) 555-0444" not in body  # a phone is shown only to organizers and captains


def test_team_list_query_count_is_constant(client, people, django_assert_max_num_queries):
    for index in range(20):
        team = Team.objects.create(name=f"Extra {index}")
        TeamMembershipFactory(team=team, is_captain=True)
        TeamMembershipFactory(team=team)
    client.force_login(people["organizer"])

    with django_assert_max_num_queries(8):
        client.get(reverse("team_list"))


def test_captain_signs_up_members_in_one_step_with_a_reason_per_refusal(client, people):
    team = people["team"]
    shift = make_shift(capacity=5, min_age=18)
    teen = UserFactory(display_name="Teen Member", confirmed_adult=False)
    TeamMembershipFactory(team=team, user=teen)
    client.force_login(people["own_captain"])

    response = client.post(reverse("team_signup", args=[team.pk]),
                           {"shift": shift.pk, "members": [people["member"].pk, teen.pk]})

    assert response.status_code == 200
    body = response.content.decode()
    assert "Member Person: signed up" in body
    assert "Teen Member: This shift is for volunteers 18 or older, and Teen Member has not" in (
        body)
    signup = Signup.objects.get(shift=shift)
    assert (signup.volunteer, signup.team) == (people["member"], team)
    change = signup.changes.get()
    assert (change.action, change.by) == ("added", people["own_captain"])


def test_team_signup_cannot_include_people_outside_the_team(client, people):
    shift = make_shift()
    client.force_login(people["own_captain"])

    response = client.post(reverse("team_signup", args=[people["team"].pk]),
                           {"shift": shift.pk, "members": [people["volunteer"].pk]})

    assert response.status_code == 422
    assert not Signup.objects.exists()


def test_team_signup_of_another_captains_team_is_forbidden(client, people):
    shift = make_shift()
    client.force_login(people["other_captain"])

    response = client.post(reverse("team_signup", args=[people["team"].pk]),
                           {"shift": shift.pk, "members": [people["member"].pk]})

    assert response.status_code == 403
    assert not Signup.objects.exists()
