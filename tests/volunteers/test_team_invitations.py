"""Team membership by invitation (issue #7): a captain invites an address and learns nothing
about it; the invited person accepts or declines; captains reach only accepted members and
the sign-ups made through their team."""

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from tests.factories import TeamMembershipFactory, UserFactory
from volunteers.models import Signup, TeamInvitation, TeamMembership
from volunteers.services.checkin import may_check_in
from volunteers.services.signups import signup_cancel, signup_create
from volunteers.services.teams import (
    team_invitation_accept,
    team_invite,
    team_member_add,
)

from .conftest import make_shift

pytestmark = pytest.mark.django_db


def invite(client, team, email):
    return client.post(reverse("team_invite", args=[team.pk]), {"email": email}, follow=True)


def test_invite_answer_is_the_same_with_or_without_an_account(client, people):
    UserFactory(email="has.account@example.org")
    client.force_login(people["own_captain"])

    known = invite(client, people["team"], "has.account@example.org")
    unknown = invite(client, people["team"], "no.account@example.org")

    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    said_known = [str(m).replace("has.account", "ADDRESS") for m in known.context["messages"]]
    said_unknown = [str(m).replace("no.account", "ADDRESS") for m in unknown.context["messages"]]
    assert said_known == said_unknown == [
        "If ADDRESS@example.org belongs to a Rally volunteer, they will find the invitation on "
        "their Teams page when they log in, and join the team once they accept it. Someone "
        "without an account sees it after signing up with this address."
    ]
    assert TeamInvitation.objects.filter(status="pending").count() == 2
    assert TeamMembership.objects.filter(team=people["team"]).count() == 2  # unchanged


def test_invite_does_not_make_a_member_nor_show_contacts(client, people):
    invitee = UserFactory(email="invitee@example.org", phone="(559) 555-0901",
                          emergency_contact_name="Kin Of Invitee")
    client.force_login(people["own_captain"])

    invite(client, people["team"], "invitee@example.org")
    page = client.get(reverse("team_detail", args=[people["team"].pk])).content.decode()

    assert not TeamMembership.objects.filter(user=invitee).exists()
    assert "(559) 555-0901" not in page and "Kin Of Invitee" not in page
    assert invitee.name not in page
    assert "invitee@example.org" in page  # the address the captain typed, nothing more


def test_invited_volunteer_sees_accepts_and_then_the_captain_sees_their_contacts(
    client, people
):
    invitee = UserFactory(email="invitee@example.org", phone="(559) 555-0901")
    invitation = team_invite(team=people["team"], email="Invitee@Example.org",
                             by=people["own_captain"])
    client.force_login(invitee)

    home = client.get(reverse("home")).content.decode()
    listing = client.get(reverse("team_list")).content.decode()
    detail = client.get(reverse("team_invitation_detail", args=[invitation.pk]))
    response = client.post(reverse("team_invitation_accept", args=[invitation.pk]))

    assert "1 invitation" in home
    assert people["team"].name in listing and people["own_captain"].name in listing
    assert "captains see your email, phone and emergency contact" in detail.content.decode()
    assert response["Location"] == reverse("team_detail", args=[people["team"].pk])
    assert TeamMembership.objects.filter(team=people["team"], user=invitee).exists()
    invitation.refresh_from_db()
    assert (invitation.status, invitation.answered_by) == ("accepted", invitee)
    client.force_login(people["own_captain"])
    page = client.get(reverse("team_detail", args=[people["team"].pk])).content.decode()
    assert "(559) 555-0901" in page


def test_declining_leaves_no_membership_and_looks_unanswered_to_the_captain(client, people):
    invitee = UserFactory(email="invitee@example.org")
    invitation = team_invite(team=people["team"], email="invitee@example.org",
                             by=people["own_captain"])
    client.force_login(invitee)

    client.post(reverse("team_invitation_decline", args=[invitation.pk]))
    again = team_invite(team=people["team"], email="invitee@example.org",
                        by=people["own_captain"])

    assert not TeamMembership.objects.filter(user=invitee).exists()
    assert again.pk == invitation.pk  # inviting again does not pester them
    assert "invitee@example.org" not in client.get(reverse("team_list")).content.decode()
    client.force_login(people["own_captain"])
    page = client.get(reverse("team_detail", args=[people["team"].pk])).content.decode()
    assert "invitee@example.org" in page  # as "invited, not joined yet"


