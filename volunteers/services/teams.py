"""Writes about teams: create and edit, members in and out, captains.

The views check who may call these (volunteers.rules); the services keep the rules about the
data: a person is in a team once, a captain is a member, making a captain grants the
global captain role (which opens the captain pages; team rows decide the scope)."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..models import Role, Team, TeamMembership, User
from ..rules import is_organizer
from .roles import role_grant


class TeamError(Exception):
    """A team change that is not allowed; the message is written for the person."""


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise TeamError(_("A team needs a name."))
    return name


def team_create(
    *, name: str, by: User, partner_organization: str = "", description: str = ""
) -> Team:
    """A new team (organizers). Names are unique."""
    name = _clean_name(name)
    try:
        with transaction.atomic():
            return Team.objects.create(
                name=name,
                partner_organization=partner_organization.strip(),
                description=description.strip(),
            )
    except IntegrityError as error:
        raise TeamError(_("There is already a team called “%(name)s”.") % {"name": name}) from error


def team_update(*, team: Team, by: User, **fields) -> Team:
    """Change a team's name, partner organization or description (organizers)."""
    allowed = {"name", "partner_organization", "description"}
    if set(fields) - allowed:
        raise TeamError(_("Only the name, partner organization and description can change."))
    if "name" in fields:
        fields["name"] = _clean_name(fields["name"])
    for field, value in fields.items():
        setattr(team, field, value.strip() if isinstance(value, str) else value)
    try:
        with transaction.atomic():
            team.save(update_fields=list(fields))
    except IntegrityError as error:
        raise TeamError(
            _("There is already a team called “%(name)s”.") % {"name": team.name}
        ) from error
    return team


def find_volunteer(email: str) -> User:
    email = email.strip()
    person = User.objects.filter(email__iexact=email, is_active=True).first()
    if person is None:
        raise TeamError(
            _("Nobody with the email address %(email)s has a Rally account yet. Ask them to "
              "sign up first, then add them.") % {"email": email}
        )
    return person


@transaction.atomic
def team_member_add(
    *, team: Team, email: str, by: User, is_captain: bool = False
) -> TeamMembership:
    """Add the person with this email to the team (a person already in it stays as they
    are). Captains add members to their own team; only organizers add captains."""
    person = find_volunteer(email)
    membership, _created = TeamMembership.objects.get_or_create(team=team, user=person)
    if is_captain and not membership.is_captain:
        team_captain_set(team=team, user=person, is_captain=True, by=by)
        membership.refresh_from_db()
    return membership


@transaction.atomic
def team_member_remove(*, team: Team, user: User, by: User) -> None:
    """Take a person out of the team. Their sign-ups stay (they keep their shifts); only an
    organizer can remove a captain."""
    membership = TeamMembership.objects.select_for_update().filter(team=team, user=user).first()
    if membership is None:
        return
    if membership.is_captain and not is_organizer(by):
        raise TeamError(_("Only an organizer can remove a team captain."))
    membership.delete()


@transaction.atomic
def team_captain_set(*, team: Team, user: User, is_captain: bool, by: User) -> TeamMembership:
    """Make a member a captain of the team (granting the captain role) or a plain member
    again. The captain role itself stays: it is managed on the roles page."""
    membership = TeamMembership.objects.select_for_update().filter(team=team, user=user).first()
    if membership is None:
        raise TeamError(_("%(name)s is not in this team.") % {"name": user.name})
    if is_captain:
        role_grant(user=user, role=Role.CAPTAIN, by=by)
    if membership.is_captain != is_captain:
        membership.is_captain = is_captain
        membership.save(update_fields=["is_captain"])
    user.__dict__.pop("_captained_team_ids", None)
    return membership
