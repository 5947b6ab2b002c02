"""Who may do what. Views check these on the server; templates only hide links."""

import rules

from .models import Role


@rules.predicate
def is_organizer(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or Role.ORGANIZER in user.role_names))


@rules.predicate
def is_treasurer(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or Role.TREASURER in user.role_names))


@rules.predicate
def is_captain(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or Role.CAPTAIN in user.role_names))


rules.add_perm("volunteers.manage_roles", is_organizer)


# --- Teams, sign-ups, check-in and the shift board (issues #3 and #7) ---------------------
# Scope comes from team membership: the global captain role opens the captain pages, the
# TeamMembership.is_captain rows decide which teams and people a captain may see.
#
# A captain's reach (issue #7):
# - Membership is consent: a TeamMembership exists only once the volunteer accepted an
#   invitation (or an organizer granted it), so every member is an accepted member.
# - A captain sees the contact details (phone, emergency contact, email) of the accepted
#   members of the teams they captain, and the addresses they invited.
# - A captain acts (sees on the board and rosters, cancels, checks in) only on sign-ups made
#   THROUGH their team (``Signup.team``) whose volunteer is still a member of that team. A
#   member's own sign-ups, made outside the team, stay theirs: the captain neither sees them
#   on the board nor cancels them. Someone who leaves the team leaves the captain's reach,
#   team sign-ups included (organizers still manage those).


def captained_team_ids(user) -> frozenset[int]:
    """Teams this person captains (cached on the user object for the request)."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_captained_team_ids", None)
    if cached is None:
        from .models import TeamMembership

        cached = frozenset(
            TeamMembership.objects.filter(user=user, is_captain=True).values_list(
                "team_id", flat=True
            )
        )
        user._captained_team_ids = cached
    return cached


@rules.predicate
def captains_a_team(user) -> bool:
    return bool(captained_team_ids(user))


@rules.predicate
def is_team_captain(user, team) -> bool:
    return team is not None and team.pk in captained_team_ids(user)


@rules.predicate
def is_team_member(user, team) -> bool:
    return bool(user.is_authenticated and team.memberships.filter(user=user).exists())


def _captained_memberships(user) -> frozenset[tuple[int, int]]:
    """(team id, person id) for everyone in the teams this person captains (cached)."""
    team_ids = captained_team_ids(user)
    if not team_ids:
        return frozenset()
    cached = getattr(user, "_captained_memberships", None)
    if cached is None:
        from .models import TeamMembership

        cached = frozenset(
            TeamMembership.objects.filter(team_id__in=team_ids).values_list("team_id", "user_id")
        )
        user._captained_memberships = cached
    return cached


def captain_people_ids(user) -> frozenset[int]:
    """The accepted members of the teams this person captains (themselves included): the
    people whose contact details the captain may see."""
    return frozenset(person for _team, person in _captained_memberships(user))


def captains_signup(user, signup) -> bool:
    """The sign-up was made through a team this person captains, and its volunteer is still
    a member of that team."""
    return (signup.team_id, signup.volunteer_id) in _captained_memberships(user)


def can_check_in_shift(user, shift) -> bool:
    """Organizers, and captains of a team with someone on the shift through the team."""
    if is_organizer(user):
        return True
    if not captained_team_ids(user):
        return False
    return shift.signups.filter(status="confirmed").filter(captain_scope(user)).exists()


def captain_scope(user):
    """A filter on Signup for the sign-ups a captain may see, cancel and check in: made
    through a team they captain, by someone still in that team."""
    from django.db.models import Exists, OuterRef, Q

    from .models import TeamMembership

    still_member = TeamMembership.objects.filter(
        team_id=OuterRef("team_id"), user_id=OuterRef("volunteer_id")
    )
    return Q(team_id__in=captained_team_ids(user)) & Q(Exists(still_member))


rules.add_perm("volunteers.see_board", is_organizer | captains_a_team)
rules.add_perm("volunteers.manage_team", is_organizer | is_team_captain)
rules.add_perm("volunteers.view_team", is_organizer | is_team_captain | is_team_member)
rules.add_perm("volunteers.edit_team", is_organizer)
# Only organizers make someone a member without an invitation.
rules.add_perm("volunteers.grant_membership", is_organizer)
