"""Organizer pages for an event's shifts: the board, a shift's roster, add / move / remove,
the roster CSV, check-in and hours. Captains see the board and check in their own team's
people; contact details are shown to organizers and, for their own people, to captains."""

import csv
from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from events.models import Event, Shift

from .. import rules as roles
from ..access import PUBLIC_MAX_AGE, event_pages_version, public_pages_version, role_required
from ..forms_shifts import AddVolunteerForm, AttendanceForm, HoursForm, MoveForm
from ..models import Signup, SignupChange
from ..selectors import (
    checkin_list,
    roster_for_csv,
    shift_for_partial,
    shift_roster,
    signup_history,
)
from ..services.checkin import (
    CheckinError,
    checkin_opens_at,
    may_check_in,
    signup_correct_hours,
    signup_hours,
    signup_mark_attendance,
    signup_vest,
)
from ..services.signups import (
    SignupError,
    TrainingRequired,
    signup_cancel,
    signup_create,
    signup_move,
)
from ..services.teams import TeamError, find_volunteer
from ..shift_rows import written_board
from .signups import is_htmx, redirect_back

board_viewer = roles.is_organizer | roles.captains_a_team


def _event_for_board(request, pk: int) -> Event:
    event = get_object_or_404(Event, pk=pk)
    if event.status == Event.Status.DRAFT and not roles.is_organizer(request.user):
        raise Http404
    return event


@role_required(board_viewer)
def board(request, event_pk: int):
    """Every shift of the event with filled / needed / most / waiting, unfilled ones marked,
    and the roster the viewer may see. Organizers all see the same board (drafts included):
    it is written once per change to the event (its shifts, sign-ups; an event or a site:
    the public pages' version) and language, and kept with its event for at most
    ``PUBLIC_MAX_AGE`` (a volunteer's new name shows within a minute). A captain's, showing
    only their teams' people, is written for each request."""
    if not roles.is_organizer(request.user):
        event = _event_for_board(request, event_pk)
        written = replace(written_board(request, event=event, viewer=request.user), event=event)
        return render(request, "volunteers/board.html", {"board": written, "organizer": False})
    key = (f"shift-board:{event_pk}:{public_pages_version()}.{event_pages_version(event_pk)}:"
           f"{translation.get_language()}")
    written = cache.get(key)
    if written is None:
        event = _event_for_board(request, event_pk)
        written = replace(written_board(request, event=event, viewer=request.user), event=event)
        cache.set(key, written, PUBLIC_MAX_AGE)
    return render(request, "volunteers/board.html", {"board": written, "organizer": True})


@role_required(board_viewer)
def roster(request, shift_pk: int):
    """One shift's roster with contacts and (for organizers) add, move and remove."""
    shift = get_object_or_404(Shift.objects.select_related("event__contact"), pk=shift_pk)
    if shift.event.status == Event.Status.DRAFT and not roles.is_organizer(request.user):
        raise Http404
    context = _roster_context(request, shift.pk, AddVolunteerForm())
    if is_htmx(request) or request.GET.get("partial"):
        return render(request, "volunteers/partials/_roster.html", context)
    return render(request, "volunteers/roster.html", context)


def _roster_context(request, shift_pk: int, add_form, **extra) -> dict:
    shift = shift_for_partial(shift_pk)
    row = shift_roster(shift=shift, viewer=request.user)
    organizer = roles.is_organizer(request.user)
    if organizer:
        # Sign-ups an organizer added without the required training (one query).
        waived = set(
            SignupChange.objects.filter(
                signup__shift=shift,
                action=SignupChange.Action.TRAINING_WAIVED,
            ).values_list("signup_id", flat=True)
        )
        for signup in row.confirmed + row.waiting:
            signup.training_waived = signup.pk in waived
    return {"row": row, "organizer": organizer, "add_form": add_form, **extra}


CSV_INJECTION_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(CSV_INJECTION_START) else text


