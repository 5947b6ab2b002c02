"""The treasurers' books for a street drive, in integer cents from end to end.

A returned bucket is opened in a **count session** (a :class:`CountSheet` per return) and
counted blind by two people (:class:`Count` A and B, each with its lines of denominations,
checks and odd items). Two equal counts make an :class:`AgreedCount`, the bucket's figure;
a difference needs a recount (C, D ...) that equals an earlier one. Agreed counts go into a
:class:`Deposit`, which is matched to a :class:`BankLine`; what the bank saw differently is a
:class:`BankAdjustment`, allocated back to the buckets it concerns. A treasurer who neither
counted nor deposited reconciles the drive (a :class:`DriveMoneyStep`), which locks it;
later corrections are :class:`AdjustmentEntry` rows that point at what they correct.

Only :class:`CountSession` and an unmatched :class:`Deposit` are ever edited (each with a
``version`` so two treasurers saving at once get a conflict, not a silent overwrite). Every
other row is final when written, and on PostgreSQL triggers (migration 0005) refuse UPDATE and
DELETE of final rows and any new money row on a locked drive. Each money event also writes a
:class:`MoneyAudit` row in the same transaction."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL


class CountSession(models.Model):
    """An evening at the counting table: where, when, who was present."""

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT,
                              related_name="count_sessions")
    place = models.CharField(_("place"), max_length=150)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    present = models.ManyToManyField(USER, verbose_name=_("people present"), blank=True,
                                     related_name="+")
    note = models.TextField(_("note"), blank=True)
    opened_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.place} {self.started_at:%Y-%m-%d %H:%M}"


class CountSheet(models.Model):
    """One return of one bucket, opened at a count session to be counted. ``team`` is the
    team answerable for the bucket on that trip (from the custody log)."""

    session = models.ForeignKey(CountSession, on_delete=models.PROTECT, related_name="sheets")
    event = models.ForeignKey("events.Event", on_delete=models.PROTECT,
                              related_name="count_sheets")
    bucket = models.ForeignKey("donations.Bucket", on_delete=models.PROTECT,
                               related_name="count_sheets")
    returned = models.OneToOneField("donations.CustodyEvent", on_delete=models.PROTECT,
                                    related_name="count_sheet")
    team = models.ForeignKey("volunteers.Team", on_delete=models.PROTECT, null=True,
                             blank=True, related_name="+")
    opened_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["bucket__number", "pk"]

    def __str__(self) -> str:
        return f"Count sheet {self.pk} ({self.bucket_id})"


class Count(models.Model):
    """One person's count of one opened bucket: A, B, then recounts C, D ... Final when
    submitted; the totals are the sums of its lines and checks, stored for the reports."""

    sheet = models.ForeignKey(CountSheet, on_delete=models.PROTECT, related_name="counts")
    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="+")
    letter = models.CharField(max_length=1)
    counter = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    cash_cents = models.BigIntegerField()
    checks_cents = models.BigIntegerField()
    total_cents = models.BigIntegerField()
    # The counter is on the collecting team or held the bucket (or counted it already):
    # allowed only with a written reason, shown in the reports.
    override_reason = models.CharField(_("reason for the exception"), max_length=300,
                                       blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    request_token = models.UUIDField(unique=True, null=True, blank=True)

    class Meta:
        ordering = ["sheet", "letter"]
        constraints = [
            models.UniqueConstraint(fields=["sheet", "letter"], name="count_letter_once"),
            models.CheckConstraint(condition=Q(cash_cents__gte=0) & Q(checks_cents__gte=0)
                                   & Q(total_cents=models.F("cash_cents")
                                       + models.F("checks_cents")),
                                   name="count_total_is_cash_plus_checks"),
        ]

    def __str__(self) -> str:
        return f"Count {self.letter} of sheet {self.sheet_id}"


class CountLine(models.Model):
    """A denomination row of a count: ``quantity`` notes, coins or rolls worth
    ``unit_cents`` each (see donations/money.py)."""

    count = models.ForeignKey(Count, on_delete=models.PROTECT, related_name="lines")
    denomination = models.CharField(max_length=12)
    unit_cents = models.PositiveIntegerField()
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["count", "-unit_cents", "denomination"]
        constraints = [
            models.UniqueConstraint(fields=["count", "denomination"],
                                    name="count_line_denomination_once"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.denomination}"


class CountCheck(models.Model):
    """A check, or a named envelope of cash, found in a bucket: a gift from an identifiable
    donor when a donor name is written (acknowledgments, issue 12)."""

    class Kind(models.TextChoices):
        CHECK = "check", _("Check")
        ENVELOPE = "envelope", _("Named envelope")

    count = models.ForeignKey(Count, on_delete=models.PROTECT, related_name="checks")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CHECK)
    number = models.CharField(_("check number"), max_length=30, blank=True)
    payer = models.CharField(_("payer"), max_length=200)
    amount_cents = models.BigIntegerField()
    donor_name = models.CharField(_("donor name"), max_length=200, blank=True)
    donor_address = models.CharField(_("donor address"), max_length=300, blank=True)

    class Meta:
        ordering = ["count", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="check_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Check {self.number} from {self.payer}"


class OddItem(models.Model):
    """A foreign coin, a gift card, a ring: no cash value until exchanged or sold."""

    count = models.ForeignKey(Count, on_delete=models.PROTECT, related_name="odd_items")
    description = models.CharField(_("description"), max_length=300)

    class Meta:
        ordering = ["count", "pk"]

    def __str__(self) -> str:
        return self.description


class AgreedCount(models.Model):
    """A bucket's figure: the count that another count equalled. One per sheet."""

    sheet = models.OneToOneField(CountSheet, on_delete=models.PROTECT, related_name="agreed")
    count = models.OneToOneField(Count, on_delete=models.PROTECT, related_name="+")
    matched = models.ForeignKey(Count, on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey("events.Event", on_delete=models.PROTECT,
                              related_name="agreed_counts")
    bucket = models.ForeignKey("donations.Bucket", on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("volunteers.Team", on_delete=models.PROTECT, null=True,
                             blank=True, related_name="+")
    cash_cents = models.BigIntegerField()
    checks_cents = models.BigIntegerField()
    total_cents = models.BigIntegerField()
    agreed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["event", "bucket__number"]

    def __str__(self) -> str:
        return f"Agreed count of sheet {self.sheet_id}"


class OddItemProceeds(models.Model):
    """What an odd item brought when exchanged or sold, posted back to its bucket."""

    class How(models.TextChoices):
        EXCHANGED = "exchanged", _("Exchanged")
        SOLD = "sold", _("Sold")
        NO_VALUE = "no_value", _("No value")

    odd_item = models.OneToOneField(OddItem, on_delete=models.PROTECT, related_name="proceeds")
    agreed = models.ForeignKey(AgreedCount, on_delete=models.PROTECT, related_name="proceeds")
    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="+")
    how = models.CharField(_("how"), max_length=10, choices=How.choices)
    amount_cents = models.BigIntegerField()
    note = models.CharField(_("note"), max_length=300, blank=True)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gte=0),
                                   name="proceeds_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Proceeds of odd item {self.odd_item_id}"


