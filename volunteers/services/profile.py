"""Writes to a volunteer's own profile made outside the profile form."""

from django.db import transaction

from ..models import User
from ..viewer_cache import viewer_changed


@transaction.atomic
def user_confirm_adult(*, user: User) -> User:
    """Record the volunteer's word that they are 18 or older (the profile's checkbox), as
    asked in place next to an adults-only shift. A date of birth, when given, still decides
    (``User.is_adult_on``). One UPDATE; no message."""
    if not user.confirmed_adult:
        User.objects.filter(pk=user.pk).update(confirmed_adult=True)
        viewer_changed(user.pk)  # an UPDATE sends no post_save
        user.confirmed_adult = True
    return user
