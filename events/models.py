import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Place:
    name: str
    address: str
    latitude: Decimal | None = None
    longitude: Decimal | None = None

    def __str__(self) -> str:
        return ", ".join(part for part in (self.name, self.address) if part)


def default_reminder_offsets() -> list[int]:
    """Minutes before a shift's start at which reminders go out: 24 hours and 2 hours."""
    return [24 * 60, 2 * 60]


class EventKind(models.TextChoices):
    AWARENESS = "awareness", _("Awareness event")
    TRAINING = "training", _("Volunteer training")
    MEETING = "meeting", _("Coalition meeting")
    FUNDRAISER = "fundraiser", _("Bucket-drive fundraiser")


class EventSeries(models.Model):
    """A recurring event, e.g. the coalition meeting on the fourth Tuesday of each quarter.

    ``rrule`` holds an RFC 5545 RRULE (without the ``RRULE:`` prefix); each occurrence is an
    Event row that points back here and can be edited or cancelled on its own."""

    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    venue_name = models.CharField(_("venue"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    rrule = models.CharField(_("repeat rule"), max_length=500)
    first_start = models.DateTimeField(_("first start"))
    duration = models.DurationField(_("duration"))
    visibility = models.CharField(max_length=10, default="public")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("event series")
        verbose_name_plural = _("event series")

    def __str__(self) -> str:
        return self.title


class Event(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        MEMBERS = "members", _("Members only")

    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    venue_name = models.CharField(_("venue"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    visibility = models.CharField(
        _("who can see it"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    rsvp_capacity = models.PositiveIntegerField(_("RSVP places"), null=True, blank=True)
    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organizer contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events_contact_for",
    )
    cancel_cutoff_hours = models.PositiveIntegerField(
        _("volunteers may cancel until (hours before the shift)"), default=24
    )
    reminder_offsets = models.JSONField(
        _("reminders (minutes before each shift)"), default=default_reminder_offsets
    )
    what_to_bring = models.TextField(_("what to bring"), blank=True)
    series = models.ForeignKey(
        EventSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="occurrences"
    )
    # For an occurrence: the start the series rule gave it (RFC 5545 RECURRENCE-ID), kept when
    # the occurrence alone is moved.
    occurrence_start = models.DateTimeField(null=True, blank=True)
    duplicated_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sequence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["status", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["series", "occurrence_start"], name="event_unique_occurrence"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def duration(self) -> datetime.timedelta:
        return self.ends_at - self.starts_at


class ShiftRole(models.TextChoices):
    COLLECTOR = "collector", _("Bucket collector")
    SETUP = "setup", _("Setup")
    COUNTER = "counter", _("Money counter")
    GREETER = "greeter", _("Greeter")
    CAPTAIN = "captain", _("Site captain")
    OTHER = "other", _("Other")


class Shift(models.Model):
    """A block of time at an event that needs a number of volunteers."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="shifts")
    role = models.CharField(_("role"), max_length=20, choices=ShiftRole.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    needed = models.PositiveIntegerField(_("volunteers needed"), default=1)
    capacity = models.PositiveIntegerField(_("most volunteers"), default=1)
    min_age = models.PositiveIntegerField(_("minimum age"), null=True, blank=True)
    required_training = models.ForeignKey(
        Event,
        verbose_name=_("training required"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="required_by_shifts",
        limit_choices_to={"kind": EventKind.TRAINING},
    )
    notes = models.TextField(_("notes"), blank=True)
    is_cancelled = models.BooleanField(default=False)
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "role", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=F("needed")), name="shift_capacity_at_least_needed"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="shift_capacity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.label} — {self.event}"

    @property
    def label(self) -> str:
        return self.title or self.get_role_display()

    @property
    def place(self) -> "Place":
        """Where volunteers go for this shift: the one source for pages, invites and
        reminders (the event's venue today; a street collection site once sites exist)."""
        event = self.event
        return Place(
            name=event.venue_name,
            address=event.address,
            latitude=event.latitude,
            longitude=event.longitude,
        )

    @property
    def duration(self) -> datetime.timedelta:
        return self.ends_at - self.starts_at


class Rsvp(models.Model):
    """A person's RSVP to an awareness event (or a training or meeting without shifts)."""

    class Status(models.TextChoices):
        GOING = "going", _("Going")
        CANCELLED = "cancelled", _("Cancelled")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.GOING)
    attended = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="rsvp_unique_event_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.event} ({self.status})"
