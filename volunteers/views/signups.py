"""A volunteer's own sign-ups: join a shift (or its waitlist), cancel, and My shifts.

htmx requests get the re-rendered partial (with the outcome inside it); plain form posts
are redirected back to the page they came from with a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from events.models import Shift

from ..models import Signup
from ..selectors import my_shifts as my_shifts_for
from ..selectors import shift_for_partial, signups_by_shift, with_waitlist_position
from ..services.signups import SignupError, signup_cancel, signup_create


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def redirect_back(request, fallback: str) -> HttpResponseRedirect:
    """Back to the page the form was on (``next`` or the Referer, same site only)."""
    for candidate in (request.POST.get("next"), request.headers.get("Referer")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, {request.get_host()}, require_https=request.is_secure()
        ):
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
    values = {"shift": signup.shift.label, "event": signup.shift.event.title}
    if signup.status == Signup.Status.CONFIRMED:
        return _("You are signed up: %(shift)s, %(event)s. A confirmation is on its way.") % values
    return _(
        "The shift is full, so you are on its waitlist: %(shift)s, %(event)s. If a place "
        "opens, you get it automatically and we email you."
    ) % values


@login_required
@require_POST
def shift_signup(request, pk: int):
    """Sign the logged-in volunteer up for a shift, or onto its waitlist when it is full."""
    shift = get_object_or_404(Shift.objects.select_related("event"), pk=pk)
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
def my_signup_cancel(request, pk: int):
    """Cancel a sign-up: the volunteer's own (until the cut-off), a team member's by their
    captain, or anyone's by an organizer (the service checks which)."""
    signup = get_object_or_404(Signup.objects.select_related("shift__event"), pk=pk)
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


@login_required
def my_shifts(request):
    """The volunteer's upcoming and past shifts, with hours and cancel buttons."""
    return render(request, "volunteers/my_shifts.html", {"mine": my_shifts_for(user=request.user)})
