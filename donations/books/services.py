"""The writes of the books, each in one transaction under the drive's row lock
(donations/ledger.py) and with its audit line: reconciling a drive (by a treasurer who neither
counted nor deposited its money, every variance explained), which locks it; a superuser's
reopening; adjustment entries, the corrections of a drive after it is locked."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from events.dates import local_format
from events.models import Event
from volunteers.models import User

from ..ledger import MoneyConflict, MoneyError, audit, lock_drive
from ..models import (
    AdjustmentEntry,
    AgreedCount,
    BankLine,
    BankMatch,
    CountSession,
    Deposit,
    DriveMoneyStep,
    VarianceNote,
)
from ..money import MAX_CENTS, format_cents
from ..rules import can_handle_money, can_reopen_books
from .drive import EXPLANATION_MAX, REASON_MAX, DriveBooks, drive_books


def _clean_text(value, *, field_name: str, limit: int, empty: str) -> str:
    text = (value or "").strip()
    if not text:
        raise MoneyError(empty, field_name)
    if len(text) > limit:
        raise MoneyError(_("Keep this under %(max)s characters.") % {"max": limit}, field_name)
    return text


def _figures(books: DriveBooks) -> dict:
    return {"counted_cents": books.counted_cents, "deposited_cents": books.deposited_cents,
            "bank_cents": books.bank_cents, "entries_cents": books.entries_cents,
            "total_cents": books.total_cents}


def drive_reconcile(*, event: Event, by: User, explanations: dict[str, str], note: str = "",
                    seen: str | None = None) -> DriveMoneyStep:
    """Reconcile and lock the drive's books. One transaction under the drive's row lock:
    refuses a drive not ready (its blockers, in words), a treasurer who counted or deposited
    any of its money, a variance without words (at the variance's ``key``), and — when
    ``seen`` (the books' fingerprint the page showed) no longer matches — books that changed
    meanwhile (MoneyConflict). Writes the step with the figures, a VarianceNote per explained
    variance, and the audit line ``drive.reconciled``."""
    with transaction.atomic():
        lock_drive(event)
        books = drive_books(event)
        if books.locked:
            raise MoneyConflict(_(
                "%(person)s reconciled this drive a moment ago; it is locked now.")
                % {"person": books.step.by})
        if not can_handle_money(by):
            raise MoneyError(_("Only a treasurer can reconcile a drive."))
        refusal = books.independence_refusal(by)
        if refusal:
            raise MoneyError(refusal)
        if seen is not None and seen != books.fingerprint:
            raise MoneyConflict(_(
                "The books of this drive changed since you opened this page (a count, a "
                "deposit or a bank line was added). Check the figures and variances below "
                "and reconcile again."))
        if not books.ready:
            raise MoneyError(" ".join([_("This drive cannot be reconciled yet."),
                                       *books.blockers]))
        words = {}
        for variance in books.variances:
            text = (explanations.get(variance.key) or "").strip()
            if variance.needs_words and not text:
                raise MoneyError(_("Explain this variance in words."), variance.key)
            if len(text) > EXPLANATION_MAX:
                raise MoneyError(_("Keep this under %(max)s characters.")
                                 % {"max": EXPLANATION_MAX}, variance.key)
            if text:
                words[variance.key] = text
        note = (note or "").strip()
        if len(note) > REASON_MAX:
            raise MoneyError(_("Keep this under %(max)s characters.") % {"max": REASON_MAX},
                             "note")
        step = DriveMoneyStep.objects.create(
            event=event, kind=DriveMoneyStep.Kind.RECONCILED, reason=note, by=by,
            counted_cents=books.counted_cents, deposited_cents=books.deposited_cents,
            bank_cents=books.bank_cents, total_cents=books.total_cents, at=timezone.now())
        VarianceNote.objects.bulk_create([
            VarianceNote(step=step, subject=variance.subject[:120], deposit=variance.deposit,
                         amount_cents=variance.amount_cents or 0,
                         explanation=words[variance.key])
            for variance in books.variances if variance.key in words])
        # Nothing is left to count on a locked drive: its count sessions end here.
        CountSession.objects.filter(event=event, closed_at__isnull=True).update(
            closed_at=step.at, version=F("version") + 1)
        audit(action="drive.reconciled", subject=_("%(drive)s: books reconciled")
              % {"drive": event.title}, by=by, event=event,
              after={**_figures(books), "variances": {
                  v.subject: {"amount_cents": v.amount_cents, "explanation": words.get(v.key)}
                  for v in books.variances}},
              reason=note)
        return step


def drive_reopen(*, event: Event, by: User, reason: str) -> DriveMoneyStep:
    """A superuser reopens a reconciled drive, with a reason: one transaction under the
    drive's row lock, a "reopened" step (the figures as they stand) and the audit line
    ``drive.reopened``. The drive's money can change again until it is reconciled anew."""
    with transaction.atomic():
        lock_drive(event)
        if not can_reopen_books(by):
            raise MoneyError(_("Only a superuser can reopen a reconciled drive."))
        reason = _clean_text(reason, field_name="reason", limit=REASON_MAX,
                             empty=_("Say why the drive's books are reopened."))
        books = drive_books(event)
        if not books.locked:
            raise MoneyConflict(_("This drive is not reconciled, so there is nothing to "
                                  "reopen."), "reason")
        step = DriveMoneyStep.objects.create(
            event=event, kind=DriveMoneyStep.Kind.REOPENED, reason=reason, by=by,
            counted_cents=books.counted_cents, deposited_cents=books.deposited_cents,
            bank_cents=books.bank_cents, total_cents=books.total_cents, at=timezone.now())
        audit(action="drive.reopened", subject=_("%(drive)s: books reopened")
              % {"drive": event.title}, by=by, event=event,
              before={"state": "reconciled", "reconciled_by": books.step.by_id,
                      **_figures(books)},
              after={"state": "reopened"}, reason=reason)
        return step


def adjustment_entry_create(*, event: Event, amount_cents: int, reason: str, approved_by: User,
                            by: User, corrects_agreed: AgreedCount | None = None,
                            corrects_deposit: Deposit | None = None,
                            corrects_bank_line: BankLine | None = None) -> AdjustmentEntry:
    """A correction of the drive's books: signed cents, why, who approved (a treasurer other
    than the one writing it), and the one record of this drive it corrects. Allowed on a
    locked drive, which is what it is for. One transaction under the drive's row lock; the
    audit line ``adjustment.created``."""
    with transaction.atomic():
        lock_drive(event)
        if not can_handle_money(by):
            raise MoneyError(_("Only a treasurer can record an adjustment entry."))
        if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
            raise MoneyError(_("Enter an amount in dollars and cents, like -12.50."), "amount")
        if amount_cents == 0:
            raise MoneyError(_("An adjustment of zero changes nothing: enter the amount to add "
                               "(or, with a minus sign, to take away)."), "amount")
        if abs(amount_cents) > MAX_CENTS:
            raise MoneyError(_("That amount is too large to be right."), "amount")
        reason = _clean_text(reason, field_name="reason", limit=REASON_MAX,
                             empty=_("Say what this entry corrects and why."))
        if approved_by is None or not can_handle_money(approved_by):
            raise MoneyError(_("A treasurer must approve the entry."), "approved_by")
        if approved_by.pk == by.pk:
            raise MoneyError(_("Another treasurer must approve your entry: you cannot approve "
                               "your own."), "approved_by")
        targets = [target for target in (corrects_agreed, corrects_deposit, corrects_bank_line)
                   if target is not None]
        if len(targets) != 1:
            raise MoneyError(_("Choose the one count, deposit or bank line this entry "
                               "corrects."), "corrects")
        if corrects_agreed is not None:
            belongs = corrects_agreed.event_id == event.pk
            subject = _("%(bucket)s's agreed count") % {"bucket": corrects_agreed.bucket}
        elif corrects_deposit is not None:
            belongs = corrects_deposit.event_id == event.pk
            subject = _("deposit slip %(slip)s") % {"slip": corrects_deposit.slip_number}
        else:
            belongs = BankMatch.objects.filter(bank_line=corrects_bank_line,
                                               event=event).exists()
            subject = _("bank line of %(date)s %(reference)s") % {
                "date": local_format(corrects_bank_line.posted_on, "day_month_year"),
                "reference": corrects_bank_line.reference}
        if not belongs:
            raise MoneyError(_("That record is not part of this drive's books."), "corrects")
        entry = AdjustmentEntry.objects.create(
            event=event, amount_cents=amount_cents, reason=reason, approved_by=approved_by,
            by=by, corrects_agreed=corrects_agreed, corrects_deposit=corrects_deposit,
            corrects_bank_line=corrects_bank_line, at=timezone.now())
        audit(action="adjustment.created",
              subject=_("Adjustment entry of %(amount)s on %(subject)s") % {
                  "amount": format_cents(amount_cents), "subject": subject},
              by=by, event=event,
              after={"amount_cents": amount_cents, "approved_by": approved_by.pk,
                     "corrects_agreed": corrects_agreed, "corrects_deposit": corrects_deposit,
                     "corrects_bank_line": corrects_bank_line},
              reason=reason)
        return entry
