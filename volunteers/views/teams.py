"""Teams: organizers manage every team, captains their own, volunteers see theirs.

Joining is by invitation (issue #7): a captain invites an email address and gets the same
answer whether or not it has an account; the invited person accepts or declines on their
Teams page; organizers may also add someone directly."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import page_copies
from .. import rules as roles
from ..access import role_required
from ..forms_shifts import TeamForm, TeamSignupForm
from ..forms_teams import MemberGrantForm, TeamInviteForm
from ..models import Team, TeamInvitation, TeamMembership
from ..selectors import team_held_shifts, team_members, team_signup_shifts, teams_for
from ..services.signups import team_signup_members
from ..services.teams import (
    TeamError,
    invitations_for,
    team_captain_set,
    team_create,
    team_invitation_accept,
    team_invitation_decline,
    team_invitation_withdraw,
    team_invite,
    team_member_add,
    team_member_remove,
    team_open_invitations,
    team_update,
)


def _team_or_403(request, pk: int, perm: str) -> Team:
    team = get_object_or_404(Team, pk=pk)
    if not request.user.has_perm(perm, team):
        raise PermissionDenied
    return team


def _member_or_404(team: Team, user_pk: int) -> TeamMembership:
    """The person's membership of this team; anyone else is not found, and not named."""
    return get_object_or_404(
        TeamMembership.objects.select_related("user"), team=team, user_id=user_pk
    )


@login_required
def team_list(request):
    return render(
        request,
        "volunteers/team_list.html",
        {
            "teams": list(teams_for(user=request.user)),
            "invitations": list(invitations_for(request.user)),
            "captained": roles.captained_team_ids(request.user),
            "organizer": roles.is_organizer(request.user),
        },
    )


@role_required(roles.is_organizer)
def team_new(request):
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = team_create(by=request.user, **form.cleaned_data)
        except TeamError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, _("Team %(name)s is created. Now add its members.") % {
                "name": team.name})
            return HttpResponseRedirect(reverse("team_detail", args=[team.pk]))
    status = 422 if form.errors else 200
    return render(request, "volunteers/team_form.html", {"form": form}, status=status)


@login_required
def team_edit(request, pk: int):
    team = _team_or_403(request, pk, "volunteers.edit_team")
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        try:
            team_update(team=Team.objects.get(pk=team.pk), by=request.user, **form.cleaned_data)
        except TeamError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, _("The team is saved."))
            return HttpResponseRedirect(reverse("team_detail", args=[team.pk]))
    status = 422 if form.errors else 200
    return render(request, "volunteers/team_form.html", {"form": form, "team": team},
                  status=status)


def _detail(request, team: Team, *, invite_form=None, grant_form=None, status: int = 200,
            copy_key: str | None = None):
    """The team's page; with ``copy_key`` (a plain GET of it), its body is kept there for the
    next request (``page_copies``)."""
    manage = request.user.has_perm("volunteers.manage_team", team)
    organizer = roles.is_organizer(request.user)
    members = team_members(team)
    context = {
        "team": team,
        "members": members,
        "captains": [m for m in members if m.is_captain],
        "is_member": any(m.user_id == request.user.pk for m in members),
        "manage": manage,
        "organizer": organizer,
        "held_shifts": team_held_shifts(team),
    }
    if manage:
        context["invitations"] = team_open_invitations(team)
        context["invite_form"] = invite_form or TeamInviteForm()
        if organizer:
            context["grant_form"] = grant_form or MemberGrantForm()
    if copy_key is not None:
        return page_copies.render_and_store(request, copy_key, "volunteers/team_detail.html",
                                            context)
    return render(request, "volunteers/team_detail.html", context, status=status)


@login_required
def team_detail(request, pk: int):
    team = _team_or_403(request, pk, "volunteers.view_team")
    if not page_copies.copyable(request):
        return _detail(request, team)
    manage = request.user.has_perm("volunteers.manage_team", team)
    organizer = roles.is_organizer(request.user)
    key = page_copies.team_key(request, team, manage=manage, organizer=organizer)
    return page_copies.serve(request, key) or _detail(request, team, copy_key=key)


def _neutral_invitation_notice(email: str) -> str:
    return _(
        "If %(email)s belongs to a Rally volunteer, they will find the invitation on their "
        "Teams page when they log in, and join the team once they accept it. Someone without "
        "an account sees it after signing up with this address."
    ) % {"email": email}


@login_required
@require_POST
def team_invite_view(request, pk: int):
    """A captain (or organizer) invites an email address. The answer is the same whether or
    not the address has an account."""
    team = _team_or_403(request, pk, "volunteers.manage_team")
    form = TeamInviteForm(request.POST)
    if form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        try:
            invitation = team_invite(team=team, email=email, by=request.user)
        except TeamError as error:
            form.add_error("email", str(error))
        else:
            if invitation is None:
                messages.info(request, _("%(email)s is already in %(team)s.") % {
                    "email": email, "team": team.name})
            else:
                messages.success(request, _neutral_invitation_notice(email))
            return HttpResponseRedirect(reverse("team_detail", args=[team.pk]))
    return _detail(request, team, invite_form=form, status=422)


