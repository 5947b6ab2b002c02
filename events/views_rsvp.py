"""Organizer pages for an event's RSVP list: who is coming with their contacts, marking
attended / no-show one tap per person (htmx in place, or a plain form), adding a walk-in,
and the list as CSV. Organizers only: anyone else gets 403, anonymous visitors log in."""

import csv

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from config.input_bounds import BoundedFormMixin
from volunteers.access import role_required
from volunteers.models import User

from . import attendance
from .models import Event, Rsvp
from .rules import can_manage_events
from .services import RSVP_KINDS, EventError

organizer_only = role_required(can_manage_events)


class RsvpAttendanceForm(BoundedFormMixin, forms.Form):
    attendance = forms.ChoiceField(choices=Rsvp.Attendance.choices)


class WalkInForm(BoundedFormMixin, forms.Form):
    user = forms.ModelChoiceField(
        label=gettext_lazy("Person"),
        queryset=User.objects.filter(is_active=True),
        error_messages={"invalid_choice": gettext_lazy("Choose a person from the search.")},
    )


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _list_url(event_pk: int, rsvp_pk: int | None = None) -> str:
    url = reverse("organize_event_rsvps", args=[event_pk])
    return f"{url}#r{rsvp_pk}" if rsvp_pk else url


@organizer_only
def organize_event_rsvps(request, pk: int):
    """The RSVP list with contacts and attendance; ``?q=`` searches registered people to
    add as walk-ins. Three queries whatever the number of RSVPs."""
    event = get_object_or_404(Event.objects.select_related("series"), pk=pk)
    query = request.GET.get("q", "").strip()[:100]
    closed_reason = attendance.marking_refusal(event)
    return render(request, "events/organize/rsvps.html", {
        "event": event,
        "rsvps": attendance.rsvp_list(event=event),
        "takes_rsvp": event.kind in RSVP_KINDS,
        "open": closed_reason is None,
        "closed_reason": closed_reason,
        "query": query,
        "too_short": 0 < len(query) < attendance.SEARCH_MIN_LENGTH,
        "candidates": attendance.walk_in_candidates(event=event, query=query),
    })


@organizer_only
@require_POST
def organize_event_rsvp_attendance(request, pk: int):
    """Mark one RSVP attended, no-show, or not marked (``pk`` is the RSVP's)."""
    rsvp = get_object_or_404(attendance.rsvps_for_row(), pk=pk)
    form = RsvpAttendanceForm(request.POST)
    error = None
    if not form.is_valid():
        error = _("Choose attended or no-show.")
    else:
        try:
            rsvp = attendance.rsvp_mark_attendance(
                rsvp=rsvp, attendance=form.cleaned_data["attendance"], by=request.user
            )
        except EventError as refusal:
            error = refusal.message
    if is_htmx(request):
        rsvp = attendance.rsvps_for_row().get(pk=rsvp.pk)
        return render(
            request,
            "events/organize/partials/_rsvp_row.html",
            {"rsvp": rsvp, "error": error, "open": True},
            status=409 if error else 200,
        )
    if error:
        messages.error(request, error)
    return HttpResponseRedirect(_list_url(rsvp.event_id, rsvp.pk))


@organizer_only
@require_POST
def organize_event_rsvp_walk_in(request, pk: int):
    """Add someone who came without an RSVP, marked attended."""
    event = get_object_or_404(Event, pk=pk)
    form = WalkInForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["user"][0])
        return HttpResponseRedirect(_list_url(event.pk))
    person = form.cleaned_data["user"]
    try:
        rsvp = attendance.rsvp_add_walk_in(event=event, user=person, by=request.user)
    except EventError as refusal:
        messages.error(request, refusal.message)
        return HttpResponseRedirect(_list_url(event.pk))
    messages.success(request, _("%(name)s is marked as attended.") % {"name": person.name})
    return HttpResponseRedirect(_list_url(event.pk, rsvp.pk))


CSV_INJECTION_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(CSV_INJECTION_START) else text


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


@organizer_only
def organize_event_rsvps_csv(request, pk: int):
    """The RSVP list as CSV: one row per person who answered, going first."""
    event = get_object_or_404(Event, pk=pk)
    listing = attendance.rsvp_list(event=event)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rsvps-event-{event.pk}.csv"'
    writer = csv.writer(response)
    writer.writerow(["name", "email", "phone", "status", "attendance", "marked_by", "marked_at",
                     "rsvp_at", "added_by"])
    for rsvp in listing.going + listing.not_going:
        writer.writerow([
            _cell(rsvp.user.name),
            _cell(rsvp.user.email),
            _cell(rsvp.user.phone),
            rsvp.status,
            rsvp.attendance,
            _cell(rsvp.attendance_by.name if rsvp.attendance_by else ""),
            _when(rsvp.attendance_at),
            _when(rsvp.created_at),
            _cell(rsvp.added_by.name if rsvp.added_by else ""),
        ])
    return response
