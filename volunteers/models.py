import datetime
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from events.translated import Translated

ADULT_AGE = 18


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class User(AbstractUser):
    """A person with a Rally account: every account is a volunteer; roles add more."""

    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        SPANISH = "es", _("Spanish")

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=100, blank=True)
    emergency_contact_phone = models.CharField(
        _("emergency contact phone"), max_length=30, blank=True
    )
    confirmed_adult = models.BooleanField(_("I am 18 or older"), default=False)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    reminders_enabled = models.BooleanField(_("send me shift reminders"), default=True)
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    # A separate secret for organizers' per-event feeds (drafts included): a volunteer's
    # personal feed address must never open them. Made on request, on the calendar page.
    organizer_calendar_token = models.CharField(max_length=64, unique=True, null=True,
                                                blank=True, default=None)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.email.split("@")[0]

    def age_on(self, day: datetime.date) -> int | None:
        if self.date_of_birth is None:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def is_adult_on(self, day: datetime.date | None = None) -> bool:
        """Street collection is adults-only: a date of birth decides, else the confirmation."""
        day = day or timezone.localdate()
        age = self.age_on(day)
        if age is not None:
            return age >= ADULT_AGE
        return self.confirmed_adult

    @cached_property
    def role_names(self) -> frozenset[str]:
        if not self.pk:
            return frozenset()
        return frozenset(self.role_grants.values_list("role", flat=True))


class Role(models.TextChoices):
    CAPTAIN = "captain", _("Team captain")
    ORGANIZER = "organizer", _("Organizer")
    TREASURER = "treasurer", _("Treasurer")


