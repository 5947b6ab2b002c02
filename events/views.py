"""Event pages: the public list and detail with RSVPs, and the organizer pages for events,
shifts and recurring series. Views parse, call a service, and show its EventError."""

import copy
import datetime
from dataclasses import dataclass, replace

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from volunteers import page_copies
from volunteers.access import (
    PUBLIC_MAX_AGE,
    event_pages_version,
    public_cache,
    public_pages_version,
    role_required,
)
from volunteers.models import Signup, User
from volunteers.shift_rows import shared_shift_days, viewer_shift_days

from . import form_tokens, selectors, services
from .forms import DuplicateForm, EventForm, SeriesForm, ShiftForm
from .models import Event, EventKind, EventSeries, Rsvp, Shift
from .rules import can_manage_events, can_see_event
from .services import EventError

EVENTS_PER_PAGE = 30
ORGANIZER_EVENTS_PER_PAGE = 50


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def show_error(form, error: EventError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's refusal next to the field it is about (or above the form)."""
    field = (aliases or {}).get(error.field, error.field)
    form.add_error(field if field in form.fields else None, error.message)


def already_saved(request, url: str) -> HttpResponseRedirect:
    """The same create form sent again (events/form_tokens.py): nothing new is saved."""
    messages.info(request, _("This form was already saved; here is what it created."))
    return HttpResponseRedirect(url)


def safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()},
                                                   request.is_secure()):
        return target
    return fallback


# --- Public pages -------------------------------------------------------------------------


@public_cache
def event_list(request):
    kind = request.GET.get("kind", "")
    if kind not in EventKind.values:
        kind = ""
    events = selectors.upcoming_events(user=request.user, kind=kind or None)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "events/event_list.html", {
        "page": page, "kind": kind, "kinds": EventKind.choices,
    })


def detail_context(request, shared: "SharedDetail") -> dict:
    event = shared.event
    days, needs = viewer_shift_days(request, event, shared.days, shared.needs)
    return {
        "event": event,
        "shared": shared,
        "days": days,
        "needs": needs,
        "is_organizer": can_manage_events(request.user),
        **rsvp_context(request, event),
    }


def rsvp_context(request, event: Event, *, error: str | None = None,
                 notice: str | None = None) -> dict:
    """What the RSVP box shows; ``event`` carries ``going_count``."""
    capacity = event.rsvp_capacity
    takes_rsvp = event.kind in services.RSVP_KINDS
    return {
        "takes_rsvp": takes_rsvp,
        "rsvp": selectors.my_rsvp(user=request.user, event=event) if takes_rsvp else None,
        "rsvp_closed": services.rsvp_refusal(event),
        "rsvp_full": capacity is not None and event.going_count >= capacity,
        "rsvp_error": error,
        "rsvp_notice": notice,
    }


def visible_event_or_404(request, pk: int) -> Event:
    events = selectors.with_rsvp_count(selectors.visible_events(user=request.user))
    return get_object_or_404(events.select_related("contact", "series"), pk=pk)


@dataclass
class SharedDetail:
    """What the event page shows every visitor who may see it: the event (with its
    RSVP count; its contact as name, e-mail and phone only), the top of the page written
    out, and the shared part of the shift list (``volunteers.shift_rows``). Kept in the cache
    per change to the event (``event_pages_version``; an event or a site elsewhere:
    ``public_pages_version``) and language for at most ``PUBLIC_MAX_AGE`` (a contact's or a
    team's new name shows within a minute, as on the cached public pages). Nothing in it
    depends on the time or on the visitor: each request adds those (``detail_context``).
    With the cache down, it is built for each request."""

    event: Event
    head: SafeString
    days: list[tuple]
    needs: selectors.Requirements


