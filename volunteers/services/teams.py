"""Writes about teams: create and edit, invitations, members in and out, captains.

The views check who may call these (volunteers.rules); the services keep the rules about the
data: a person is in a team once, a captain is a member, making a captain grants the
global captain role (which opens the captain pages; team rows decide the scope).

Membership is consent (issue #7): a captain *invites* an email address; the person with
that verified address accepts (a TeamMembership begins) or declines. Only organizers add
someone directly. The captain's answer to an invitation is the same whether or not the
address has an account, so the form cannot be used to find out who uses Rally."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Role, Team, TeamInvitation, TeamMembership, User
from ..rules import is_organizer, is_team_captain
from .roles import role_grant


class TeamError(Exception):
    """A team change that is not allowed; the message is written for the person."""


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise TeamError(_("A team needs a name."))
    return name


def _forget_team_scope(user: User) -> None:
    """Drop the per-request caches of volunteers.rules after a membership change."""
    for attribute in ("_captained_team_ids", "_captained_memberships"):
        user.__dict__.pop(attribute, None)


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
    """The active account with this address. For organizers' pages only: the answer says
    whether an account exists, which captains must not learn (see ``team_invite``)."""
    email = email.strip()
    person = User.objects.filter(email__iexact=email, is_active=True).first()
    if person is None:
        raise TeamError(
            _("Nobody with the email address %(email)s has a Rally account yet. Ask them to "
              "sign up first, then add them.") % {"email": email}
        )
    return person


def _normalized_email(email: str) -> str:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise TeamError(_("Enter a valid email address.")) from error
    return email


def verified_emails(user: User) -> list[str]:
    """The person's verified addresses, lower-cased: the addresses invitations may reach."""
    from allauth.account.models import EmailAddress

    if not user.is_authenticated:
        return []
    return [
        email.lower()
        for email in EmailAddress.objects.filter(user=user, verified=True).values_list(
            "email", flat=True
        )
    ]


def invitations_for(user: User) -> QuerySet[TeamInvitation]:
    """Pending invitations addressed to one of the person's verified addresses, for teams
    they are not in yet (with the team and who invited them): one query."""
    from allauth.account.models import EmailAddress

    if not user.is_authenticated:
        return TeamInvitation.objects.none()
    addresses = (
        EmailAddress.objects.filter(user=user, verified=True)
        .annotate(lowered=Lower("email"))
        .values("lowered")
    )
    return (
        TeamInvitation.objects.filter(status=TeamInvitation.Status.PENDING, email__in=addresses)
        .exclude(team__memberships__user=user)
        .select_related("team", "invited_by")
        .order_by("created_at", "pk")
    )


# What a captain sees as "invited, not joined yet": a declined invitation looks like one
# not answered, so declining does not tell the captain that the address has an account.
OPEN_INVITATION = (TeamInvitation.Status.PENDING, TeamInvitation.Status.DECLINED)


def team_open_invitations(team: Team) -> list[TeamInvitation]:
    """The team's invitations nobody has accepted (or withdrawn) yet, for its captains."""
    return list(team.invitations.filter(status__in=OPEN_INVITATION).order_by("email", "pk"))


def _pending_invitation(*, team: Team, email: str) -> TeamInvitation | None:
    return (
        TeamInvitation.objects.filter(team=team, email=email, status__in=OPEN_INVITATION)
        .order_by("-created_at", "-pk")
        .first()
    )


def team_invite(*, team: Team, email: str, by: User) -> TeamInvitation | None:
    """Invite the person with this address to the team (its captains and organizers).

    Nothing about the address's owner is looked at or told: the same pending invitation is
    stored whether or not an account exists, and inviting again returns it unchanged (also
    when it was declined: the captain withdraws it first to ask again). Only
    someone already in the team gets no invitation (``None``); the captain sees the members
    anyway. No email is sent: the invitation waits on the person's Teams page. One
    transaction; side effect: a TeamInvitation row."""
    if not (is_organizer(by) or is_team_captain(by, team)):
        raise PermissionDenied
    email = _normalized_email(email)
    if team.memberships.filter(user__email__iexact=email).exists():
        return None
    existing = _pending_invitation(team=team, email=email)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return TeamInvitation.objects.create(team=team, email=email, invited_by=by)
    except IntegrityError:  # invited at the same moment by another captain
        return _pending_invitation(team=team, email=email)