class Deposit(models.Model):
    """Counted money taken to the bank: a slip and a bag. Editable (with ``version``) until
    it is matched to a bank line; final after."""

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT,
                              related_name="deposits")
    deposited_on = models.DateField(_("deposit date"))
    depositor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("depositor"))
    slip_number = models.CharField(_("deposit slip number"), max_length=40)
    bag_number = models.CharField(_("bag number"), max_length=40, blank=True)
    declared_cents = models.BigIntegerField(_("total on the slip"))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-deposited_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(declared_cents__gte=0),
                                   name="deposit_declared_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Deposit {self.slip_number}"


class DepositItem(models.Model):
    """An agreed count (or an odd item's proceeds) in a deposit: each is deposited once."""

    deposit = models.ForeignKey(Deposit, on_delete=models.PROTECT, related_name="items")
    agreed = models.OneToOneField(AgreedCount, on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="deposit_item")
    proceeds = models.OneToOneField(OddItemProceeds, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="deposit_item")
    amount_cents = models.BigIntegerField()
    added_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["deposit", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(agreed__isnull=False) & Q(proceeds__isnull=True))
                | (Q(agreed__isnull=True) & Q(proceeds__isnull=False)),
                name="deposit_item_is_a_count_or_proceeds",
            ),
        ]

    def __str__(self) -> str:
        return f"Item {self.pk} of deposit {self.deposit_id}"


class BankImport(models.Model):
    file_name = models.CharField(max_length=200)
    mapping = models.JSONField(default=dict)
    rows = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"Bank import {self.file_name}"


class BankLine(models.Model):
    """A line of the coalition's bank statement, imported or typed. Never edited; the same
    line (date, amount, reference, description) is refused a second time."""

    class Source(models.TextChoices):
        IMPORTED = "imported", _("Imported")
        TYPED = "typed", _("Typed")

    posted_on = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=300, blank=True)
    amount_cents = models.BigIntegerField(_("amount"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    bank_import = models.ForeignKey(BankImport, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="lines")
    entered_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-posted_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["posted_on", "amount_cents", "reference",
                                            "description"], name="bank_line_once"),
        ]

    def __str__(self) -> str:
        return f"Bank line {self.posted_on} {self.reference}"


