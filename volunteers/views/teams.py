"""Teams: organizers manage every team, captains their own, volunteers see theirs."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import rules as roles
from ..access import role_required
from ..forms_shifts import CaptainMemberAddForm, MemberAddForm, TeamForm, TeamSignupForm
from ..models import Team, User
from ..selectors import team_members, team_upcoming_shifts, teams_for
from ..services.signups import team_signup_members
from ..services.teams import (
    TeamError,
    team_captain_set,
    team_create,
    team_member_add,
    team_member_remove,
    team_update,
)


def _team_or_403(request, pk: int, perm: str) -> Team:
    team = get_object_or_404(Team, pk=pk)
    if not request.user.has_perm(perm, team):
        raise PermissionDenied
    return team


@login_required
def team_list(request):
    return render(
        request,
        "volunteers/team_list.html",
        {
            "teams": list(teams_for(user=request.user)),
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


def _detail(request, team: Team, *, add_form=None, status: int = 200):
    manage = request.user.has_perm("volunteers.manage_team", team)
    organizer = roles.is_organizer(request.user)
    members = team_members(team)
    if add_form is None and manage:
        add_form = (CaptainMemberAddForm if organizer else MemberAddForm)()
    return render(
        request,
        "volunteers/team_detail.html",
        {
            "team": team,
            "members": members,
            "captains": [m for m in members if m.is_captain],
            "manage": manage,
            "organizer": organizer,
            "add_form": add_form,
        },
        status=status,
    )


@login_required
def team_detail(request, pk: int):
    team = _team_or_403(request, pk, "volunteers.view_team")
    return _detail(request, team)


@login_required
@require_POST
def team_member_add_view(request, pk: int):
    team = _team_or_403(request, pk, "volunteers.manage_team")
    organizer = roles.is_organizer(request.user)
    form = (CaptainMemberAddForm if organizer else MemberAddForm)(request.POST)
    if form.is_valid():
        try:
            membership = team_member_add(
                team=team,
                email=form.cleaned_data["email"],
                is_captain=organizer and form.cleaned_data.get("is_captain", False),
                by=request.user,
            )
        except TeamError as error:
            form.add_error("email", str(error))
        else:
            messages.success(request, _("%(name)s is in %(team)s.") % {
                "name": membership.user.name, "team": team.name})
            return HttpResponseRedirect(reverse("team_detail", args=[team.pk]))
    return _detail(request, team, add_form=form, status=422)


@login_required
@require_POST
def team_member_remove_view(request, pk: int, user_pk: int):
    team = _team_or_403(request, pk, "volunteers.manage_team")
    person = get_object_or_404(User, pk=user_pk)
    try:
        team_member_remove(team=team, user=person, by=request.user)
    except TeamError as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(reverse("team_detail", args=[team.pk]))
    messages.success(request, _("%(name)s is no longer in %(team)s.") % {
        "name": person.name, "team": team.name})
    return HttpResponseRedirect(reverse("team_detail", args=[team.pk]))


@role_required(roles.is_organizer)
@require_POST
def team_captain_view(request, pk: int, user_pk: int):
    team = get_object_or_404(Team, pk=pk)
    person = get_object_or_404(User, pk=user_pk)
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
        shifts=team_upcoming_shifts(),
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