def shared_detail(request, pk: int) -> SharedDetail:
    """The shared part of event ``pk``'s page, if the visitor may see the event (else 404):
    from the cache, or built (three queries: the event, its shifts, its trainings)."""
    key = (f"event-page:{pk}:{public_pages_version()}.{event_pages_version(pk)}:"
           f"{translation.get_language()}")
    shared = cache.get(key)
    if shared is None:
        event = get_object_or_404(
            selectors.with_rsvp_count(Event.objects.select_related("contact")), pk=pk)
        days, needs = shared_shift_days(request, event)
        head = render_to_string("events/partials/_event_head.html", {"event": event})
        shared = SharedDetail(event=event, head=mark_safe(head),  # noqa: S308 (rendered)
                              days=days, needs=needs)
        cache.set(key, replace(shared, event=for_the_cache(event)), PUBLIC_MAX_AGE)
    if not can_see_event(request.user, shared.event):
        raise Http404
    return shared


def for_the_cache(event: Event) -> Event:
    """A copy of ``event`` to keep in the cache: its contact's name, e-mail and phone only
    (any other field of the contact is read from the database if ever asked for)."""
    kept = copy.copy(event)
    contact = event.contact
    if contact is not None:
        fields = ["id", "display_name", "email", "phone"]
        kept.contact = User.from_db(None, fields, [getattr(contact, name) for name in fields])
    return kept


@public_cache
def event_detail(request, pk: int):
    """The event page: for anonymous visitors a cached copy (``public_cache``); for a
    logged-in person their own copy while nothing it shows changed (``page_copies``), else
    the shared part (``shared_detail``) with their own marks added."""
    key = page_copies.event_page_key(request, pk) if page_copies.copyable(request) else None
    response = page_copies.serve(request, key)
    if response is not None:
        return response
    shared = shared_detail(request, pk)
    context = detail_context(request, shared)
    if key is None:
        return render(request, "events/event_detail.html", context)
    return page_copies.render_and_store(
        request, key, "events/event_detail.html", context,
        valid_until=page_copies.event_page_valid_until(shared, timezone.now()))


@require_POST
def event_rsvp(request, pk: int):
    """RSVP (``action=going``) or withdraw it (``action=cancel``): a plain form post, or htmx
    swapping the RSVP box in place."""
    detail_url = reverse("event_detail", args=[pk])
    if not request.user.is_authenticated:
        return redirect_to_login(detail_url)
    event = visible_event_or_404(request, pk)
    error = None
    try:
        if request.POST.get("action") == "cancel":
            services.rsvp_cancel(event=event, user=request.user)
            notice = _("Your RSVP is withdrawn.")
        else:
            services.rsvp_create(event=event, user=request.user)
            notice = _("You are going. See you there!")
    except EventError as refusal:
        error = refusal.message
    status = 409 if error else 200
    if is_htmx(request):
        event = visible_event_or_404(request, pk)
        context = {"event": event, **rsvp_context(
            request, event, error=error, notice=None if error else notice)}
        response = render(request, "events/partials/_rsvp.html", context, status=status)
    elif error:
        messages.error(request, error)
        response = render(request, "events/event_detail.html",
                          detail_context(request, shared_detail(request, pk)), status=status)
    else:
        messages.success(request, notice)
        response = HttpResponseRedirect(detail_url)
    add_never_cache_headers(response)
    return response


# --- Organizer pages ----------------------------------------------------------------------

organizer_only = role_required(can_manage_events)


@organizer_only
def organize_event_list(request):
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    when = request.GET.get("when", "upcoming")
    events = selectors.organizer_events(status=status, kind=kind, when=when)
    page = Paginator(events, ORGANIZER_EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "events/organize/event_list.html", {
        "page": page, "status": status, "kind": kind, "when": when,
        "statuses": Event.Status.choices, "kinds": EventKind.choices,
    })


@organizer_only
def organize_event_create(request):
    form = EventForm(request.POST or None, initial={"contact": request.user.pk})
    form_tokens.add_token_field(form)
    if request.method == "POST" and form.is_valid():
        def create() -> str:
            event = services.event_create(by=request.user, **form.service_fields())
            return reverse("organize_event_edit", args=[event.pk])
        try:
            url, created = form_tokens.save_once(user=request.user, form=form, create=create)
        except EventError as error:
            show_error(form, error, {"reminder_offsets": "reminder_hours"})
        else:
            if not created:
                return already_saved(request, url)
            messages.success(request, _("The draft is saved. Add shifts, then publish it."))
            return HttpResponseRedirect(url)
    return render(request, "events/organize/event_form.html", {"form": form, "event": None})


