"""A volunteer's calendar-feed page, and the organizers' page of messages that need them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from events.models import Event

from .. import rules as roles
from ..access import role_required
from ..messaging.delivery import STUCK_AFTER
from ..messaging.kinds import Kind
from ..models import Message
from ..services.messages import (
    MessageError,
    calendar_token_reset,
    message_needs_attention,
    message_retry,
    organizer_calendar_token_reset,
)

MESSAGES_PER_PAGE = 50
ORGANIZER_FEEDS_LISTED = 50


def _webcal(https: str) -> str:
    return "webcal://" + https.split("://", 1)[1]


def feed_urls(request, user) -> dict:
    https = request.build_absolute_uri(
        reverse("calendar_personal_feed", kwargs={"token": user.calendar_token})
    )
    return {"feed_url": https, "webcal_url": _webcal(https)}


def organizer_feeds(request, user) -> list[dict]:
    """The organizer-feed address of each event that has not ended (drafts too), soonest
    first, in one query. Empty until the organizer has made an organizer address."""
    token = user.organizer_calendar_token
    if not token:
        return []
    events = (
        Event.objects.filter(ends_at__gte=timezone.now())
        .exclude(status=Event.Status.CANCELLED)
        .order_by("starts_at", "pk")[:ORGANIZER_FEEDS_LISTED]
    )
    feeds = []
    for event in events:
        https = request.build_absolute_uri(
            reverse("calendar_organizer_feed", kwargs={"token": token, "pk": event.pk})
        )
        feeds.append({"event": event, "feed_url": https, "webcal_url": _webcal(https)})
    return feeds


@login_required
def calendar_settings(request):
    """The secret address of the volunteer's calendar feed, and a button to change it; for an
    organizer also their separate organizer-feed addresses, one per upcoming event."""
    context = feed_urls(request, request.user)
    if roles.is_organizer(request.user):
        context.update({
            "is_organizer": True,
            "has_organizer_token": bool(request.user.organizer_calendar_token),
            "organizer_feeds": organizer_feeds(request, request.user),
        })
    return render(request, "volunteers/calendar_settings.html", context)


@login_required
@require_POST
def calendar_token_reset_view(request):
    calendar_token_reset(user=request.user)
    messages.success(request, _("Your calendar address is new. Subscribe again with it; the "
                                "old address no longer works."))
    return HttpResponseRedirect(reverse("calendar_settings"))


@role_required(roles.is_organizer)
@require_POST
def organizer_calendar_token_reset_view(request):
    """Make (or replace) the organizer's secret organizer-feed address."""
    had_one = bool(request.user.organizer_calendar_token)
    try:
        organizer_calendar_token_reset(user=request.user)
    except MessageError as refusal:
        messages.error(request, str(refusal))
    else:
        if had_one:
            messages.success(request, _("Your organizer calendar addresses are new. Subscribe "
                                        "again with them; the old ones no longer work."))
        else:
            messages.success(request, _("Your organizer calendar addresses are ready."))
    return HttpResponseRedirect(reverse("calendar_settings"))


def _filtered(view: str, now):
    stuck = now - STUCK_AFTER
    queryset = Message.objects.all()
    if view == "problems":
        return queryset.filter(
            Q(status=Message.Status.FAILED)
            | Q(status=Message.Status.IN_FLIGHT, claimed_at__lt=stuck)
            | Q(status=Message.Status.PENDING, due_at__lt=stuck)
        ).order_by("-due_at", "-pk")
    if view == "waiting":
        return queryset.filter(status=Message.Status.PENDING).order_by("due_at", "pk")
    if view == "skipped":
        return queryset.filter(status=Message.Status.SKIPPED).order_by("-due_at", "-pk")
    return queryset.filter(status=Message.Status.SENT).order_by("-sent_at", "-pk")


VIEWS = {
    "problems": gettext_lazy("Need attention"),
    "waiting": gettext_lazy("Waiting"),
    "sent": gettext_lazy("Sent"),
    "skipped": gettext_lazy("Not sent"),
}


@role_required(roles.is_organizer)
def message_list(request):
    """Failed and stuck messages first (each with a retry button), then the queue, the sent
    and the skipped ones, 50 to a page. The query count does not grow with the rows."""
    now = timezone.now()
    view = request.GET.get("view", "problems")
    if view not in VIEWS:
        view = "problems"
    stuck = now - STUCK_AFTER
    counts = Message.objects.aggregate(
        problems=Count("pk", filter=Q(status=Message.Status.FAILED)
                       | Q(status=Message.Status.IN_FLIGHT, claimed_at__lt=stuck)
                       | Q(status=Message.Status.PENDING, due_at__lt=stuck)),
        waiting=Count("pk", filter=Q(status=Message.Status.PENDING)),
        sent=Count("pk", filter=Q(status=Message.Status.SENT)),
        skipped=Count("pk", filter=Q(status=Message.Status.SKIPPED)),
    )
    rows = _filtered(view, now).select_related(
        "recipient", "event", "signup", "signup__shift", "signup__shift__event"
    )
    page = Paginator(rows, MESSAGES_PER_PAGE).get_page(request.GET.get("page"))
    for message in page:
        _describe_row(message, now=now, viewer=request.user)
    tabs = [(key, label, counts[key]) for key, label in VIEWS.items()]
    return render(request, "volunteers/messages.html", {"page": page, "view": view, "tabs": tabs})


def _describe_row(message: Message, *, viewer, now=None) -> None:
    message.kind_label = dict(Kind.choices).get(message.kind, message.kind)
    message.needs_attention = message_needs_attention(message, now=now)
    # A donor's address is the treasurers' to see, not every organizer's (issue 12).
    message.donor_hidden = (message.kind == Kind.DONATION_ACKNOWLEDGMENT
                            and not roles.is_treasurer(viewer))


@role_required(roles.is_organizer)
@require_POST
def message_retry_view(request, pk: int):
    message = get_object_or_404(Message, pk=pk)
    error = None
    try:
        message = message_retry(message=message, by=request.user)
    except MessageError as refusal:
        error = str(refusal)
    if request.headers.get("HX-Request") == "true":
        message = Message.objects.select_related(
            "recipient", "event", "signup", "signup__shift", "signup__shift__event"
        ).get(pk=pk)
        _describe_row(message, viewer=request.user)
        return render(request, "volunteers/partials/_message_row.html", {
            "message": message, "view": request.POST.get("view"), "row_error": error,
            "row_notice": None if error else _("Queued again."),
        })
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("The message is queued again."))
    view = request.POST.get("view")
    query = f"?view={view}" if view in VIEWS else ""
    return HttpResponseRedirect(reverse("message_list") + query)