class RoleGrant(models.Model):
    """One role held by one person, with who granted it and when."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_grants"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="rolegrant_unique_user_role"),
        ]
        ordering = ["role"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


class Team(models.Model):
    """A group that works together, often from one partner church, club, business or agency."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    partner_organization = models.CharField(_("partner organization"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    # Card and online gifts made through the coalition's donation page with this code count
    # toward the team (issue 12).
    giving_code = models.CharField(_("giving code"), max_length=20, unique=True, null=True,
                                   blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMembership", related_name="teams"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    is_captain = models.BooleanField(_("captain"), default=False)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="membership_unique_team_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class TeamInvitation(models.Model):
    """A captain's invitation to join a team, addressed to an email (an account may not exist
    yet). Membership begins only when the person with that verified address accepts."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email address"))  # stored lower-cased
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "email"],
                condition=models.Q(status="pending"),
                name="teaminvitation_one_pending_per_team_email",
            )
        ]
        indexes = [models.Index(fields=["email", "status"], name="teaminvitation_email_status")]

    def __str__(self) -> str:
        return f"{self.email} to {self.team} ({self.status})"


class Signup(models.Model):
    """A volunteer's place on a shift: confirmed, waiting, or cancelled (never deleted)."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("On the waitlist")
        CANCELLED = "cancelled", _("Cancelled")

    class Attendance(models.TextChoices):
        UNKNOWN = "unknown", _("Not checked in")
        PRESENT = "present", _("Present")
        NO_SHOW = "no_show", _("No-show")

    shift = models.ForeignKey("events.Shift", on_delete=models.CASCADE, related_name="signups")
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signups"
    )
    status = models.CharField(max_length=12, choices=Status.choices)
    # Waitlist order: the earliest waitlisted_at is promoted first.
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="signups"
    )
    attendance = models.CharField(
        max_length=10, choices=Attendance.choices, default=Attendance.UNKNOWN
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Street shifts: a safety vest handed out at check-in.
    vest_given = models.BooleanField(_("safety vest given"), default=False)
    # Set only when an organizer corrects the hours; otherwise hours come from the check-in.
    hours_override = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    # Raised on every change a calendar should see (RFC 5545 SEQUENCE of this sign-up's invite).
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shift", "volunteer"], name="signup_unique_shift_person"
            ),
            models.CheckConstraint(
                condition=models.Q(hours_override__isnull=True)
                | models.Q(hours_override__gte=0),
                name="signup_hours_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["shift", "status"]),
            models.Index(fields=["volunteer", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} on {self.shift_id} ({self.status})"


class SignupChange(models.Model):
    """The record of who changed a sign-up, when, and what they did."""

    class Action(models.TextChoices):
        SIGNED_UP = "signed_up", _("Signed up")
        WAITLISTED = "waitlisted", _("Joined the waitlist")
        PROMOTED = "promoted", _("Promoted from the waitlist")
        CANCELLED = "cancelled", _("Cancelled")
        ADDED = "added", _("Added by an organizer or captain")
        REMOVED = "removed", _("Removed by an organizer")
        MOVED = "moved", _("Moved to another shift")
        CHECKED_IN = "checked_in", _("Checked in")
        NO_SHOW = "no_show", _("Marked no-show")
        HOURS_CORRECTED = "hours_corrected", _("Hours corrected")
        EVENT_CANCELLED = "event_cancelled", _("Event cancelled")
        TRAINING_WAIVED = "training_waived", _("Training waived by an organizer")
        VEST_GIVEN = "vest_given", _("Safety vest given")
        VEST_RETURNED = "vest_returned", _("Safety vest taken back")

    signup = models.ForeignKey(Signup, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=20, choices=Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} at {self.at:%Y-%m-%d %H:%M}"


class OrganizerMessage(Translated, models.Model):
    """What an organizer wrote to the volunteers of one shift (``shift``) or of a whole event
    (``shift`` empty: every live shift, and the RSVPs "going" when ``include_rsvps``), kept
    with its author and the number of people it went to. Each recipient's copy is an outbox
    row (``Message.organizer_message``), in Spanish when ``subject_es``/``body_es`` are given
    and the recipient reads Spanish."""

    TRANSLATED_FIELDS = ("subject", "body")

    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="organizer_messages"
    )
    shift = models.ForeignKey(
        "events.Shift", on_delete=models.CASCADE, null=True, blank=True,
        related_name="organizer_messages",
    )
    include_waitlisted = models.BooleanField(_("also the waitlist"), default=False)
    include_rsvps = models.BooleanField(_("also people who RSVP'd"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    subject_es = models.CharField(_("subject in Spanish"), max_length=200, blank=True)
    body_es = models.TextField(_("message in Spanish"), blank=True)
    sent_at = models.DateTimeField(default=timezone.now)
    recipient_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.subject} ({self.recipient_count})"


class Message(models.Model):
    """The outbox: one row per email Rally owes someone, written in the same transaction as
    the change that causes it, and sent by the dispatcher and send task (volunteers/outbox)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        IN_FLIGHT = "in_flight", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not sent")

    kind = models.CharField(max_length=40)
    # Empty only for an account email to an address without an account ("unknown account").
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="messages",
    )
    # Account emails go to the address they concern, which need not be the primary one.
    to_address = models.EmailField(blank=True)
    # What an account email's template needs beyond the row (the request's language, a
    # notification's IP…). Links with keys are rebuilt at send time, not stored here; the
    # rest is cleared once the message is sent (README: account emails).
    context = models.JSONField(default=dict, blank=True)
    signup = models.ForeignKey(
        Signup, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    organizer_message = models.ForeignKey(
        OrganizerMessage, on_delete=models.CASCADE, null=True, blank=True,
        related_name="deliveries",
    )
    # Makes the same message impossible to queue twice, e.g. "confirm:signup=12:seq=0".
    dedupe_key = models.CharField(max_length=200, unique=True)
    due_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status", "due_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False) | ~models.Q(to_address=""),
                name="message_has_an_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id or self.to_address} ({self.status})"

    @property
    def address(self) -> str:
        """Where it goes: the account email's address, else the recipient's."""
        if self.to_address:
            return self.to_address
        return self.recipient.email if self.recipient is not None else ""
