"""Deposits and the bank: counted money taken to the bank, the bank's statement lines, the
match between the two, and the bank adjustments that explain a difference.

- A **deposit** (slip, bag, date, who took it) holds agreed counts (and odd items' proceeds);
  each is deposited once (DepositItem's one-to-one keys hold it in the database too). A
  deposit is edited with its ``version`` until it is matched to a bank line; final after.
- A **bank line** is imported from the bank's CSV (donations/bank_csv.py) or typed; the same
  line (date, amount, reference, description) is kept once.
- **Matching** a deposit to a bank line records the difference (bank less counted). A
  difference is explained by **bank adjustments** (a counterfeit note removed, a bank recount,
  a returned check, a foreign item), each allocated back to the buckets it concerns, so that a
  bucket's figure is its agreed count plus proceeds plus its allocations.

Every service here runs in one transaction: it locks the drive's event row
(``ledger.lock_drive``) so that two treasurers changing one drive's books take turns, refuses
anything on a reconciled (locked) drive, validates (``MoneyError(message, field)``, written for
the treasurer), writes its rows and one ``MoneyAudit`` row. Bank lines belong to no drive:
their services lock the bank line row instead (or lean on the unique key)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models import Count as CountOf
from django.db.models.functions import Abs, Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from events.models import Event
from volunteers.models import Role, User
from volunteers.rules import is_treasurer

from .ledger import MoneyConflict, MoneyError, audit, lock_drive, refuse_if_locked
from .models import (
    AdjustmentAllocation,
    AgreedCount,
    BankAdjustment,
    BankLine,
    BankMatch,
    Deposit,
    DepositItem,
    MoneyAudit,
    OddItemProceeds,
)
from .money import MAX_CENTS, format_cents

SLIP_MAX = Deposit._meta.get_field("slip_number").max_length
BAG_MAX = Deposit._meta.get_field("bag_number").max_length
DESCRIPTION_MAX = BankLine._meta.get_field("description").max_length
REFERENCE_MAX = BankLine._meta.get_field("reference").max_length
NOTE_MAX = 2000
EXPLANATION_MAX = 2000
# How many unmatched bank lines the deposit page offers, closest amount first.
CANDIDATE_LINES = 50


# --- Small helpers ---------------------------------------------------------------------------


def one_line(text) -> str:
    """Text as one line with single spaces (bank descriptions, slip numbers)."""
    return " ".join(str(text or "").split())


def day(value: datetime.date) -> str:
    return date_format(value, "DATE_FORMAT")


def _cents(value, field: str, *, signed: bool, allow_zero: bool) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MoneyError(_("Enter an amount in dollars and cents, like 12.50."), field)
    if value < 0 and not signed:
        raise MoneyError(_("The amount cannot be negative."), field)
    if value == 0 and not allow_zero:
        raise MoneyError(_("The amount cannot be zero."), field)
    if abs(value) > MAX_CENTS:
        raise MoneyError(_("That amount is too large to be right."), field)
    return value


def _ids(values, field: str) -> list[int]:
    ids = []
    for value in values or ():
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            raise MoneyError(_("Choose from the list."), field) from None
    return list(dict.fromkeys(ids))


def deposit_subject(deposit: Deposit) -> str:
    return _("Deposit slip %(slip)s") % {"slip": deposit.slip_number}


def treasurers(*, also: int | None = None) -> QuerySet[User]:
    """Who may take money to the bank: treasurers (and superusers), by name; ``also`` adds
    one person (a deposit's depositor who is no longer a treasurer)."""
    who = Q(role_grants__role=Role.TREASURER, is_active=True) | Q(is_superuser=True,
                                                                 is_active=True)
    if also is not None:
        who |= Q(pk=also)
    return User.objects.filter(who).distinct().order_by("display_name", "email")


def _last_saved_by(deposit_id: int) -> str:
    entry = (MoneyAudit.objects.filter(action__startswith="deposit.", after__deposit=deposit_id)
             .select_related("by").order_by("-at", "-pk").first())
    return entry.by.name if entry and entry.by else _("Another treasurer")


def _deposit_conflict(deposit_id: int) -> MoneyConflict:
    return MoneyConflict(
        _("%(person)s saved this deposit a moment ago; your changes were not saved. What is "
          "saved now is shown below and your changes are still in the form: check them and "
          "save again.") % {"person": _last_saved_by(deposit_id)})


def _current_deposit(deposit: Deposit | int) -> Deposit:
    deposit_id = deposit if isinstance(deposit, int) else deposit.pk
    try:
        return Deposit.objects.select_related("depositor", "event").get(pk=deposit_id)
    except Deposit.DoesNotExist:
        raise MoneyConflict(_("This deposit was deleted a moment ago by another treasurer; "
                              "nothing was saved.")) from None


def _refuse_if_matched(deposit: Deposit) -> None:
    match = BankMatch.objects.filter(deposit_id=deposit.pk).select_related("bank_line").first()
    if match is not None:
        raise MoneyError(
            _("Deposit slip %(slip)s is matched to the bank line of %(day)s (%(amount)s) and "
              "can no longer change. A difference with the bank is recorded as a bank "
              "adjustment.") % {"slip": deposit.slip_number, "day": day(match.bank_line.posted_on),
                                "amount": format_cents(match.bank_line.amount_cents)})


# --- Deposits --------------------------------------------------------------------------------


def _clean_deposit(*, deposit_id: int | None, deposited_on, depositor, slip_number,
                   bag_number, declared_cents, note, kept_depositor_id: int | None = None
                   ) -> dict:
    if not isinstance(deposited_on, datetime.date) or isinstance(deposited_on,
                                                                  datetime.datetime):
        raise MoneyError(_("Enter the date on the deposit slip."), "deposited_on")
    if deposited_on > timezone.localdate():
        raise MoneyError(_("%(day)s is in the future. Enter the date on the deposit slip.")
                         % {"day": day(deposited_on)}, "deposited_on")
    if depositor is None or not getattr(depositor, "pk", None):
        raise MoneyError(_("Choose who took the money to the bank."), "depositor")
    # Who took an earlier deposit stays its depositor even if no longer a treasurer.
    if depositor.pk != kept_depositor_id and not is_treasurer(depositor):
        raise MoneyError(_("%(person)s is not a treasurer. The person who takes the money to "
                           "the bank must be one.") % {"person": depositor.name}, "depositor")
    slip = one_line(slip_number)
    if not slip:
        raise MoneyError(_("Enter the number printed on the deposit slip."), "slip_number")
    if len(slip) > SLIP_MAX:
        raise MoneyError(_("A slip number has at most %(max)s characters.") % {"max": SLIP_MAX},
                         "slip_number")
    same_slip = (Deposit.objects.filter(slip_number__iexact=slip).exclude(pk=deposit_id)
                 .select_related("event").first())
    if same_slip is not None:
        raise MoneyError(
            _("Deposit slip %(slip)s is already recorded (%(drive)s, %(day)s). Each slip is "
              "recorded once: open that deposit to add buckets to it.")
            % {"slip": same_slip.slip_number, "drive": same_slip.event.title,
               "day": day(same_slip.deposited_on)}, "slip_number")
    bag = one_line(bag_number)
    if len(bag) > BAG_MAX:
        raise MoneyError(_("A bag number has at most %(max)s characters.") % {"max": BAG_MAX},
                         "bag_number")
    declared = _cents(declared_cents, "declared_cents", signed=False, allow_zero=True)
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        raise MoneyError(_("Keep the note under %(max)s characters.") % {"max": NOTE_MAX},
                         "note")
    return {"deposited_on": deposited_on, "depositor": depositor, "slip_number": slip,
            "bag_number": bag, "declared_cents": declared, "note": text}


def _where_deposited(item: DepositItem) -> str:
    return _("deposit slip %(slip)s of %(day)s") % {"slip": item.deposit.slip_number,
                                                     "day": day(item.deposit.deposited_on)}


def _items_to_add(*, event: Event, agreed_ids, proceeds_ids, deposited_on: datetime.date
                  ) -> tuple[list[AgreedCount], list[OddItemProceeds]]:
    """The agreed counts and proceeds chosen for a deposit, each checked: of this drive, not
    deposited yet, back from the street by the deposit date."""
    agreed_ids = _ids(agreed_ids, "agreed")
    proceeds_ids = _ids(proceeds_ids, "proceeds")
    agreed = list(AgreedCount.objects.filter(pk__in=agreed_ids)
                  .select_related("bucket", "event", "sheet__returned",
                                  "deposit_item__deposit")
                  .order_by("bucket__number", "pk"))
    proceeds = list(OddItemProceeds.objects.filter(pk__in=proceeds_ids)
                    .select_related("odd_item", "agreed__bucket", "event",
                                    "deposit_item__deposit")
                    .order_by("pk"))
    if len(agreed) != len(agreed_ids) or len(proceeds) != len(proceeds_ids):
        raise MoneyError(_("One of the chosen counts no longer exists. Reload the page and "
                           "choose again."), "agreed" if len(agreed) != len(agreed_ids)
                         else "proceeds")
    for count in agreed:
        if count.event_id != event.pk:
            raise MoneyError(
                _("The count of bucket %(number)s belongs to another drive (%(drive)s).")
                % {"number": count.bucket.number, "drive": count.event.title}, "agreed")
        item = getattr(count, "deposit_item", None)
        if item is not None:
            raise MoneyError(
                _("Bucket %(number)s is already in %(where)s: a count is deposited once. "
                  "Untick it.") % {"number": count.bucket.number,
                                   "where": _where_deposited(item)}, "agreed")
        back_on = timezone.localdate(count.sheet.returned.at)
        if back_on > deposited_on:
            raise MoneyError(
                _("Bucket %(number)s came back on %(back)s, after the deposit date "
                  "(%(day)s). Check the date on the slip.")
                % {"number": count.bucket.number, "back": day(back_on),
                   "day": day(deposited_on)}, "agreed")
    for posted in proceeds:
        described = {"item": posted.odd_item.description, "number": posted.agreed.bucket.number}
        if posted.event_id != event.pk:
            raise MoneyError(_("“%(item)s” (bucket %(number)s) belongs to another drive.")
                             % described, "proceeds")
        item = getattr(posted, "deposit_item", None)
        if item is not None:
            raise MoneyError(_("The proceeds of “%(item)s” (bucket %(number)s) are already in "
                               "%(where)s.") % {**described, "where": _where_deposited(item)},
                             "proceeds")
        if posted.amount_cents <= 0:
            raise MoneyError(_("“%(item)s” (bucket %(number)s) brought nothing: there is no "
                               "money to deposit.") % described, "proceeds")
    return agreed, proceeds


def _insert_items(deposit: Deposit, agreed: list[AgreedCount],
                  proceeds: list[OddItemProceeds], by: User) -> list[DepositItem]:
    rows = [DepositItem(deposit=deposit, agreed=count, amount_cents=count.total_cents,
                        added_by=by) for count in agreed]
    rows += [DepositItem(deposit=deposit, proceeds=posted, amount_cents=posted.amount_cents,
                         added_by=by) for posted in proceeds]
    try:
        with transaction.atomic():
            return DepositItem.objects.bulk_create(rows)
    except IntegrityError:
        # The one-to-one keys: another deposit took one of these meanwhile.
        raise MoneyConflict(_("Another treasurer put one of these buckets in a deposit a "
                              "moment ago; nothing was saved. Reload the page to see where it "
                              "went."), "agreed") from None


def _items_record(agreed: list[AgreedCount], proceeds: list[OddItemProceeds]) -> list[dict]:
    return ([{"agreed": c.pk, "bucket": c.bucket.number, "amount_cents": c.total_cents}
             for c in agreed]
            + [{"proceeds": p.pk, "bucket": p.agreed.bucket.number,
                "amount_cents": p.amount_cents} for p in proceeds])


def _deposit_record(deposit: Deposit) -> dict:
    return {"deposit": deposit.pk, "deposited_on": deposit.deposited_on,
            "depositor": deposit.depositor_id, "slip_number": deposit.slip_number,
            "bag_number": deposit.bag_number, "declared_cents": deposit.declared_cents,
            "note": deposit.note}


@transaction.atomic
def deposit_create(*, event: Event, deposited_on: datetime.date, depositor: User,
                   slip_number: str, bag_number: str = "", declared_cents: int,
                   agreed_ids=(), proceeds_ids=(), note: str = "", by: User) -> Deposit:
    """Record a deposit slip and the agreed counts (and odd items' proceeds) it holds. Locks
    the drive; refused on a locked drive, for a depositor who is not a treasurer, a slip
    number already recorded, a count of another drive or already deposited (named at the
    field), a date in the future or before a chosen bucket came back. Audit
    ``deposit.created``."""
    event = lock_drive(event)
    refuse_if_locked(event)
    fields = _clean_deposit(deposit_id=None, deposited_on=deposited_on,
                            depositor=depositor, slip_number=slip_number,
                            bag_number=bag_number, declared_cents=declared_cents, note=note)
    agreed, proceeds = _items_to_add(event=event, agreed_ids=agreed_ids,
                                     proceeds_ids=proceeds_ids,
                                     deposited_on=fields["deposited_on"])
    if not agreed and not proceeds:
        raise MoneyError(_("Tick the counted buckets that went into this deposit."), "agreed")
    deposit = Deposit.objects.create(event=event, created_by=by, **fields)
    _insert_items(deposit, agreed, proceeds, by)
    items = _items_record(agreed, proceeds)
    audit(action="deposit.created", subject=deposit_subject(deposit), by=by, event=event,
          after={**_deposit_record(deposit), "items": items,
                 "counted_cents": sum(item["amount_cents"] for item in items)})
    return deposit


@transaction.atomic
def deposit_update(*, deposit: Deposit, version: int, deposited_on: datetime.date,
                   depositor: User, slip_number: str, bag_number: str, declared_cents: int,
                   note: str, by: User) -> Deposit:
    """Change an unmatched deposit's slip details. ``version`` is the one the form was made
    from: a stale one (another treasurer saved first) raises MoneyConflict and changes
    nothing. Refused once matched or on a locked drive. Audit ``deposit.edited`` with the
    changed fields before and after."""
    event = lock_drive(deposit.event_id)
    refuse_if_locked(event)
    current = _current_deposit(deposit)
    _refuse_if_matched(current)
    if int(version) != current.version:
        raise _deposit_conflict(current.pk)
    fields = _clean_deposit(deposit_id=current.pk, deposited_on=deposited_on,
                            depositor=depositor, slip_number=slip_number,
                            bag_number=bag_number, declared_cents=declared_cents, note=note,
                            kept_depositor_id=current.depositor_id)
    first_back = (DepositItem.objects.filter(deposit=current, agreed__isnull=False)
                  .select_related("agreed__bucket", "agreed__sheet__returned")
                  .order_by("-agreed__sheet__returned__at").first())
    if first_back is not None:
        back_on = timezone.localdate(first_back.agreed.sheet.returned.at)
        if back_on > fields["deposited_on"]:
            raise MoneyError(
                _("Bucket %(number)s came back on %(back)s, after that date. Check the date "
                  "on the slip.") % {"number": first_back.agreed.bucket.number,
                                     "back": day(back_on)}, "deposited_on")
    before = _deposit_record(current)
    wanted = {**fields, "depositor": fields["depositor"].pk}
    changed = [name for name, value in wanted.items() if before[name] != value]
    if not changed:
        return current
    updated = Deposit.objects.filter(pk=current.pk, version=current.version).update(
        **{name: fields[name] for name in changed}, version=F("version") + 1)
    if not updated:  # pragma: no cover - the drive lock makes this a backstop
        raise _deposit_conflict(current.pk)
    current.refresh_from_db()
    after = _deposit_record(current)
    audit(action="deposit.edited", subject=deposit_subject(current), by=by, event=event,
          before={"deposit": current.pk, **{name: before[name] for name in changed}},
          after={"deposit": current.pk, "version": current.version,
                 **{name: after[name] for name in changed}})
    return current


@transaction.atomic
def deposit_add_items(*, deposit: Deposit, agreed_ids=(), proceeds_ids=(), by: User
                      ) -> list[DepositItem]:
    """Put more agreed counts (or proceeds) into an unmatched deposit; the same checks as
    ``deposit_create``. Audit ``deposit.items_added``."""
    event = lock_drive(deposit.event_id)
    refuse_if_locked(event)
    current = _current_deposit(deposit)
    _refuse_if_matched(current)
    agreed, proceeds = _items_to_add(event=event, agreed_ids=agreed_ids,
                                     proceeds_ids=proceeds_ids,
                                     deposited_on=current.deposited_on)
    if not agreed and not proceeds:
        raise MoneyError(_("Tick the counted buckets to add to this deposit."), "agreed")
    items = _insert_items(current, agreed, proceeds, by)
    audit(action="deposit.items_added", subject=deposit_subject(current), by=by, event=event,
          after={"deposit": current.pk, "items": _items_record(agreed, proceeds),
                 "counted_cents": deposit_counted_cents(current)})
    return items


@transaction.atomic
def deposit_remove_item(*, item: DepositItem, by: User) -> None:
    """Take an agreed count (or proceeds) out of an unmatched deposit: it is undeposited again.
    An item already removed is left alone. Audit ``deposit.item_removed``."""
    deposit_id = item.deposit_id
    event_id = Deposit.objects.filter(pk=deposit_id).values_list("event_id", flat=True).first()
    if event_id is None:
        return
    event = lock_drive(event_id)
    refuse_if_locked(event)
    current = _current_deposit(deposit_id)
    _refuse_if_matched(current)
    found = (DepositItem.objects.filter(pk=item.pk, deposit_id=deposit_id)
             .select_related("agreed__bucket", "proceeds__agreed__bucket",
                             "proceeds__odd_item").first())
    if found is None:
        return
    bucket = (found.agreed or found.proceeds.agreed).bucket
    record = {"deposit": current.pk, "item": found.pk, "bucket": bucket.number,
              "amount_cents": found.amount_cents,
              "agreed" if found.agreed_id else "proceeds": found.agreed_id or found.proceeds_id}
    found.delete()
    audit(action="deposit.item_removed", subject=deposit_subject(current), by=by, event=event,
          before=record, after={"deposit": current.pk,
                                "counted_cents": deposit_counted_cents(current)})


@transaction.atomic
def deposit_delete(*, deposit: Deposit, version: int, by: User) -> None:
    """Delete an unmatched deposit recorded by mistake; its counts are undeposited again.
    Stale ``version`` → MoneyConflict. Audit ``deposit.deleted`` with what it held."""
    event = lock_drive(deposit.event_id)
    refuse_if_locked(event)
    current = _current_deposit(deposit)
    _refuse_if_matched(current)
    if int(version) != current.version:
        raise _deposit_conflict(current.pk)
    items = list(DepositItem.objects.filter(deposit=current)
                 .select_related("agreed__bucket", "proceeds__agreed__bucket"))
    record = {**_deposit_record(current), "items": [
        {"bucket": (i.agreed or i.proceeds.agreed).bucket.number,
         "amount_cents": i.amount_cents} for i in items]}
    DepositItem.objects.filter(deposit=current).delete()
    current.delete()
    audit(action="deposit.deleted", subject=deposit_subject(current), by=by, event=event,
          before=record)


def deposit_counted_cents(deposit: Deposit) -> int:
    """What the deposit holds by the counts: the sum of its items (``deposits_for``'s
    annotation when present)."""
    annotated = getattr(deposit, "counted_cents", None)
    if annotated is not None:
        return int(annotated)
    total = DepositItem.objects.filter(deposit_id=deposit.pk).aggregate(
        total=Sum("amount_cents"))["total"]
    return int(total or 0)


def deposit_unexplained_cents(deposit: Deposit) -> int | None:
    """The part of a matched deposit's bank difference no bank adjustment explains yet: the
    difference less the adjustments (0 when explained). None while the deposit is not matched
    (there is no difference to explain yet)."""
    annotated = getattr(deposit, "unexplained_cents", "absent")
    if annotated != "absent":
        return annotated
    match = BankMatch.objects.filter(deposit_id=deposit.pk).first()
    if match is None:
        return None
    adjusted = BankAdjustment.objects.filter(deposit_id=deposit.pk).aggregate(
        total=Sum("amount_cents"))["total"] or 0
    return match.difference_cents - adjusted


def _sum_by_deposit(queryset: QuerySet) -> Coalesce:
    """A correlated sum of ``amount_cents`` of ``queryset`` (filtered on OuterRef("pk"))."""
    return Coalesce(Subquery(queryset.values("deposit_id").annotate(total=Sum("amount_cents"))
                             .values("total")[:1]), Value(0), output_field=BigIntegerField())


def deposits_for(event: Event | int) -> QuerySet[Deposit]:
    """The drive's deposits for list pages, in a constant number of queries: each with its
    depositor, match and bank line, and ``counted_cents``, ``items_count``,
    ``adjusted_cents`` and ``unexplained_cents`` (None while unmatched)."""
    event_id = event if isinstance(event, int) else event.pk
    items = DepositItem.objects.filter(deposit=OuterRef("pk"))
    counted = _sum_by_deposit(items)
    count = Coalesce(Subquery(items.values("deposit_id").annotate(n=CountOf("pk"))
                              .values("n")[:1]), Value(0), output_field=IntegerField())
    adjusted = _sum_by_deposit(BankAdjustment.objects.filter(deposit=OuterRef("pk")))
    return (Deposit.objects.filter(event_id=event_id)
            .select_related("depositor", "match__bank_line", "match__matched_by")
            .annotate(counted_cents=counted, items_count=count, adjusted_cents=adjusted)
            .annotate(unexplained_cents=Case(
                When(match__isnull=False,
                     then=F("match__difference_cents") - F("adjusted_cents")),
                default=None, output_field=BigIntegerField()))
            .order_by("-deposited_on", "-pk"))


def deposit_items(deposit: Deposit) -> QuerySet[DepositItem]:
    return (DepositItem.objects.filter(deposit_id=deposit.pk)
            .select_related("agreed__bucket", "agreed__team", "proceeds__odd_item",
                            "proceeds__agreed__bucket", "proceeds__agreed__team", "added_by")
            .order_by("pk"))


def undeposited_counts(event: Event | int) -> QuerySet[AgreedCount]:
    """The drive's agreed counts not in any deposit, by bucket number."""
    event_id = event if isinstance(event, int) else event.pk
    return (AgreedCount.objects.filter(event_id=event_id, deposit_item__isnull=True)
            .select_related("bucket", "team", "sheet__returned")
            .order_by("bucket__number", "pk"))


def undeposited_proceeds(event: Event | int) -> QuerySet[OddItemProceeds]:
    event_id = event if isinstance(event, int) else event.pk
    return (OddItemProceeds.objects.filter(event_id=event_id, deposit_item__isnull=True,
                                           amount_cents__gt=0)
            .select_related("odd_item", "agreed__bucket").order_by("agreed__bucket__number",
                                                                   "pk"))


def days_undeposited(agreed: AgreedCount, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    return max(0, (today - timezone.localdate(agreed.agreed_at)).days)


def undeposited_alert(days: int) -> bool:
    """Counted cash kept longer than ``settings.MONEY_UNDEPOSITED_ALERT_DAYS`` is an alert."""
    return days > settings.MONEY_UNDEPOSITED_ALERT_DAYS


def deposit_adjustments(deposit: Deposit) -> QuerySet[BankAdjustment]:
    return (BankAdjustment.objects.filter(deposit_id=deposit.pk).select_related("by")
            .prefetch_related(Prefetch(
                "allocations", queryset=AdjustmentAllocation.objects
                .select_related("agreed__bucket").order_by("agreed__bucket__number")))
            .order_by("at", "pk"))


def candidate_lines(deposit: Deposit, counted_cents: int) -> QuerySet[BankLine]:
    """Unmatched lines of money in, posted on or after the deposit date, closest amount
    first (then the earliest)."""
    return (BankLine.objects.filter(match__isnull=True, amount_cents__gt=0,
                                    posted_on__gte=deposit.deposited_on)
            .annotate(distance=Abs(F("amount_cents") - Value(counted_cents)))
            .order_by("distance", "posted_on", "pk")[:CANDIDATE_LINES])


# --- Bank lines ------------------------------------------------------------------------------


def clean_bank_line(*, posted_on, description, amount_cents, reference, field_prefix: str = ""
                    ) -> dict:
    """A bank line's fields made tidy (one line each, within the columns' sizes) or a
    MoneyError at the field. Shared by the typed form and the CSV import."""
    if not isinstance(posted_on, datetime.date) or isinstance(posted_on, datetime.datetime):
        raise MoneyError(_("Enter the date the bank posted the line."), "posted_on")
    if posted_on > timezone.localdate():
        raise MoneyError(_("%(day)s is in the future: the bank cannot have posted it yet.")
                         % {"day": day(posted_on)}, "posted_on")
    amount = _cents(amount_cents, "amount_cents", signed=True, allow_zero=False)
    text = one_line(description)
    if len(text) > DESCRIPTION_MAX:
        raise MoneyError(_("A description has at most %(max)s characters.")
                         % {"max": DESCRIPTION_MAX}, "description")
    ref = one_line(reference)
    if len(ref) > REFERENCE_MAX:
        raise MoneyError(_("A reference has at most %(max)s characters.")
                         % {"max": REFERENCE_MAX}, "reference")
    return {"posted_on": posted_on, "description": text, "amount_cents": amount,
            "reference": ref}


def same_line(*, posted_on, amount_cents, reference, description) -> BankLine | None:
    return (BankLine.objects.filter(posted_on=posted_on, amount_cents=amount_cents,
                                    reference=reference, description=description)
            .select_related("bank_import", "entered_by").first())


def line_label(line: BankLine) -> str:
    """"Jun 3, 2026, $1,234.50, “DEPOSIT”, reference 4471"."""
    parts = [day(line.posted_on), format_cents(line.amount_cents)]
    if line.description:
        parts.append(f"“{line.description}”")
    if line.reference:
        parts.append(_("reference %(ref)s") % {"ref": line.reference})
    return ", ".join(parts)


def line_origin(line: BankLine) -> str:
    when = date_format(timezone.localtime(line.at), "DATE_FORMAT")
    if line.bank_import_id:
        return _("imported from %(file)s by %(person)s on %(when)s") % {
            "file": line.bank_import.file_name, "person": line.entered_by.name, "when": when}
    return _("typed by %(person)s on %(when)s") % {"person": line.entered_by.name, "when": when}


def already_recorded_message(line: BankLine) -> str:
    return _("This bank line is already in Rally: %(line)s (%(origin)s). Each line of the "
             "statement is recorded once.") % {"line": line_label(line),
                                               "origin": line_origin(line)}


@transaction.atomic
def bank_line_create(*, posted_on: datetime.date, description: str, amount_cents: int,
                     reference: str = "", by: User) -> BankLine:
    """Record a statement line typed from the bank's website or paper statement. The same
    line (date, amount, reference, description) already recorded is refused with a message
    naming it. Audit ``bank_line.typed``."""
    fields = clean_bank_line(posted_on=posted_on, description=description,
                             amount_cents=amount_cents, reference=reference)
    existing = same_line(**fields)
    if existing is not None:
        raise MoneyError(already_recorded_message(existing))
    try:
        with transaction.atomic():
            line = BankLine.objects.create(source=BankLine.Source.TYPED, entered_by=by,
                                           **fields)
    except IntegrityError:
        existing = same_line(**fields)
        raise MoneyError(already_recorded_message(existing) if existing else _(
            "This bank line was recorded a moment ago by another treasurer.")) from None
    audit(action="bank_line.typed", subject=_("Bank line %(line)s") % {
        "line": line_label(line)}, by=by, after={"bank_line": line.pk, **fields})
    return line


@transaction.atomic
def bank_line_remove(*, bank_line: BankLine, by: User) -> None:
    """Remove a line typed (or imported) by mistake, while it is matched to no deposit.
    Audit ``bank_line.removed`` with the whole line."""
    line = (BankLine.objects.select_for_update().filter(pk=bank_line.pk).first())
    if line is None:
        return
    match = BankMatch.objects.filter(bank_line=line).select_related("deposit").first()
    if match is not None:
        raise MoneyError(_("This bank line is matched to deposit slip %(slip)s and stays in "
                           "the books.") % {"slip": match.deposit.slip_number})
    record = {"bank_line": line.pk, "posted_on": line.posted_on,
              "description": line.description, "amount_cents": line.amount_cents,
              "reference": line.reference, "source": line.source,
              "bank_import": line.bank_import_id}
    label = line_label(line)
    line.delete()
    audit(action="bank_line.removed", subject=_("Bank line %(line)s") % {"line": label},
          by=by, before=record)


def bank_lines() -> QuerySet[BankLine]:
    """Every bank line for the bank page, unmatched first, newest first, with where it came
    from and what it matches (a constant number of queries)."""
    return (BankLine.objects
            .annotate(matched=Exists(BankMatch.objects.filter(bank_line=OuterRef("pk"))))
            .select_related("bank_import", "entered_by", "match__deposit__event")
            .order_by("matched", "-posted_on", "-pk"))


# --- Matching and adjustments ----------------------------------------------------------------


@transaction.atomic
def bank_match(*, deposit: Deposit, bank_line: BankLine, by: User,
               version: int | None = None) -> BankMatch:
    """Match a deposit to the bank line where the bank shows it. Records the difference
    (bank less counted); the deposit and the line are final from then on. Locks the drive,
    then the bank line row. Refused: a locked drive, a deposit already matched or with
    nothing in it, a line matched to another deposit, a line of money out, a line posted
    before the deposit date; a stale ``version`` (the deposit changed since the page was
    shown) raises MoneyConflict. Audit ``deposit.matched``."""
    event = lock_drive(deposit.event_id)
    refuse_if_locked(event)
    current = _current_deposit(deposit)
    existing = BankMatch.objects.filter(deposit=current).select_related("bank_line").first()
    if existing is not None:
        raise MoneyError(_("Deposit slip %(slip)s is already matched to the bank line %(line)s.")
                         % {"slip": current.slip_number,
                            "line": line_label(existing.bank_line)})
    if version is not None and int(version) != current.version:
        raise _deposit_conflict(current.pk)
    line = BankLine.objects.select_for_update().filter(pk=bank_line.pk).first()
    if line is None:
        raise MoneyError(_("That bank line was removed a moment ago. Choose another."),
                         "bank_line")
    taken = BankMatch.objects.filter(bank_line=line).select_related("deposit__event").first()
    if taken is not None:
        raise MoneyError(_("That bank line is already matched to deposit slip %(slip)s "
                           "(%(drive)s). Choose another.")
                         % {"slip": taken.deposit.slip_number,
                            "drive": taken.deposit.event.title}, "bank_line")
    if line.amount_cents <= 0:
        raise MoneyError(_("That bank line takes money out of the account; a deposit is "
                           "money coming in. Choose another."), "bank_line")
    if line.posted_on < current.deposited_on:
        raise MoneyError(_("The bank posted that line on %(posted)s, before the deposit date "
                           "(%(day)s). Choose another line, or correct the deposit date first.")
                         % {"posted": day(line.posted_on), "day": day(current.deposited_on)},
                         "bank_line")
    if not DepositItem.objects.filter(deposit=current).exists():
        raise MoneyError(_("This deposit holds no counted buckets yet: add them before "
                           "matching it to the bank."))
    counted = deposit_counted_cents(current)
    try:
        with transaction.atomic():
            match = BankMatch.objects.create(bank_line=line, deposit=current, event=event,
                                             difference_cents=line.amount_cents - counted,
                                             matched_by=by)
    except IntegrityError:  # pragma: no cover - the locks make this a backstop
        raise MoneyConflict(_("Another treasurer matched this deposit or this line a moment "
                              "ago; nothing was saved. Reload the page.")) from None
    audit(action="deposit.matched", subject=deposit_subject(current), by=by, event=event,
          after={"deposit": current.pk, "bank_line": line.pk,
                 "bank_cents": line.amount_cents, "counted_cents": counted,
                 "difference_cents": match.difference_cents})
    return match


def deposit_buckets(deposit: Deposit) -> list[AgreedCount]:
    """The agreed counts a bank adjustment of this deposit may be allocated to: its counts,
    and the counts whose odd items' proceeds it holds; by bucket number."""
    items = DepositItem.objects.filter(deposit_id=deposit.pk)
    ids = set(items.filter(agreed__isnull=False).values_list("agreed_id", flat=True))
    ids |= set(items.filter(proceeds__isnull=False).values_list("proceeds__agreed_id",
                                                                 flat=True))
    return list(AgreedCount.objects.filter(pk__in=ids).select_related("bucket", "team")
                .order_by("bucket__number", "pk"))


@transaction.atomic
def bank_adjustment_create(*, deposit: Deposit, amount_cents: int, reason: str,
                           explanation: str, allocations: dict, by: User) -> BankAdjustment:
    """Explain (part of) a matched deposit's difference with the bank: signed cents (what the
    bank's figure changes the buckets' figures by: a $20 counterfeit removed is -20.00), a
    reason, an explanation in words, and the amount allocated to the buckets it concerns
    (``{agreed_id: cents}``, summing to the amount; zero shares are dropped). Refused on a
    locked drive or an unmatched deposit. Audit ``bank_adjustment.created``."""
    event = lock_drive(deposit.event_id)
    refuse_if_locked(event)
    current = _current_deposit(deposit)
    if not BankMatch.objects.filter(deposit=current).exists():
        raise MoneyError(_("Match this deposit to its bank line first: an adjustment explains "
                           "a difference between the bank and the counts."))
    amount = _cents(amount_cents, "amount_cents", signed=True, allow_zero=False)
    if reason not in BankAdjustment.Reason.values:
        raise MoneyError(_("Choose what the bank found."), "reason")
    words = (explanation or "").strip()
    if not words:
        raise MoneyError(_("Explain in words what happened, as the bank told you (which note, "
                           "which check, the bank's letter)."), "explanation")
    if len(words) > EXPLANATION_MAX:
        raise MoneyError(_("Keep the explanation under %(max)s characters.")
                         % {"max": EXPLANATION_MAX}, "explanation")
    buckets = {count.pk: count for count in deposit_buckets(current)}
    shares: dict[int, int] = {}
    for key, cents in (allocations or {}).items():
        try:
            agreed_id = int(key)
        except (TypeError, ValueError):
            raise MoneyError(_("Choose buckets of this deposit."), "allocations") from None
        field = f"allocation_{agreed_id}"
        if agreed_id not in buckets:
            raise MoneyError(_("That bucket is not in this deposit."), field)
        cents = _cents(cents, field, signed=True, allow_zero=True)
        if cents:
            shares[agreed_id] = cents
    if not shares:
        raise MoneyError(_("Give the buckets the adjustment concerns their share of it."),
                         "allocations")
    given = sum(shares.values())
    if given != amount:
        raise MoneyError(_("The buckets' shares add up to %(given)s but the adjustment is "
                           "%(amount)s: they must add up to the adjustment.")
                         % {"given": format_cents(given), "amount": format_cents(amount)},
                         "allocations")
    adjustment = BankAdjustment.objects.create(deposit=current, event=event,
                                               amount_cents=amount, reason=reason,
                                               explanation=words, by=by)
    AdjustmentAllocation.objects.bulk_create([
        AdjustmentAllocation(adjustment=adjustment, agreed_id=agreed_id, amount_cents=cents)
        for agreed_id, cents in shares.items()])
    audit(action="bank_adjustment.created", subject=deposit_subject(current), by=by,
          event=event, reason=words,
          after={"deposit": current.pk, "adjustment": adjustment.pk, "amount_cents": amount,
                 "reason": reason, "allocations": {
                     str(buckets[agreed_id].bucket.number): cents
                     for agreed_id, cents in shares.items()},
                 "unexplained_cents": deposit_unexplained_cents(current)})
    return adjustment