@login_required
@require_POST
def team_member_add_view(request, pk: int):
    """Organizers add a person directly (optionally as a captain); for a captain this
    address only sends an invitation, as ``team_invite_view`` does."""
    team = _team_or_403(request, pk, "volunteers.manage_team")
    if not request.user.has_perm("volunteers.grant_membership", team):
        return team_invite_view(request, pk)
    form = MemberGrantForm(request.POST)
    if form.is_valid():
        try:
            membership = team_member_add(
                team=team,
                email=form.cleaned_data["email"],
                is_captain=form.cleaned_data.get("is_captain", False),
                by=request.user,
            )
        except TeamError as error:
            form.add_error("email", str(error))
        else:
            messages.success(request, _("%(name)s is in %(team)s.") % {
                "name": membership.user.name, "team": team.name})
            return HttpResponseRedirect(reverse("team_detail", args=[team.pk]))
    return _detail(request, team, grant_form=form, status=422)


@login_required
@require_POST
def team_invite_withdraw_view(request, pk: int, invitation_pk: int):
    team = _team_or_403(request, pk, "volunteers.manage_team")
    invitation = get_object_or_404(TeamInvitation, team=team, pk=invitation_pk)
    team_invitation_withdraw(invitation=invitation, by=request.user)
    messages.success(request, _("The invitation to %(email)s is withdrawn.") % {
        "email": invitation.email})
    return HttpResponseRedirect(reverse("team_detail", args=[team.pk]))


def _my_invitation_or_404(request, pk: int) -> TeamInvitation:
    """An invitation addressed to one of this person's verified addresses; any other is
    not found (whoever it is for, and whether it exists, is not told)."""
    invitation = invitations_for(request.user).filter(pk=pk).first()
    if invitation is None:
        raise Http404
    return invitation


@login_required
def team_invitation_detail(request, pk: int):
    """What joining means, with Accept and Decline."""
    invitation = _my_invitation_or_404(request, pk)
    return render(request, "volunteers/team_invitation.html", {"invitation": invitation})


@login_required
@require_POST
def team_invitation_accept_view(request, pk: int):
    invitation = _my_invitation_or_404(request, pk)
    try:
        team_invitation_accept(invitation=invitation, by=request.user)
    except TeamInvitation.DoesNotExist as error:
        raise Http404 from error
    messages.success(request, _("Welcome to %(team)s.") % {"team": invitation.team.name})
    return HttpResponseRedirect(reverse("team_detail", args=[invitation.team_id]))


@login_required
@require_POST
def team_invitation_decline_view(request, pk: int):
    invitation = _my_invitation_or_404(request, pk)
    try:
        team_invitation_decline(invitation=invitation, by=request.user)
    except TeamInvitation.DoesNotExist as error:
        raise Http404 from error
    messages.success(request, _("You declined the invitation to %(team)s.") % {
        "team": invitation.team.name})
    return HttpResponseRedirect(reverse("team_list"))


@login_required
@require_POST
def team_member_remove_view(request, pk: int, user_pk: int):
    team = _team_or_403(request, pk, "volunteers.manage_team")
    membership = _member_or_404(team, user_pk)
    person = membership.user
    try:
        team_member_remove(team=team, user=person, by=request.user)
    except TeamError as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(reverse("team_detail", args=[team.pk]))
    messages.success(request, _("%(name)s is no longer in %(team)s.") % {
        "name": person.name, "team": team.name})
    return HttpResponseRedirect(reverse("team_detail", args=[team.pk]))


@login_required
@require_POST
def team_leave(request, pk: int):
    """A member leaves a team (their sign-ups stay, out of its captains' reach)."""
    team = get_object_or_404(Team, pk=pk)
    _member_or_404(team, request.user.pk)
    try:
        team_member_remove(team=team, user=request.user, by=request.user)
    except TeamError as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(reverse("team_detail", args=[team.pk]))
    messages.success(request, _("You left %(team)s.") % {"team": team.name})
    return HttpResponseRedirect(reverse("team_list"))


@role_required(roles.is_organizer)
@require_POST
def team_captain_view(request, pk: int, user_pk: int):
    team = get_object_or_404(Team, pk=pk)
    person = _member_or_404(team, user_pk).user
    make = request.POST.get("is_captain") == "1"
    try:
        team_captain_set(team=team, user=person, is_captain=make, by=request.user)
    except TeamError as error:
        messages.error(request, str(error))
    else:
        text = (_("%(name)s is now a captain of %(team)s.") if make
                else _("%(name)s is no longer a captain of %(team)s."))
        messages.success(request, text % {"name": person.name, "team": team.name})
    return HttpResponseRedirect(reverse("team_detail", args=[team.pk]))


@login_required
def team_signup(request, pk: int):
    """A captain signs several members of their team up for one shift in one step."""
    team = _team_or_403(request, pk, "volunteers.manage_team")
    form = TeamSignupForm(
        request.POST or None,
        team=team,
        shifts=team_signup_shifts(team),
        initial={"shift": request.GET.get("shift")},
    )
    results = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            results = team_signup_members(
                team=team,
                shift=form.cleaned_data["shift"],
                volunteers=list(form.cleaned_data["members"]),
                by=request.user,
            )
            if any(result.error for result in results):
                status = 422 if not any(result.signup for result in results) else 200
        else:
            status = 422
    return render(
        request,
        "volunteers/team_signup.html",
        {"team": team, "form": form, "results": results},
        status=status,
    )
