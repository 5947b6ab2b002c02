"""Organizers write to the volunteers of a shift or a whole event, and see what was written.

A plain form in two steps, without JavaScript: "Preview" shows how many people the message
would reach; "Send to N people" sends it, and only when N is still the number previewed (if
someone signed up meanwhile, the preview is shown again with the new number)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from events.models import Event

from .. import rules as roles
from ..access import role_required
from ..forms_messages import OrganizerMessageForm
from ..models import Message, OrganizerMessage
from ..services.organizer_messages import (
    OrganizerMessageError,
    audience_count,
    organizer_message_check,
    organizer_message_send,
)

SENT_PER_PAGE = 20


def sent_messages(event: Event):
    """The event's organizer messages, newest first, with how many copies were sent, failed,
    were not sent, or are still waiting: one query however many copies there are."""
    def counted(*statuses):
        return Count("deliveries", filter=Q(deliveries__status__in=statuses))

    return (
        OrganizerMessage.objects.filter(event=event)
        .select_related("author", "shift")
        .annotate(
            sent_count=counted(Message.Status.SENT),
            failed_count=counted(Message.Status.FAILED),
            skipped_count=counted(Message.Status.SKIPPED),
            waiting_count=counted(Message.Status.PENDING, Message.Status.IN_FLIGHT),
        )
        .order_by("-sent_at", "-pk")
    )


def _show_error(form, error: OrganizerMessageError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _initial_shift(request, shifts) -> int | None:
    try:
        pk = int(request.GET.get("shift", ""))
    except ValueError:
        return None
    return pk if any(shift.pk == pk for shift in shifts) else None


@role_required(roles.is_organizer)
def event_messages(request, event_pk: int):
    event = get_object_or_404(Event, pk=event_pk)
    shifts = list(event.shifts.filter(is_cancelled=False).select_related("event")
                  .order_by("starts_at", "pk"))
    preview = None
    changed_notice = ""
    if request.method == "POST":
        form = OrganizerMessageForm(request.POST, event=event, shifts=shifts)
        if form.is_valid():
            audience = form.audience()
            count = audience_count(audience)
            previewed = form.cleaned_data["previewed_count"]
            try:
                if request.POST.get("action") == "send" and previewed == count:
                    written = organizer_message_send(audience=audience, by=request.user,
                                                     **form.texts())
                    messages.success(request, ngettext(
                        "Your message is on its way to %(count)s person.",
                        "Your message is on its way to %(count)s people.",
                        written.recipient_count) % {"count": written.recipient_count})
                    return HttpResponseRedirect(reverse("event_messages", args=[event.pk]))
                organizer_message_check(audience=audience, **form.texts())
            except OrganizerMessageError as error:
                _show_error(form, error)
            else:
                if request.POST.get("action") == "send":
                    changed_notice = _("The number of people changed since your preview. "
                                       "Check it and send again.")
                preview = count
                data = request.POST.copy()
                data["previewed_count"] = str(count)
                form = OrganizerMessageForm(data, event=event, shifts=shifts)
                form.is_valid()
    else:
        form = OrganizerMessageForm(
            initial={"shift": _initial_shift(request, shifts)}, event=event, shifts=shifts
        )
    page = Paginator(sent_messages(event), SENT_PER_PAGE).get_page(request.GET.get("page"))
    response = render(request, "volunteers/organizer_messages.html", {
        "event": event, "form": form, "preview": preview, "changed_notice": changed_notice,
        "page": page,
    })
    if form.errors:
        response.status_code = 400
    return response