def _answerable(invitation: TeamInvitation, by: User) -> TeamInvitation:
    """Lock the invitation and check it is pending and addressed to ``by``; else the
    invitation does not exist as far as ``by`` is concerned."""
    locked = (
        TeamInvitation.objects.select_for_update()
        .select_related("team")
        .filter(pk=invitation.pk, status=TeamInvitation.Status.PENDING)
        .first()
    )
    if locked is None or locked.email not in verified_emails(by):
        raise TeamInvitation.DoesNotExist
    return locked


@transaction.atomic
def team_invitation_accept(*, invitation: TeamInvitation, by: User) -> TeamMembership:
    """The invited person joins the team: from now on its captains see their contact details
    and may sign them up for shifts through the team. Raises TeamInvitation.DoesNotExist
    unless the invitation is pending and addressed to one of ``by``'s verified addresses.
    Other pending invitations to the same team for ``by``'s other addresses end too."""
    invitation = _answerable(invitation, by)
    membership, _created = TeamMembership.objects.get_or_create(team=invitation.team, user=by)
    now = timezone.now()
    TeamInvitation.objects.filter(
        team=invitation.team, email__in=verified_emails(by), status=TeamInvitation.Status.PENDING
    ).update(status=TeamInvitation.Status.ACCEPTED, answered_at=now, answered_by=by)
    _forget_team_scope(by)
    return membership


@transaction.atomic
def team_invitation_decline(*, invitation: TeamInvitation, by: User) -> TeamInvitation:
    """The invited person says no. The captain sees the invitation disappear from the
    pending list, exactly as when it is withdrawn; a new invitation may be sent later."""
    invitation = _answerable(invitation, by)
    invitation.status = TeamInvitation.Status.DECLINED
    invitation.answered_at = timezone.now()
    invitation.answered_by = by
    invitation.save(update_fields=["status", "answered_at", "answered_by"])
    return invitation


@transaction.atomic
def team_invitation_withdraw(*, invitation: TeamInvitation, by: User) -> TeamInvitation:
    """A captain of the team (or an organizer) takes back an invitation nobody accepted."""
    if not (is_organizer(by) or is_team_captain(by, invitation.team)):
        raise PermissionDenied
    updated = TeamInvitation.objects.filter(
        pk=invitation.pk, status__in=OPEN_INVITATION
    ).update(status=TeamInvitation.Status.WITHDRAWN, answered_at=timezone.now(), answered_by=by)
    if updated:
        invitation.status = TeamInvitation.Status.WITHDRAWN
    return invitation


@transaction.atomic
def team_member_add(
    *, team: Team, email: str, by: User, is_captain: bool = False
) -> TeamMembership:
    """An organizer puts the person with this email in the team directly, without an
    invitation (a person already in it stays as they are), optionally as a captain."""
    if not is_organizer(by):
        raise PermissionDenied
    person = find_volunteer(email)
    membership, _created = TeamMembership.objects.get_or_create(team=team, user=person)
    if is_captain and not membership.is_captain:
        team_captain_set(team=team, user=person, is_captain=True, by=by)
        membership.refresh_from_db()
    TeamInvitation.objects.filter(
        team=team, email=person.email.lower(), status=TeamInvitation.Status.PENDING
    ).update(status=TeamInvitation.Status.ACCEPTED, answered_at=timezone.now(), answered_by=by)
    _forget_team_scope(person)
    return membership


@transaction.atomic
def team_member_remove(*, team: Team, user: User, by: User) -> None:
    """Take a person out of the team (a captain or organizer), or leave it (the person).
    Their sign-ups stay (they keep their shifts), out of the captains' reach; only an
    organizer can remove a captain, and a captain cannot just leave."""
    membership = TeamMembership.objects.select_for_update().filter(team=team, user=user).first()
    if membership is None:
        raise TeamError(_("%(name)s is not in this team.") % {"name": user.name})
    if membership.is_captain and not is_organizer(by):
        if by.pk == user.pk:
            raise TeamError(_("A captain leaves a team through an organizer."))
        raise TeamError(_("Only an organizer can remove a team captain."))
    if by.pk != user.pk and not (is_organizer(by) or is_team_captain(by, team)):
        raise PermissionDenied
    membership.delete()
    _forget_team_scope(user)
    _forget_team_scope(by)


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
    _forget_team_scope(user)
    return membership