@role_required(roles.is_organizer)
def roster_csv(request, event_pk: int):
    """The event's roster as CSV (organizers): one row per confirmed or waiting volunteer."""
    event = get_object_or_404(Event, pk=event_pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="roster-event-{event.pk}.csv"'
    writer = csv.writer(response)
    writer.writerow(["shift", "start", "end", "role", "volunteer", "email", "phone", "team",
                     "status", "attendance", "hours"])
    for signup in roster_for_csv(event=event):
        shift = signup.shift
        writer.writerow([
            _cell(shift.label),
            timezone.localtime(shift.starts_at).strftime("%Y-%m-%d %H:%M"),
            timezone.localtime(shift.ends_at).strftime("%Y-%m-%d %H:%M"),
            shift.role,
            _cell(signup.volunteer.name),
            _cell(signup.volunteer.email),
            _cell(signup.volunteer.phone),
            _cell(signup.team.name if signup.team else ""),
            signup.status,
            signup.attendance,
            signup_hours(signup),
        ])
    return response


@role_required(roles.is_organizer)
@require_POST
def roster_add(request, shift_pk: int):
    """An organizer adds a volunteer (by email) to a shift, or to its waitlist when full.

    When the refusal is the shift's required training, the roster comes back with
    the refusal and an "add anyway" box with a required reason (organizers only; an age
    limit is never waived)."""
    shift = get_object_or_404(Shift, pk=shift_pk)
    form = AddVolunteerForm(request.POST)
    fallback = reverse("shift_roster", args=[shift.pk])
    if not form.is_valid():
        if "email" in form.errors:
            messages.error(request, _("Enter the volunteer's email address."))
            return redirect_back(request, fallback)
        context = _roster_context(request, shift.pk, form, offer_override=True)
        return render(request, "volunteers/roster.html", context, status=422)
    override = form.cleaned_data["reason"] if form.cleaned_data["add_anyway"] else None
    try:
        person = find_volunteer(form.cleaned_data["email"])
        signup = signup_create(shift=shift, volunteer=person, by=request.user,
                               override_reason=override)
    except TrainingRequired as error:
        context = _roster_context(request, shift.pk, form, offer_override=True,
                                  add_error=str(error))
        return render(request, "volunteers/roster.html", context, status=409)
    except (SignupError, TeamError) as error:
        messages.error(request, str(error))
        return redirect_back(request, fallback)
    if signup.status == Signup.Status.CONFIRMED:
        text = _("%(name)s is on %(shift)s.")
    else:
        text = _("%(shift)s is full: %(name)s is on its waitlist.")
    messages.success(request, text % {"name": person.name, "shift": shift.label})
    return redirect_back(request, fallback)


def _organizer_signup(request, pk: int) -> Signup:
    return get_object_or_404(
        Signup.objects.select_related("shift__event", "volunteer", "team"), pk=pk
    )


@role_required(roles.is_organizer)
def signup_manage(request, pk: int):
    """One sign-up for organizers: its history, and move, remove or correct hours."""
    signup = _organizer_signup(request, pk)
    move_form = MoveForm(shifts=_move_targets(signup))
    return render(request, "volunteers/signup_manage.html", _manage_context(signup, move_form))


def _move_targets(signup: Signup):
    return (
        Shift.objects.filter(event_id=signup.shift.event_id, is_cancelled=False)
        .exclude(pk=signup.shift_id)
        .select_related("event")
        .order_by("starts_at", "role", "pk")
    )


def _manage_context(signup: Signup, move_form) -> dict:
    signup.hours = signup_hours(signup)
    return {
        "signup": signup,
        "history": signup_history(signup),
        "move_form": move_form,
        "hours_form": HoursForm(initial={"hours": signup.hours_override}),
    }


@role_required(roles.is_organizer)
@require_POST
def signup_move_view(request, pk: int):
    signup = _organizer_signup(request, pk)
    form = MoveForm(request.POST, shifts=_move_targets(signup))
    if form.is_valid():
        try:
            moved = signup_move(signup=signup, to_shift=form.cleaned_data["to_shift"],
                                by=request.user)
        except SignupError as error:
            form.add_error("to_shift", str(error))
        else:
            messages.success(request, _("%(name)s is moved to %(shift)s.") % {
                "name": moved.volunteer.name, "shift": moved.shift.label})
            return HttpResponseRedirect(reverse("event_board", args=[moved.shift.event_id])
                                        + f"#s{moved.shift_id}")
    return render(request, "volunteers/signup_manage.html", _manage_context(signup, form),
                  status=422)


@role_required(roles.is_organizer)
@require_POST
def signup_remove(request, pk: int):
    """An organizer removes a volunteer from a shift at any time (recorded as REMOVED)."""
    signup = _organizer_signup(request, pk)
    try:
        signup_cancel(signup=signup, by=request.user)
    except SignupError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(name)s is removed from %(shift)s.") % {
            "name": signup.volunteer.name, "shift": signup.shift.label})
    return redirect_back(request, reverse("event_board", args=[signup.shift.event_id]))