def test_invitation_waits_for_an_account_with_a_verified_address(client, people):
    invitation = team_invite(team=people["team"], email="later@example.org",
                             by=people["own_captain"])
    newcomer = UserFactory(email="later@example.org", verified=False)
    EmailAddress.objects.create(user=newcomer, email="later@example.org", verified=False,
                                primary=True)
    client.force_login(newcomer)

    unverified = client.get(reverse("team_list")).content.decode()
    refused = client.post(reverse("team_invitation_accept", args=[invitation.pk]))
    EmailAddress.objects.filter(user=newcomer).update(verified=True)
    verified = client.get(reverse("team_list")).content.decode()

    assert people["team"].name not in unverified
    assert refused.status_code == 404
    assert people["team"].name in verified


def test_someone_else_cannot_see_or_answer_an_invitation(client, people):
    UserFactory(email="invitee@example.org")
    invitation = team_invite(team=people["team"], email="invitee@example.org",
                             by=people["own_captain"])
    client.force_login(people["volunteer"])

    seen = client.get(reverse("team_invitation_detail", args=[invitation.pk]))
    accepted = client.post(reverse("team_invitation_accept", args=[invitation.pk]))
    declined = client.post(reverse("team_invitation_decline", args=[invitation.pk]))

    assert (seen.status_code, accepted.status_code, declined.status_code) == (404, 404, 404)
    assert "invitee@example.org" not in seen.content.decode()
    assert not TeamMembership.objects.filter(user=people["volunteer"], team=people["team"]
                                             ).exists()
    with pytest.raises(TeamInvitation.DoesNotExist):
        team_invitation_accept(invitation=invitation, by=people["volunteer"])


def test_withdrawn_invitation_can_no_longer_be_accepted(client, people):
    invitee = UserFactory(email="invitee@example.org")
    invitation = team_invite(team=people["team"], email="invitee@example.org",
                             by=people["own_captain"])
    client.force_login(people["own_captain"])
    client.post(reverse("team_invite_withdraw", args=[people["team"].pk, invitation.pk]))
    client.force_login(invitee)

    response = client.post(reverse("team_invitation_accept", args=[invitation.pk]))

    assert response.status_code == 404
    assert not TeamMembership.objects.filter(user=invitee).exists()


def test_captain_of_another_team_cannot_invite_or_withdraw(client, people):
    invitation = team_invite(team=people["team"], email="x@example.org",
                             by=people["own_captain"])
    client.force_login(people["other_captain"])

    invited = client.post(reverse("team_invite", args=[people["team"].pk]),
                          {"email": "y@example.org"})
    withdrawn = client.post(reverse("team_invite_withdraw",
                                    args=[people["team"].pk, invitation.pk]))

    assert (invited.status_code, withdrawn.status_code) == (403, 403)
    assert TeamInvitation.objects.filter(status="pending").count() == 1
    with pytest.raises(PermissionDenied):
        team_invite(team=people["team"], email="y@example.org", by=people["other_captain"])


def test_invite_with_a_bad_address_is_refused_at_the_field(client, people):
    client.force_login(people["own_captain"])

    response = client.post(reverse("team_invite", args=[people["team"].pk]),
                           {"email": "not-an-address"})

    assert response.status_code == 422
    assert 'id="id_email_error"' in response.content.decode()
    assert not TeamInvitation.objects.exists()


def test_organizer_grant_closes_a_pending_invitation(people):
    person = UserFactory(email="granted@example.org")
    invitation = team_invite(team=people["team"], email="granted@example.org",
                             by=people["own_captain"])

    team_member_add(team=people["team"], email="granted@example.org", by=people["organizer"])

    invitation.refresh_from_db()
    assert invitation.status == "accepted"
    assert TeamMembership.objects.filter(team=people["team"], user=person).exists()


# --- Removing names nobody -------------------------------------------------------------


def test_remove_member_of_someone_not_in_the_team_is_404_without_their_name(client, people):
    outsider = UserFactory(display_name="Quentin Outsider")
    client.force_login(people["own_captain"])

    response = client.post(reverse("team_member_remove", args=[people["team"].pk, outsider.pk]),
                           follow=True)

    assert response.status_code == 404
    assert "Quentin Outsider" not in response.content.decode()


def test_make_captain_of_someone_not_in_the_team_is_404(client, people):
    client.force_login(people["organizer"])

    response = client.post(reverse("team_captain", args=[people["team"].pk,
                                                         people["volunteer"].pk]),
                           {"is_captain": "1"})

    assert response.status_code == 404
    assert not TeamMembership.objects.filter(user=people["volunteer"]).exists()


