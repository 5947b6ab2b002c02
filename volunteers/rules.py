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


# --- Teams, sign-ups, check-in and the shift board (issue #3) ---------------------------
# Scope comes from team membership: the global captain role opens the captain pages, the
# TeamMembership.is_captain rows decide which teams and people a captain may see.


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


def captain_people_ids(user) -> frozenset[int]:
    """Everyone in the teams this person captains (themselves included)."""
    team_ids = captained_team_ids(user)
    if not team_ids:
        return frozenset()
    from .models import TeamMembership

    return frozenset(
        TeamMembership.objects.filter(team_id__in=team_ids).values_list("user_id", flat=True)
    )


def captains_signup(user, signup) -> bool:
    """The sign-up belongs to a team this person captains, or its volunteer is in one."""
    if signup.team_id and signup.team_id in captained_team_ids(user):
        return True
    return signup.volunteer_id in captain_people_ids(user)


def can_check_in_shift(user, shift) -> bool:
    """Organizers, and captains of a team with someone on the shift."""
    if is_organizer(user):
        return True
    people = captain_people_ids(user)
    if not people:
        return False
    return shift.signups.filter(status="confirmed").filter(captain_scope(user)).exists()


def captain_scope(user):
    """A filter on Signup for the sign-ups a captain may see and check in."""
    from django.db.models import Q

    return Q(volunteer_id__in=captain_people_ids(user)) | Q(team_id__in=captained_team_ids(user))


rules.add_perm("volunteers.see_board", is_organizer | captains_a_team)
rules.add_perm("volunteers.manage_team", is_organizer | is_team_captain)
rules.add_perm("volunteers.view_team", is_organizer | is_team_captain | is_team_member)
rules.add_perm("volunteers.edit_team", is_organizer)
