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
