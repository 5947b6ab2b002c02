"""Street money before it is counted: numbered buckets, their custody log, incidents and
collector badges. What the buckets held is in money.py.

A bucket's state is the latest row of its custody log (ledger practice, Sahana Eden's asset
log): rows are only ever added, never edited, and donations/custody.py is the one place that
adds them, with the bucket row locked."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Bucket(models.Model):
    """A numbered, sealable container: a bucket, a tin or a kettle."""

    class Kind(models.TextChoices):
        BUCKET = "bucket", _("Bucket")
        TIN = "tin", _("Tin")
        KETTLE = "kettle", _("Kettle")

    number = models.PositiveIntegerField(_("number"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.BUCKET)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class CustodyEvent(models.Model):
    """One step in a bucket's custody. The latest row is the bucket's state."""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("Issued")
        HANDED_OVER = "handed_over", _("Handed over")
        RETURNED = "returned", _("Returned")
        LOST = "lost", _("Lost")
        STOLEN = "stolen", _("Stolen")
        FOUND = "found", _("Found")

    bucket = models.ForeignKey(Bucket, on_delete=models.PROTECT, related_name="custody")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # Where and with whom: the street shift (and so its site and event), the team answerable.
    shift = models.ForeignKey("events.Shift", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="custody_events")
    team = models.ForeignKey("volunteers.Team", on_delete=models.PROTECT, null=True,
                             blank=True, related_name="custody_events")
    # Who holds the bucket after this step (issued to, handed to); who gave it (handed over).
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    from_holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    seal_number = models.CharField(_("seal number"), max_length=40, blank=True)
    # On return: was the seal seen intact, and was it the seal that was issued?
    seal_intact = models.BooleanField(null=True, blank=True)
    seal_matches = models.BooleanField(null=True, blank=True)
    # The receiver's personal code was not checked: an organizer's written reason.
    override_reason = models.CharField(_("override reason"), max_length=300, blank=True)
    note = models.TextField(_("note"), blank=True)
    incident = models.ForeignKey("Incident", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="custody_events")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                           related_name="+")
    at = models.DateTimeField(default=timezone.now)
    # The form's one-time token: a weak signal re-posting the same handoff records it once.
    request_token = models.UUIDField(unique=True, null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["bucket", "-at", "-id"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="returned") | (Q(seal_intact__isnull=False)
                                                 & Q(seal_matches__isnull=False)),
                name="custody_return_records_the_seal",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["issued", "handed_over"]) | Q(holder__isnull=False),
                name="custody_issue_has_a_holder",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bucket} {self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def flagged(self) -> bool:
        """A return the treasurers must look at: a broken or different seal."""
        return self.kind == self.Kind.RETURNED and not (self.seal_intact and self.seal_matches)


class Incident(models.Model):
    """Something that went wrong on the street: theft, aggression, injury, a lost bucket."""

    class Kind(models.TextChoices):
        THEFT = "theft", _("Theft")
        AGGRESSION = "aggression", _("Aggression")
        INJURY = "injury", _("Injury")
        LOST_BUCKET = "lost_bucket", _("Lost bucket")
        OTHER = "other", _("Other")

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT,
                              related_name="incidents")
    kind = models.CharField(_("what happened"), max_length=12, choices=Kind.choices)
    site = models.ForeignKey("events.Site", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="incidents")
    shift = models.ForeignKey("events.Shift", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="incidents")
    bucket = models.ForeignKey(Bucket, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="incidents")
    description = models.TextField(_("description"))
    police_report_number = models.CharField(_("police report number"), max_length=60,
                                            blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"


def new_badge_code() -> str:
    return secrets.token_urlsafe(9)


class Badge(models.Model):
    """A collector's badge for one drive: its public verification code says "valid collector
    for <drive>, <date>, badge <n>" and nothing more about the person."""

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="badges")
    volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="badges")
    number = models.PositiveIntegerField(_("badge number"))
    code = models.CharField(max_length=20, unique=True, default=new_badge_code)
    issued_at = models.DateTimeField(default=timezone.now)
    returned_at = models.DateTimeField(null=True, blank=True)
    returned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["event", "number"]
        constraints = [
            models.UniqueConstraint(fields=["event", "number"], name="badge_number_per_drive"),
            models.UniqueConstraint(fields=["event", "volunteer"],
                                    name="badge_one_per_volunteer_per_drive"),
        ]

    def __str__(self) -> str:
        return f"Badge {self.number} ({self.event_id})"