class BankMatch(models.Model):
    """A deposit found on the bank statement. ``difference_cents`` is the bank's amount
    less the deposit's counted amount; it must be explained by bank adjustments."""

    bank_line = models.OneToOneField(BankLine, on_delete=models.PROTECT, related_name="match")
    deposit = models.OneToOneField(Deposit, on_delete=models.PROTECT, related_name="match")
    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="+")
    difference_cents = models.BigIntegerField()
    matched_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Deposit {self.deposit_id} on bank line {self.bank_line_id}"


class BankAdjustment(models.Model):
    """What the bank saw differently from the count (a counterfeit note removed, a bank
    recount, a returned check, a foreign item), allocated back to the buckets concerned."""

    class Reason(models.TextChoices):
        COUNTERFEIT = "counterfeit", _("Counterfeit note removed")
        BANK_RECOUNT = "bank_recount", _("Bank recount")
        RETURNED_CHECK = "returned_check", _("Returned check")
        FOREIGN_ITEM = "foreign_item", _("Foreign item")
        OTHER = "other", _("Other")

    deposit = models.ForeignKey(Deposit, on_delete=models.PROTECT, related_name="adjustments")
    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="+")
    amount_cents = models.BigIntegerField(_("amount"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    explanation = models.TextField(_("explanation"))
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_cents=0),
                                   name="bank_adjustment_not_zero"),
        ]

    def __str__(self) -> str:
        return f"Bank adjustment {self.pk} of deposit {self.deposit_id}"


class AdjustmentAllocation(models.Model):
    adjustment = models.ForeignKey(BankAdjustment, on_delete=models.PROTECT,
                                   related_name="allocations")
    agreed = models.ForeignKey(AgreedCount, on_delete=models.PROTECT,
                               related_name="allocations")
    amount_cents = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["adjustment", "agreed"],
                                    name="allocation_once_per_bucket"),
        ]

    def __str__(self) -> str:
        return f"Allocation {self.pk} of bank adjustment {self.adjustment_id}"


class DriveMoneyStep(models.Model):
    """The drive's books reconciled (locked) or reopened. The latest row is the state; the
    figures at reconciliation are kept with it."""

    class Kind(models.TextChoices):
        RECONCILED = "reconciled", _("Reconciled")
        REOPENED = "reopened", _("Reopened")

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT,
                              related_name="money_steps")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.TextField(_("reason"), blank=True)
    counted_cents = models.BigIntegerField(default=0)
    deposited_cents = models.BigIntegerField(default=0)
    bank_cents = models.BigIntegerField(default=0)
    total_cents = models.BigIntegerField(default=0)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["event", "-at", "-id"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id} at {self.at:%Y-%m-%d %H:%M}"


class VarianceNote(models.Model):
    """A variance explained in words when the drive was reconciled."""

    step = models.ForeignKey(DriveMoneyStep, on_delete=models.PROTECT, related_name="notes")
    subject = models.CharField(max_length=120)
    deposit = models.ForeignKey(Deposit, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    amount_cents = models.BigIntegerField()
    explanation = models.TextField(_("explanation"))

    def __str__(self) -> str:
        return f"Variance note {self.pk}: {self.subject}"


class AdjustmentEntry(models.Model):
    """A correction after reconciliation: signed cents, why, who approved, and what it
    corrects (a bucket's agreed count, a deposit or a bank line)."""

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT,
                              related_name="adjustment_entries")
    amount_cents = models.BigIntegerField(_("amount"))
    reason = models.TextField(_("reason"))
    approved_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("approved by"))
    corrects_agreed = models.ForeignKey(AgreedCount, on_delete=models.PROTECT, null=True,
                                        blank=True, related_name="corrections")
    corrects_deposit = models.ForeignKey(Deposit, on_delete=models.PROTECT, null=True,
                                         blank=True, related_name="corrections")
    corrects_bank_line = models.ForeignKey(BankLine, on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="corrections")
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_cents=0),
                                   name="adjustment_entry_not_zero"),
            models.CheckConstraint(
                condition=Q(corrects_agreed__isnull=False) | Q(corrects_deposit__isnull=False)
                | Q(corrects_bank_line__isnull=False),
                name="adjustment_entry_corrects_something",
            ),
        ]

    def __str__(self) -> str:
        return f"Adjustment entry {self.pk} of {self.event_id}"


