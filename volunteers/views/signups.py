"""A volunteer's own sign-ups and RSVPs: join a shift (or its waitlist), confirm being 18
or older next to an adults-only shift, cancel (after an "are you sure?" step), My shifts.

htmx requests get the re-rendered partial (with the outcome inside it); plain form posts
are redirected back to the page they came from with a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from donations.badges import with_handoff_codes
from events.models import Rsvp, Shift
from events.services import EventError, rsvp_cancel

from .. import page_copies
from ..models import Signup
from ..rules import is_organizer
from ..selectors import (
    ACTIVE,
    shift_for_partial,
    shift_for_signup,
    signups_by_shift,
    with_crew,
    with_waitlist_position,
)
from ..selectors import my_shifts as my_shifts_for
from ..services.profile import user_confirm_adult
from ..services.signups import (
    SignupError,
    cancel_refusal,
    may_cancel,
    signup_cancel,
    signup_create,
)
from .notifications import feed_urls


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_url(request, candidate: str | None) -> str | None:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, {request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


def redirect_back(request, fallback: str) -> HttpResponseRedirect:
    """Back to the page the form was on (``next`` or the Referer, same site only)."""
    for candidate in (request.POST.get("next"), request.headers.get("Referer")):
        if safe_url(request, candidate):
            return HttpResponseRedirect(candidate)
    return HttpResponseRedirect(fallback)


def _shift_partial(request, shift_pk: int, *, notice: str, level: str):
    shift = shift_for_partial(shift_pk)
    my_signup = signups_by_shift(user=request.user, shifts=[shift]).get(shift.pk)
    return render(
        request,
        "volunteers/partials/_shift_signup.html",
        {"shift": shift, "my_signup": my_signup, "notice": notice, "notice_level": level},
    )


def _my_shift_row(request, signup: Signup, *, notice: str, level: str):
    signup = (
        with_waitlist_position(Signup.objects.filter(pk=signup.pk))
        .select_related("shift__event__contact", "team")
        .get()
    )
    with_handoff_codes([signup], user=request.user)
    return render(
        request,
        "volunteers/partials/_my_shift.html",
        {"signup": signup, "notice": notice, "notice_level": level},
    )


def _respond(request, *, shift_pk: int, signup: Signup | None, notice: str, level: str):
    if is_htmx(request):
        if signup is not None and request.headers.get("HX-Target", "").startswith("mine-"):
            return _my_shift_row(request, signup, notice=notice, level=level)
        return _shift_partial(request, shift_pk, notice=notice, level=level)
    (messages.success if level == "success" else messages.error)(request, notice)
    return redirect_back(request, reverse("my_shifts"))


def signed_up_notice(signup: Signup) -> str:
    values = {"shift": signup.shift.label, "event": signup.shift.event.localized.title}
    if signup.status == Signup.Status.CONFIRMED:
        return _("You are signed up: %(shift)s, %(event)s. A confirmation is on its way.") % values
    return _(
        "The shift is full, so you are on its waitlist: %(shift)s, %(event)s. If a place "
        "opens, you get it automatically and we email you."
    ) % values


@login_required
@require_POST
def shift_signup(request, pk: int):
    """Sign the logged-in volunteer up for a shift, or onto its waitlist when it is full (the
    confirmed count read here lets a waitlist join take the lighter lock: see signup_create)."""
    shift = shift_for_signup(pk)
    if shift is None:
        raise Http404
    try:
        signup = signup_create(shift=shift, volunteer=request.user, by=request.user)
    except SignupError as error:
        return _respond(request, shift_pk=shift.pk, signup=None, notice=str(error), level="error")
    return _respond(
        request, shift_pk=shift.pk, signup=signup, notice=signed_up_notice(signup),
        level="success",
    )


@login_required
@require_POST
def confirm_adult(request):
    """The volunteer confirms being 18 or older next to an adults-only shift; back to the
    same shift: its box (htmx) or the page it was on (plain post)."""
    user_confirm_adult(user=request.user)
    notice = _("Thank you. Your profile now says you are 18 or older.")
    shift_pk = request.POST.get("shift", "")
    if is_htmx(request) and shift_pk.isdigit() and Shift.objects.filter(pk=shift_pk).exists():
        return _shift_partial(request, int(shift_pk), notice=notice, level="success")
    messages.success(request, notice)
    return redirect_back(request, reverse("my_shifts"))


def _cancellable(request, pk: int) -> Signup:
    """The sign-up, if the requester may cancel it (their own, a member of a team they
    captain, or anyone's for an organizer); anyone else learns nothing, not even that it
    exists: 404, cancelled or not."""
    signup = Signup.objects.select_related("shift__event", "volunteer").filter(pk=pk).first()
    if signup is None or not may_cancel(request.user, signup):
        raise Http404
    return signup


def _cancel_next(request, signup: Signup) -> str:
    return (safe_url(request, request.GET.get("next"))
            or safe_url(request, request.headers.get("Referer"))
            or f'{reverse("event_detail", args=[signup.shift.event_id])}#shift-{signup.shift_id}')


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def my_signup_cancel(request, pk: int):
    """GET: "are you sure?", saying what happens (a page, or in place of the sign-up box or
    My shifts card with htmx; ``keep=1`` gives the box or card back). POST: cancel the
    sign-up: the volunteer's own (until the cut-off), a team member's by their captain, or
    anyone's by an organizer (the service checks the cut-off)."""
    signup = _cancellable(request, pk)
    if request.method != "POST":
        return _cancel_confirmation(request, signup)
    try:
        signup = signup_cancel(signup=signup, by=request.user)
    except SignupError as error:
        return _respond(
            request, shift_pk=signup.shift_id, signup=signup, notice=str(error), level="error"
        )
    if signup.volunteer_id == request.user.pk:
        notice = _("Your place on %(shift)s is cancelled.") % {"shift": signup.shift.label}
    else:
        notice = _("%(name)s is no longer on %(shift)s.") % {
            "name": signup.volunteer.name, "shift": signup.shift.label}
    return _respond(request, shift_pk=signup.shift_id, signup=signup, notice=notice,
                    level="success")


def _cancel_confirmation(request, signup: Signup):
    target = request.headers.get("HX-Target", "") if is_htmx(request) else ""
    if target and request.GET.get("keep"):
        if target.startswith("mine-"):
            return _my_shift_row(request, signup, notice="", level="")
        return _shift_partial(request, signup.shift_id, notice="", level="")
    organizer_or_captain = signup.volunteer_id != request.user.pk
    refusal = None
    if signup.status in ACTIVE and not is_organizer(request.user):
        refusal = cancel_refusal(signup)
    waiting = Signup.objects.filter(
        shift_id=signup.shift_id, status=Signup.Status.WAITLISTED).exists()
    context = {
        "signup": signup,
        "shift": signup.shift,
        "refusal": refusal,
        "someone_waiting": waiting,
        "for_someone_else": organizer_or_captain,
        "next": _cancel_next(request, signup),
        "root": ("card" if target.startswith("mine-") else "box") if target else "page",
    }
    if target:
        return render(request, "volunteers/partials/_cancel_confirm.html", context)
    return render(request, "volunteers/signup_cancel_confirm.html", context)


@login_required
def my_shifts(request):
    """The volunteer's upcoming and past shifts and RSVPs, with hours, calendar links and
    cancel buttons, and the address of their personal calendar feed."""
    key = page_copies.my_shifts_key(request) if page_copies.copyable(request) else None
    response = page_copies.serve(request, key)
    if response is not None:
        return response
    now = timezone.now()
    mine = my_shifts_for(user=request.user, now=now)
    with_handoff_codes(mine.upcoming, user=request.user)  # the drive day's code (no query)
    return page_copies.render_and_store(request, key, "volunteers/my_shifts.html", {
        "mine": mine,
        **feed_urls(request, request.user),
    }, valid_until=page_copies.my_shifts_valid_until(mine, now))


@login_required
@require_http_methods(["GET", "HEAD"])
def shift_detail(request, pk: int):
    """One of the person's own shifts: its site and window, the first names of the others on
    it, the captain's phone, safety notes and the map links. Someone without a place on the
    shift is sent to the event page, where the shift's row says what anyone may know."""
    signup = with_waitlist_position(
        Signup.objects.filter(shift_id=pk, volunteer=request.user, status__in=ACTIVE)
        .select_related("shift__event__contact", "shift__site", "shift__held_for", "team")
    ).first()
    if signup is None:
        shift = get_object_or_404(Shift.objects.only("pk", "event_id"), pk=pk)
        return HttpResponseRedirect(
            reverse("event_detail", args=[shift.event_id]) + f"#shift-{shift.pk}")
    with_crew([signup], user=request.user)
    with_handoff_codes([signup], user=request.user)
    return render(request, "volunteers/shift_detail.html",
                  {"signup": signup, "on_shift_page": True})


def _own_rsvp(request, pk: int) -> Rsvp:
    rsvp = Rsvp.objects.select_related("event__contact").filter(pk=pk, user=request.user).first()
    if rsvp is None:
        raise Http404
    return rsvp


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def my_rsvp_cancel(request, pk: int):
    """GET: "are you sure?" (a page, or in place of the My shifts card with htmx; ``keep=1``
    gives the card back). POST: withdraw the RSVP (events.services.rsvp_cancel, which also
    queues the calendar cancellation). Someone else's RSVP is a 404."""
    rsvp = _own_rsvp(request, pk)
    htmx = is_htmx(request)
    if request.method != "POST":
        if htmx and request.GET.get("keep"):
            return render(request, "volunteers/partials/_my_rsvp.html", {"rsvp": rsvp})
        context = {"rsvp": rsvp, "started": rsvp.event.starts_at <= timezone.now(),
                   "next": reverse("my_shifts")}
        if htmx:
            return render(request, "volunteers/partials/_rsvp_cancel_confirm.html", context)
        return render(request, "volunteers/rsvp_cancel_confirm.html", context)
    try:
        rsvp_cancel(event=rsvp.event, user=request.user)
    except EventError as error:
        notice, level = error.message, "error"
    else:
        notice, level = _("Your RSVP to %(event)s is withdrawn.") % {
            "event": rsvp.event.localized.title}, "success"
    if htmx:
        rsvp.refresh_from_db(fields=["status"])
        return render(request, "volunteers/partials/_my_rsvp.html",
                      {"rsvp": rsvp, "notice": notice, "notice_level": level},
                      status=409 if level == "error" else 200)
    (messages.success if level == "success" else messages.error)(request, notice)
    return HttpResponseRedirect(reverse("my_shifts"))