@organizer_only
def organize_event_edit(request, pk: int):
    """Edit an event, or one occurrence of a series (the others are not touched)."""
    event = get_object_or_404(Event.objects.select_related("series"), pk=pk)
    form = EventForm(request.POST or None, instance=event, with_move_shifts=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.event_update(event=event, by=request.user,
                                  move_shifts=form.cleaned_data["move_shifts"],
                                  **form.service_fields())
        except EventError as error:
            show_error(form, error, {"reminder_offsets": "reminder_hours"})
        else:
            messages.success(request, _("The event is saved."))
            return HttpResponseRedirect(reverse("organize_event_edit", args=[pk]))
    event.refresh_from_db()
    return render(request, "events/organize/event_form.html", {"form": form, "event": event})


@organizer_only
@require_POST
def organize_event_publish(request, pk: int):
    event = get_object_or_404(Event, pk=pk)
    try:
        services.event_publish(event=event, by=request.user)
    except EventError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("“%(title)s” is published.") % {"title": event.title})
    return HttpResponseRedirect(safe_next(request, reverse("organize_event_edit", args=[pk])))


@organizer_only
def organize_event_cancel(request, pk: int):
    """A confirmation page first; the POST cancels (sign-ups are kept, marked cancelled)."""
    event = get_object_or_404(Event.objects.select_related("series"), pk=pk)
    if request.method == "POST":
        services.event_cancel(event=event, by=request.user)
        messages.success(request, _("“%(title)s” is cancelled. Volunteers on its shifts will "
                                    "be told.") % {"title": event.title})
        return HttpResponseRedirect(safe_next(request, reverse("organize_event_list")))
    signups = Signup.objects.filter(shift__event=event, status__in=services.ACTIVE_SIGNUP)
    return render(request, "events/organize/event_cancel.html", {
        "event": event,
        "shift_count": event.shifts.filter(is_cancelled=False).count(),
        "signup_count": signups.count(),
        "rsvp_count": event.rsvps.filter(status=Rsvp.Status.GOING).count(),
    })


@organizer_only
def organize_event_duplicate(request, pk: int):
    event = get_object_or_404(Event, pk=pk)
    first_day = timezone.localtime(event.starts_at).date()
    # 52 weeks later: the same weekday next year, as bucket drives are planned.
    form = DuplicateForm(request.POST or None,
                         initial={"starts_on": first_day + datetime.timedelta(weeks=52)})
    form_tokens.add_token_field(form)
    if request.method == "POST" and form.is_valid():
        copies = []

        def create() -> str:
            copies.append(services.event_duplicate(
                event=event, starts_on=form.cleaned_data["starts_on"], by=request.user))
            return reverse("organize_event_edit", args=[copies[0].pk])
        try:
            url, created = form_tokens.save_once(user=request.user, form=form, create=create)
        except EventError as error:
            form.add_error("starts_on", error.message)
        else:
            if not created:
                return already_saved(request, url)
            messages.success(request, _("A draft copy with %(count)s shifts is ready to edit.")
                             % {"count": copies[0].shifts.count()})
            return HttpResponseRedirect(url)
    return render(request, "events/organize/event_duplicate.html",
                  {"event": event, "form": form})


def shift_initial(event: Event) -> dict:
    return {"starts_at": event.starts_at,
            "ends_at": min(event.ends_at, event.starts_at + datetime.timedelta(hours=3))}


