"""The Teams link of the navigation, shown to whoever has something there: organizers,
captains, members, and anyone with an invitation waiting (with how many, for volunteers:
one query per page for them, none for organizers and captains).

And the member rows of a team's page for those who manage it, written in Python: a team of
100 took 30 ms a page through the template engine (two URL lookups and two CSRF tags per
row); here the links come from one ``reverse()`` each, the wording is fetched once, and the
page's one CSRF token is written as is. Every value from the database passes through
``escape`` (the standard library's, as in ``volunteers.shift_rows``)."""

from html import escape

from django import template
from django.db import connection
from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from ..shift_rows import ANY_PK

register = template.Library()


# ``invitations_for(user).count()`` and "in any team" as one plain statement: built by the ORM,
# this query cost more Python than the rest of a small page (about 3,700 calls).
# tests/volunteers/test_team_invitations.py checks it against invitations_for.
STANDING_SQL = (
    "SELECT EXISTS(SELECT 1 FROM volunteers_teammembership WHERE user_id = %s), "
    "(SELECT COUNT(*) FROM volunteers_teaminvitation i WHERE i.status = %s "
    "AND i.email IN (SELECT LOWER(a.email) FROM account_emailaddress a "
    "WHERE a.user_id = %s AND a.verified) "
    "AND NOT EXISTS (SELECT 1 FROM volunteers_teammembership m "
    "WHERE m.user_id = %s AND m.team_id = i.team_id))"
)


def _team_standing(user) -> tuple[bool, int]:
    """(in a team, pending invitations) in one query, cached on the user for the request."""
    from ..models import TeamInvitation

    cached = getattr(user, "_team_standing", None)
    if cached is None:
        with connection.cursor() as cursor:
            cursor.execute(STANDING_SQL, [user.pk, TeamInvitation.Status.PENDING, user.pk,
                                             user.pk])
            in_team, waiting = cursor.fetchone()
        cached = user._team_standing = (bool(in_team), int(waiting or 0))
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


def _member_link(url_name: str, team_pk: int) -> str:
    """The URL of ``url_name`` for this team and any one member, as a ``str.format``
    pattern (HTML-escaped)."""
    return escape(reverse(url_name, args=[team_pk, ANY_PK])).replace(str(ANY_PK), "{}")


@register.simple_tag(takes_context=True)
def team_member_rows(context, team, members, organizer) -> SafeString:
    """The rows of the members table that captains and organizers see: name, contacts
    (emergency contact too), and the buttons they may use (organizers: captain or not, and
    remove anyone; captains: remove members who are not captains)."""
    csrf = CsrfTokenNode().render(context)  # the page's one token, as {% csrf_token %}
    captain_badge = f' <span class="badge">{gettext("Captain")}</span>'
    emergency = gettext("Emergency:")
    unmake, make, remove = gettext("Unmake captain"), gettext("Make captain"), gettext("Remove")
    captain_link = _member_link("team_captain", team.pk)
    remove_link = _member_link("team_member_remove", team.pk)
    out = []
    for membership in members:
        user = membership.user
        name = escape(user.name)
        email = escape(user.email)
        contact = f'<a href="mailto:{email}">{email}</a>'
        if user.phone:
            phone = escape(user.phone)
            contact += f'<br><a href="tel:{phone}">{phone}</a>'
        if user.emergency_contact_name or user.emergency_contact_phone:
            contact += f"<br><small>{emergency} {escape(user.emergency_contact_name)} "
            if user.emergency_contact_phone:
                phone = escape(user.emergency_contact_phone)
                contact += f'<a href="tel:{phone}">{phone}</a>'
            contact += "</small>"
        captain = membership.is_captain
        hidden = f'<span class="visually-hidden">: {name}</span>'
        captain_form = remove_form = ""
        if organizer:
            captain_form = (
                f'<form method="post" action="{captain_link.format(user.pk)}">{csrf}'
                f'<input type="hidden" name="is_captain" value="{0 if captain else 1}">'
                f'<button type="submit" class="secondary">{unmake if captain else make}'
                f"{hidden}</button></form>"
            )
        if organizer or not captain:
            remove_form = (
                f'<form method="post" action="{remove_link.format(user.pk)}">{csrf}'
                f'<button type="submit" class="secondary">{remove}{hidden}</button></form>'
            )
        out.append(
            f'\n<tr>\n  <th scope="row">{name}{captain_badge if captain else ""}</th>\n'
            f"  <td>{contact}</td>\n"
            f'  <td class="actions">\n    {captain_form}\n    {remove_form}\n  </td>\n</tr>\n'
        )
    return mark_safe("".join(out))  # noqa: S308 (values escaped above)
