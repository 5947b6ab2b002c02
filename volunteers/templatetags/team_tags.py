"""The Teams link of the navigation, shown to whoever has something there: organizers,
captains, members, and anyone with an invitation waiting (with how many, for volunteers:
one query per page for them, none for organizers and captains)."""

from django import template
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from ..models import TeamMembership, User
from ..services.teams import invitations_for

register = template.Library()


def _team_standing(user) -> tuple[bool, int]:
    """(in a team, pending invitations) in one query, cached on the user for the request."""
    cached = getattr(user, "_team_standing", None)
    if cached is None:
        waiting = (
            invitations_for(user).order_by().values("status").annotate(n=Count("pk"))
            .values("n")
        )
        row = (
            User.objects.filter(pk=user.pk)
            .annotate(
                in_team=Exists(TeamMembership.objects.filter(user_id=OuterRef("pk"))),
                waiting=Coalesce(Subquery(waiting, output_field=IntegerField()), Value(0)),
            )
            .values_list("in_team", "waiting")
            .first()
        )
        cached = user._team_standing = row or (False, 0)
    return cached


@register.inclusion_tag("volunteers/partials/_team_nav_link.html", takes_context=True)
def team_nav_link(context):
    user = context.get("user")
    nav = context.get("nav") or {}
    if user is None or not user.is_authenticated:
        return {"show": False}
    if nav.get("organizer") or nav.get("captain"):
        # Always shown, and without the count: no query on every organizer page (their
        # invitations, if any, wait on the Teams page all the same).
        return {"show": True, "waiting": 0}
    in_team, waiting = _team_standing(user)
    return {"show": bool(in_team or waiting), "waiting": waiting}