def test_member_leaves_a_team_but_a_captain_cannot_just_leave(client, people):
    client.force_login(people["member"])
    left = client.post(reverse("team_leave", args=[people["team"].pk]))
    client.force_login(people["own_captain"])
    stayed = client.post(reverse("team_leave", args=[people["team"].pk]), follow=True)
    client.force_login(people["volunteer"])
    stranger = client.post(reverse("team_leave", args=[people["team"].pk]))

    assert left.status_code == 302
    assert not TeamMembership.objects.filter(user=people["member"]).exists()
    assert "A captain leaves a team through an organizer." in stayed.content.decode()
    assert TeamMembership.objects.filter(user=people["own_captain"]).exists()
    assert stranger.status_code == 404


# --- A captain's reach ----------------------------------------------------------------


@pytest.fixture
def two_signups(people):
    """The member on one shift through the team, and on another on their own."""
    team_shift = make_shift(starts_in_hours=72)
    own_shift = make_shift(starts_in_hours=96)
    through_team = signup_create(shift=team_shift, volunteer=people["member"],
                                 by=people["own_captain"], team=people["team"])
    personal = signup_create(shift=own_shift, volunteer=people["member"], by=people["member"])
    return through_team, personal


def test_captain_cannot_cancel_a_members_personal_signup(client, people, two_signups):
    through_team, personal = two_signups
    client.force_login(people["own_captain"])

    refused = client.post(reverse("signup_cancel", args=[personal.pk]))
    allowed = client.post(reverse("signup_cancel", args=[through_team.pk]))

    assert refused.status_code in (403, 404)  # not theirs to act on
    assert people["member"].name not in refused.content.decode()
    assert allowed.status_code == 302
    assert Signup.objects.get(pk=personal.pk).status == "confirmed"
    assert Signup.objects.get(pk=through_team.pk).status == "cancelled"


def test_captain_neither_sees_nor_checks_in_a_members_personal_signup(
    client, people, two_signups
):
    through_team, personal = two_signups
    client.force_login(people["own_captain"])

    own_roster = client.get(reverse("shift_roster", args=[personal.shift_id]))
    team_roster = client.get(reverse("shift_roster", args=[through_team.shift_id]))
    checkin = client.get(reverse("shift_checkin", args=[personal.shift_id]))
    attendance = client.post(reverse("signup_attendance", args=[personal.pk]),
                             {"attendance": "present"})

    assert people["member"].name not in own_roster.content.decode()
    assert people["member"].name in team_roster.content.decode()
    assert (checkin.status_code, attendance.status_code) == (403, 403)
    assert not may_check_in(people["own_captain"], personal)
    assert may_check_in(people["own_captain"], through_team)


def test_a_member_who_left_is_out_of_the_captains_reach(client, people, two_signups):
    through_team, _personal = two_signups
    client.force_login(people["member"])
    client.post(reverse("team_leave", args=[people["team"].pk]))
    client.force_login(people["own_captain"])

    roster = client.get(reverse("shift_roster", args=[through_team.shift_id]))

    assert people["member"].phone not in roster.content.decode()
    with pytest.raises(PermissionDenied):
        signup_cancel(signup=through_team, by=people["own_captain"])


def test_team_list_with_invitations_runs_a_constant_number_of_queries(
    client, people, django_assert_max_num_queries
):
    invitee = UserFactory(email="busy@example.org")
    for index in range(15):
        team = TeamMembershipFactory(is_captain=True).team
        TeamMembershipFactory(team=team, user=UserFactory(email=f"m{index}@example.org"))
        team_invite(team=team, email="busy@example.org", by=people["organizer"])
    client.force_login(invitee)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("team_list"))

    assert len(response.context["invitations"]) == 15
    assert "15 invitations" in response.content.decode()


def test_nav_count_of_invitations_agrees_with_the_teams_page(client, people):
    """The navigation's count (one hand-written statement, volunteers/templatetags/team_tags)
    is the number of invitations the Teams page lists: pending ones, to a verified address
    (in any case), for teams the person is not in yet."""
    from volunteers.services.teams import invitations_for
    from volunteers.templatetags.team_tags import _team_standing

    person = UserFactory(email="Someone@Example.org")
    EmailAddress.objects.update_or_create(user=person, email="Someone@Example.org",
                                          defaults={"verified": True})
    EmailAddress.objects.update_or_create(user=person, email="second@example.org",
                                          defaults={"verified": False, "primary": False})
    client.force_login(people["own_captain"])
    invite(client, people["team"], "someone@example.org")
    other = TeamMembershipFactory(is_captain=True)
    client.force_login(other.user)
    invite(client, other.team, "second@example.org")  # an unverified address: not theirs yet

    assert _team_standing(UserFactory.build(pk=person.pk)) == (False, 1)
    assert invitations_for(person).count() == 1
    TeamMembershipFactory(team=people["team"], user=person)
    assert _team_standing(UserFactory.build(pk=person.pk)) == (True, 0)
    assert invitations_for(person).count() == 0