@login_required
def checkin(request, shift_pk: int):
    """The phone-friendly check-in list for a shift."""
    shift = get_object_or_404(Shift.objects.select_related("event"), pk=shift_pk)
    if not roles.can_check_in_shift(request.user, shift):
        raise PermissionDenied
    return render(
        request,
        "volunteers/checkin.html",
        {
            "shift": shift,
            "signups": checkin_list(shift=shift, viewer=request.user),
            "organizer": roles.is_organizer(request.user),
            "open": timezone.now() >= checkin_opens_at(shift),
        },
    )


@login_required
@require_POST
def signup_attendance(request, pk: int):
    """Mark one volunteer present, no-show, or not checked in."""
    signup = get_object_or_404(Signup.objects.select_related("shift__event", "volunteer"), pk=pk)
    if not may_check_in(request.user, signup):
        raise PermissionDenied
    form = AttendanceForm(request.POST)
    error = None
    if not form.is_valid():
        error = _("Choose present or no-show.")
    else:
        try:
            signup = signup_mark_attendance(
                signup=signup, attendance=form.cleaned_data["attendance"], by=request.user
            )
        except CheckinError as problem:
            error = str(problem)
    if is_htmx(request):
        signup.hours = signup_hours(signup)
        return render(
            request,
            "volunteers/partials/_checkin_row.html",
            {"signup": signup, "error": error, "open": True,
             "organizer": roles.is_organizer(request.user)},
        )
    if error:
        messages.error(request, error)
    return HttpResponseRedirect(reverse("shift_checkin", args=[signup.shift_id])
                                + f"#c{signup.pk}")


@login_required
@require_POST
def signup_vest_view(request, pk: int):
    """Record that a volunteer on a street shift got a safety vest (vest=1) or gave it back
    (vest=0), on the check-in row."""
    signup = get_object_or_404(Signup.objects.select_related("shift__event", "volunteer"), pk=pk)
    if not may_check_in(request.user, signup):
        raise PermissionDenied
    error = None
    status = 200
    given = request.POST.get("vest")
    if given not in ("0", "1"):
        error, status = _("Choose whether the vest was given."), 422
    else:
        try:
            signup = signup_vest(signup=signup, given=given == "1", by=request.user)
        except CheckinError as problem:
            error, status = str(problem), 409
    if is_htmx(request):
        signup.hours = signup_hours(signup)
        return render(
            request,
            "volunteers/partials/_checkin_row.html",
            {"signup": signup, "error": error,
             "open": timezone.now() >= checkin_opens_at(signup.shift),
             "organizer": roles.is_organizer(request.user)},
            status=status,
        )
    if error:
        messages.error(request, error)
    return HttpResponseRedirect(reverse("shift_checkin", args=[signup.shift_id])
                                + f"#c{signup.pk}")


@role_required(roles.is_organizer)
@require_POST
def signup_hours_view(request, pk: int):
    """An organizer corrects the hours a sign-up counts for."""
    signup = _organizer_signup(request, pk)
    form = HoursForm(request.POST)
    if form.is_valid():
        try:
            signup_correct_hours(signup=signup, hours=form.cleaned_data["hours"],
                                 by=request.user)
        except CheckinError as error:
            form.add_error("hours", str(error))
        else:
            messages.success(request, _("The hours are saved."))
            return redirect_back(request, reverse("signup_manage", args=[signup.pk]))
    context = _manage_context(signup, MoveForm(shifts=_move_targets(signup)))
    context["hours_form"] = form
    return render(request, "volunteers/signup_manage.html", context, status=422)