class MoneyAudit(models.Model):
    """Every money event: who, when, what, before and after, why."""

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+")
    action = models.CharField(max_length=40)
    subject = models.CharField(max_length=120)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True,
                           related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["event", "-at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.subject}"


# --- Card and online gifts, acknowledgments, the accountant's journal (issue 12) -------------


class CardImport(models.Model):
    """One processor export file imported for a drive (all its rows, or none)."""

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT,
                              related_name="card_imports")
    processor = models.CharField(_("processor"), max_length=40)
    file_name = models.CharField(max_length=200)
    mapping = models.JSONField(default=dict)
    rows = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"Card import {self.file_name}"


class CardGift(models.Model):
    """A card or online gift through the coalition's donation page, read from the processor's
    export. ``code`` is the team (or site) giving code as the file had it; ``team``/``site``
    are what it named, or empty when the code was unknown (unattributed). Final once written."""

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT,
                              related_name="card_gifts")
    card_import = models.ForeignKey(CardImport, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="gifts")
    processor = models.CharField(_("processor"), max_length=40)
    reference = models.CharField(_("processor reference"), max_length=120)
    code = models.CharField(_("giving code"), max_length=40, blank=True)
    team = models.ForeignKey("volunteers.Team", on_delete=models.PROTECT, null=True,
                             blank=True, related_name="card_gifts")
    site = models.ForeignKey("events.Site", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="card_gifts")
    amount_cents = models.BigIntegerField(_("amount"))
    fee_cents = models.BigIntegerField(_("processor fee"), default=0)
    donor_name = models.CharField(_("donor name"), max_length=200, blank=True)
    donor_email = models.EmailField(_("donor email"), blank=True)
    donor_language = models.CharField(_("donor language"), max_length=8, blank=True)
    given_at = models.DateTimeField(_("given at"))
    entered_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-given_at", "-pk"]
        indexes = [models.Index(fields=["event", "team"])]
        constraints = [
            models.UniqueConstraint(fields=["processor", "reference"],
                                    name="card_gift_reference_once"),
            models.CheckConstraint(condition=Q(amount_cents__gt=0),
                                   name="card_gift_amount_positive"),
            models.CheckConstraint(condition=Q(fee_cents__gte=0),
                                   name="card_gift_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Card gift {self.processor} {self.reference}"


class Acknowledgment(models.Model):
    """The written acknowledgment a donor of $250 or more is owed, sent by email through the
    outbox or printed as a letter; one per gift (a check or named envelope, or a card gift)."""

    class Method(models.TextChoices):
        EMAIL = "email", _("Email")
        LETTER = "letter", _("Printed letter")

    check_gift = models.OneToOneField(CountCheck, on_delete=models.PROTECT, null=True,
                                      blank=True, related_name="acknowledgment")
    card_gift = models.OneToOneField(CardGift, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="acknowledgment")
    event = models.ForeignKey("events.Event", on_delete=models.PROTECT,
                              related_name="acknowledgments")
    method = models.CharField(_("how"), max_length=10, choices=Method.choices)
    donor_name = models.CharField(_("donor name"), max_length=200)
    to_address = models.CharField(_("sent to"), max_length=300, blank=True)
    language = models.CharField(max_length=8, default="en")
    amount_cents = models.BigIntegerField()
    # What the donor received in exchange (a wristband, a newspaper), and so the deductible part.
    goods_value_cents = models.BigIntegerField(default=0)
    deductible_cents = models.BigIntegerField()
    message = models.ForeignKey("volunteers.Message", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(check_gift__isnull=False) & Q(card_gift__isnull=True))
                | (Q(check_gift__isnull=True) & Q(card_gift__isnull=False)),
                name="acknowledgment_of_one_gift",
            ),
        ]

    def __str__(self) -> str:
        return f"Acknowledgment {self.pk} to {self.donor_name}"


class JournalExport(models.Model):
    """One download of the accountant's CSV journal; its lines are never exported again."""

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    rows = models.PositiveIntegerField(default=0)
    # The file as it was downloaded: a later download of this export is the same bytes, even
    # after a team is renamed or the drive's accounting code changes.
    content = models.TextField(blank=True, editable=False)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"Journal export {self.pk}"


class JournalLine(models.Model):
    """A money record already in an exported journal: (kind, object id) once, ever."""

    export = models.ForeignKey(JournalExport, on_delete=models.PROTECT, related_name="lines")
    kind = models.CharField(max_length=20)
    object_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="journal_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} in export {self.export_id}"