@organizer_only
def organize_event_shifts(request, pk: int):
    """The event's shifts with their fill, and a form to add one."""
    event = get_object_or_404(Event, pk=pk)
    form = ShiftForm(request.POST or None, initial=shift_initial(event))
    form_tokens.add_token_field(form)
    if request.method == "POST" and form.is_valid():
        shifts_made = []

        def create() -> str:
            shifts_made.append(services.shift_create(event=event, by=request.user,
                                                     **form.service_fields()))
            return reverse("organize_event_shifts", args=[pk])
        try:
            url, created = form_tokens.save_once(user=request.user, form=form, create=create)
        except EventError as error:
            show_error(form, error)
        else:
            if not created:
                return already_saved(request, url)
            messages.success(request, _("Shift added: %(shift)s.") % {
                "shift": shifts_made[0].label})
            return HttpResponseRedirect(url)
    shifts = selectors.shifts_with_fill(
        event.shifts.select_related("required_training")
    ).order_by("starts_at", "role", "pk")
    return render(request, "events/organize/shifts.html",
                  {"event": event, "shifts": shifts, "form": form})


@organizer_only
def organize_shift_edit(request, pk: int):
    shift = get_object_or_404(Shift.objects.select_related("event"), pk=pk)
    form = ShiftForm(request.POST or None, instance=shift)
    if request.method == "POST" and form.is_valid():
        try:
            services.shift_update(shift=shift, by=request.user, **form.service_fields())
        except EventError as error:
            show_error(form, error)
        else:
            messages.success(request, _("The shift is saved."))
            return HttpResponseRedirect(reverse("organize_event_shifts", args=[shift.event_id]))
    shift.refresh_from_db()
    return render(request, "events/organize/shift_form.html",
                  {"shift": shift, "event": shift.event, "form": form})


@organizer_only
def organize_shift_cancel(request, pk: int):
    shift = get_object_or_404(Shift.objects.select_related("event"), pk=pk)
    if request.method == "POST":
        services.shift_cancel(shift=shift, by=request.user)
        messages.success(request, _("The shift is cancelled. Its volunteers will be told."))
        return HttpResponseRedirect(reverse("organize_event_shifts", args=[shift.event_id]))
    signup_count = shift.signups.filter(status__in=services.ACTIVE_SIGNUP).count()
    return render(request, "events/organize/shift_cancel.html",
                  {"shift": shift, "event": shift.event, "signup_count": signup_count})


@organizer_only
def organize_series_create(request):
    form = SeriesForm(request.POST or None)
    form_tokens.add_token_field(form)
    if request.method == "POST" and form.is_valid():
        made = []

        def create() -> str:
            made.append(services.series_create(by=request.user, **form.service_fields()))
            return reverse("organize_series_detail", args=[made[0].pk])
        try:
            url, created = form_tokens.save_once(user=request.user, form=form, create=create)
        except EventError as error:
            aliases = {} if form.cleaned_data["rrule"] else {"rrule": "weekdays"}
            show_error(form, error, aliases)
        else:
            if not created:
                return already_saved(request, url)
            messages.success(request, _("%(count)s events are planned.") % {
                "count": made[0].occurrences.count()})
            return HttpResponseRedirect(url)
    groups = [
        (_("The event"), ["kind", "title", "description", "venue_name", "address",
                          "visibility", "publish"]),
        (_("Date and time"), ["first_date", "start_time", "end_time"]),
        (_("How it repeats"), ["frequency", "interval", "by_month", "ordinal", "weekdays",
                               "count", "until", "rrule"]),
    ]
    return render(request, "events/organize/series_form.html", {
        "form": form,
        "groups": [(legend, [form[name] for name in names]) for legend, names in groups],
    })


@organizer_only
def organize_series_detail(request, pk: int):
    """The occurrences of a series; each one is edited or cancelled on its own."""
    series = get_object_or_404(EventSeries, pk=pk)
    if request.method == "POST":
        count = services.series_publish(series=series, by=request.user)
        messages.success(request, _("%(count)s events are published.") % {"count": count})
        return HttpResponseRedirect(reverse("organize_series_detail", args=[pk]))
    occurrences = list(selectors.series_occurrences(series))
    return render(request, "events/organize/series_detail.html", {
        "series": series, "occurrences": occurrences,
        "has_drafts": any(o.status == Event.Status.DRAFT for o in occurrences),
    })
