"""Reads shared by the event pages, built so that their query count does not grow with rows."""

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import Event, Shift


def visible_events(*, user) -> QuerySet[Event]:
    """Events this person may see: published public ones; members-only ones for anyone
    logged in; drafts only for organizers."""
    from volunteers.rules import is_organizer

    if user.is_authenticated and is_organizer(user):
        return Event.objects.all()
    events = Event.objects.exclude(status=Event.Status.DRAFT)
    if not user.is_authenticated:
        events = events.filter(visibility=Event.Visibility.PUBLIC)
    return events


def upcoming_events(*, user, kind: str | None = None) -> QuerySet[Event]:
    events = visible_events(user=user).filter(ends_at__gte=timezone.now())
    if kind:
        events = events.filter(kind=kind)
    return events.exclude(status=Event.Status.DRAFT).order_by("starts_at", "pk")


def shifts_with_fill(shifts: QuerySet[Shift]) -> QuerySet[Shift]:
    """Annotate each shift with ``confirmed_count`` and ``waitlist_count``."""
    return shifts.annotate(
        confirmed_count=Count("signups", filter=Q(signups__status="confirmed"), distinct=True),
        waitlist_count=Count("signups", filter=Q(signups__status="waitlisted"), distinct=True),
    )


def home_context(*, user) -> dict:
    return {"upcoming": list(upcoming_events(user=user).select_related("series")[:6])}
