import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.input_bounds import (
    MAX_CANCEL_CUTOFF_HOURS,
    MAX_PLACES,
    STORED_FIRST_YEAR,
    STORED_LAST_YEAR,
)

from .translated import Translated, localized

# The database's backstop for every event and shift time (the forms allow 2000-2100):
# psycopg cannot read a time past 9999 back, and a year-1 time has no time zone offset.
STORED_FROM = datetime.datetime(STORED_FIRST_YEAR, 1, 1, tzinfo=datetime.UTC)
STORED_BEFORE = datetime.datetime(STORED_LAST_YEAR + 1, 1, 1, tzinfo=datetime.UTC)


def times_in_range(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(starts_at__gte=STORED_FROM, ends_at__lt=STORED_BEFORE), name=name
    )


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


class EventSeries(Translated, models.Model):
    """A recurring event, e.g. the coalition meeting on the fourth Tuesday of each quarter.

    ``rrule`` holds an RFC 5545 RRULE (without the ``RRULE:`` prefix); each occurrence is an
    Event row that points back here and can be edited or cancelled on its own."""

    TRANSLATED_FIELDS = ("title", "description")

    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    title_es = models.CharField(_("title in Spanish"), max_length=200, blank=True)
    description_es = models.TextField(_("description in Spanish"), blank=True)
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


