"""Writes about people: profiles and roles."""

from django.db import transaction

from ..models import Role, RoleGrant, User


class RoleError(Exception):
    """A role change that is not allowed; the message is written for the organizer."""


@transaction.atomic
def role_grant(*, user: User, role: str, by: User | None) -> RoleGrant:
    """Give ``user`` the ``role``; granting a role already held returns the existing grant."""
    if role not in Role.values:
        raise RoleError(f"Unknown role {role!r}.")
    grant, _created = RoleGrant.objects.get_or_create(
        user=user, role=role, defaults={"granted_by": by}
    )
    user.__dict__.pop("role_names", None)
    return grant


@transaction.atomic
def role_revoke(*, user: User, role: str, by: User) -> None:
    """Take ``role`` from ``user``. An organizer cannot remove their own organizer role, so a
    coalition is never left without anyone who can grant roles by accident."""
    if user.pk == by.pk and role == Role.ORGANIZER and not by.is_superuser:
        raise RoleError("You cannot remove your own organizer role; ask another organizer.")
    RoleGrant.objects.filter(user=user, role=role).delete()
    user.__dict__.pop("role_names", None)


@transaction.atomic
def profile_update(*, user: User, **fields) -> User:
    """Save the volunteer's own profile fields."""
    for name, value in fields.items():
        setattr(user, name, value)
    user.save(update_fields=list(fields))
    return user