class Event(Translated, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        MEMBERS = "members", _("Members only")

    TRANSLATED_FIELDS = ("title", "description", "what_to_bring")

    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    title_es = models.CharField(_("title in Spanish"), max_length=200, blank=True)
    description_es = models.TextField(_("description in Spanish"), blank=True)
    venue_name = models.CharField(_("venue"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    latitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    visibility = models.CharField(
        _("who can see it"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    rsvp_capacity = models.PositiveIntegerField(
        _("RSVP places"), null=True, blank=True, validators=[MaxValueValidator(MAX_PLACES)]
    )
    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organizer contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events_contact_for",
    )
    cancel_cutoff_hours = models.PositiveIntegerField(
        _("volunteers may cancel until (hours before the shift)"), default=24,
        validators=[MaxValueValidator(MAX_CANCEL_CUTOFF_HOURS)],
    )
    reminder_offsets = models.JSONField(
        _("reminders (minutes before each shift)"), default=default_reminder_offsets
    )
    what_to_bring = models.TextField(_("what to bring"), blank=True)
    what_to_bring_es = models.TextField(_("what to bring, in Spanish"), blank=True)
    # Fundraisers (issue 12): the accountant's code for the drive's journal lines; whether the
    # public total page shows a team leaderboard; an item handed out in exchange for a gift
    # (a wristband, a newspaper) and its value, which is not deductible.
    accounting_code = models.CharField(_("accounting code"), max_length=40, blank=True)
    show_leaderboard = models.BooleanField(_("show a team leaderboard on the public total"),
                                           default=False)
    premium_description = models.CharField(_("item given in exchange for a gift"),
                                           max_length=120, blank=True)
    premium_value_cents = models.PositiveIntegerField(_("value of that item, in cents"),
                                                      default=0)
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
            times_in_range("event_times_in_range"),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90) | Q(latitude__isnull=True),
                name="event_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180, longitude__lte=180)
                | Q(longitude__isnull=True),
                name="event_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(cancel_cutoff_hours__lte=MAX_CANCEL_CUTOFF_HOURS),
                name="event_cancel_cutoff_range",
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


class Shift(Translated, models.Model):
    """A block of time at an event that needs a number of volunteers."""

    TRANSLATED_FIELDS = ("title", "notes")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="shifts")
    role = models.CharField(_("role"), max_length=20, choices=ShiftRole.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    title_es = models.CharField(_("title in Spanish"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    needed = models.PositiveIntegerField(
        _("volunteers needed"), default=1, validators=[MaxValueValidator(MAX_PLACES)]
    )
    capacity = models.PositiveIntegerField(
        _("most volunteers"), default=1, validators=[MaxValueValidator(MAX_PLACES)]
    )
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
    notes_es = models.TextField(_("notes in Spanish"), blank=True)
    # A street collection shift stands at a site; its place then comes from the site.
    site = models.ForeignKey(
        "Site", verbose_name=_("collection site"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="shifts",
    )
    # Held for a team (a church youth group takes this corner): only its members may take
    # its places. Changed only by events.holds, which also writes a HoldChange.
    held_for = models.ForeignKey(
        "volunteers.Team", verbose_name=_("held for team"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="held_shifts",
    )
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
            times_in_range("shift_times_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.label} — {self.event}"

    @property
    def label(self) -> str:
        """The shift's title in the active language, else its role."""
        return localized(self, "title") or self.get_role_display()

    @property
    def place(self) -> "Place":
        """Where volunteers go for this shift: the one source for pages, invites and
        reminders: its street collection site when it has one, else the event's venue."""
        if self.site_id is not None:
            site = self.site
            return Place(name=site.name, address=site.address, latitude=site.latitude,
                         longitude=site.longitude)
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
    class Attendance(models.TextChoices):
        UNKNOWN = "unknown", _("Not marked")
        ATTENDED = "attended", _("Attended")
        NO_SHOW = "no_show", _("No-show")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.GOING)
    # ``attended`` is what a training requirement reads (volunteers.services.signups
    # .has_attended); ``no_show`` is the other answer an organizer can give. Never both.
    attended = models.BooleanField(default=False)
    no_show = models.BooleanField(default=False)
    attendance_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    attendance_at = models.DateTimeField(null=True, blank=True)
    # Set when an organizer added the person (a walk-in), not the person themselves.
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="rsvp_unique_event_user"),
            models.CheckConstraint(
                condition=~Q(attended=True, no_show=True), name="rsvp_not_attended_and_no_show"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.event} ({self.status})"

    @property
    def attendance(self) -> str:
        if self.attended:
            return self.Attendance.ATTENDED
        if self.no_show:
            return self.Attendance.NO_SHOW
        return self.Attendance.UNKNOWN

    def get_attendance_display(self) -> str:
        return str(self.Attendance(self.attendance).label)


class FormToken(models.Model):
    """A create form's one-time token (events/form_tokens.py): written in the transaction of
    what the form creates, so the same form submitted twice creates once; the second
    submission is sent to ``result_url``, what the first one made."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.UUIDField()
    result_url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "token"], name="form_token_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.token} → {self.result_url}"


class SiteKind(models.TextChoices):
    SIDEWALK = "sidewalk", _("Sidewalk corner")
    PRIVATE_LOT = "private_lot", _("Storefront or private lot (owner's permission)")
    MEDIAN = "median", _("Median")
    ROADWAY = "roadway", _("Roadway")


# Standing in traffic is for adults: a median or roadway site asks 18+ unless set otherwise.
ADULTS_ONLY_SITE_KINDS = (SiteKind.MEDIAN, SiteKind.ROADWAY)


class Site(Translated, models.Model):
    """A reusable street collection place: a corner, a storefront, a median. Shifts stand at
    it; a retired site keeps its shifts and history but takes no new ones."""

    TRANSLATED_FIELDS = ("safety_notes",)

    name = models.CharField(_("name"), max_length=200, unique=True)
    address = models.CharField(_("cross streets or address"), max_length=300)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    kind = models.CharField(_("site type"), max_length=20, choices=SiteKind.choices,
                            default=SiteKind.SIDEWALK)
    jurisdiction = models.CharField(
        _("jurisdiction"), max_length=100, help_text=_("The city or county, e.g. Fresno.")
    )
    host_contact = models.CharField(
        _("host contact"), max_length=300, blank=True,
        help_text=_("For private property: who gave permission, and how to reach them."),
    )
    min_people = models.PositiveIntegerField(
        _("minimum people"), default=2,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PLACES)],
        help_text=_("Nobody stands alone: 2 or more."),
    )
    max_people = models.PositiveIntegerField(
        _("maximum people"), default=4,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PLACES)],
    )
    min_age = models.PositiveIntegerField(
        _("minimum age"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    safety_notes = models.TextField(_("safety notes"), blank=True)
    safety_notes_es = models.TextField(_("safety notes in Spanish"), blank=True)
    address_private = models.BooleanField(
        _("show the address only to people signed up here"), default=False
    )
    # Card and online gifts made through the coalition's donation page with this code count
    # toward the site (issue 12).
    giving_code = models.CharField(_("giving code"), max_length=20, unique=True, null=True,
                                   blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(min_people__gte=1), name="site_min_people_positive"),
            models.CheckConstraint(condition=Q(max_people__gte=F("min_people")),
                                   name="site_max_at_least_min"),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180,
                            longitude__lte=180),
                name="site_on_the_globe",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PermitRequirement(models.Model):
    """"Sites of this type, or in this jurisdiction, need a permit" (Fresno: medians; Clovis:
    roadways and medians). A rule with both set matches sites that have both."""

    kind = models.CharField(_("site type"), max_length=20, choices=SiteKind.choices, blank=True)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(kind="") | ~Q(jurisdiction=""),
                                   name="permit_requirement_names_something"),
            models.UniqueConstraint(fields=["kind", "jurisdiction"],
                                    name="permit_requirement_unique"),
        ]

    def __str__(self) -> str:
        return " · ".join(filter(None, [self.get_kind_display(), self.jurisdiction]))


def private_storage():
    """Files no public URL reaches (settings.PRIVATE_MEDIA_ROOT)."""
    from .private_files import PrivateStorage

    return PrivateStorage()


def permit_upload_to(instance, filename: str) -> str:
    return f"permits/{timezone.now():%Y}/{filename}"


class Permit(models.Model):
    """A city's or county's permission to collect at some sites on some days and hours.
    Its documents live in private storage (settings.PRIVATE_MEDIA_ROOT), served only to
    organizers by a view that checks the role."""

    authority = models.CharField(_("issuing authority"), max_length=200)
    reference = models.CharField(_("reference"), max_length=100)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    daily_start = models.TimeField(_("daily from"), null=True, blank=True)
    daily_end = models.TimeField(_("daily until"), null=True, blank=True)
    sites = models.ManyToManyField(Site, verbose_name=_("sites"), related_name="permits")
    max_collectors = models.PositiveIntegerField(
        _("most collectors at once"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PLACES)],
    )
    conditions = models.TextField(_("conditions"), blank=True)
    document = models.FileField(_("permit document"), upload_to=permit_upload_to, blank=True,
                                storage=private_storage)
    insurance_certificate = models.FileField(
        _("insurance certificate"), upload_to=permit_upload_to, blank=True,
        storage=private_storage,
    )
    return_due = models.DateField(_("post-collection return due"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-valid_from", "reference"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__gte=F("valid_from")),
                                   name="permit_ends_after_start"),
            models.CheckConstraint(
                condition=Q(daily_start__isnull=True, daily_end__isnull=True)
                | Q(daily_start__isnull=False, daily_end__isnull=False,
                    daily_end__gt=F("daily_start")),
                name="permit_daily_hours_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.authority} {self.reference}"



class HoldChange(models.Model):
    """The history of a shift's team hold: who held it for which team, who released it."""

    class Action(models.TextChoices):
        HELD = "held", _("Held for a team")
        RELEASED = "released", _("Released")

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="hold_changes")
    team = models.ForeignKey("volunteers.Team", on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                           blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.team_id} on {self.shift_id}"
