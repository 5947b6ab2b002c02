"""The treasurers' books pages: the money home (every drive's state and totals, cash waiting
too long for the bank), a drive's books (its state, totals, buckets, variances, deposits and
what stands before reconciliation), reconciling a drive, reopening it (superusers), adjustment
entries, and the audit trail.

Only treasurers (and superusers) open these pages; everyone else gets 403, anonymous people
are sent to log in. Views parse forms and call donations/books.py; a MoneyError is shown at
its field with HTTP 422 and nothing saved, a MoneyConflict with 409 and the person's input
kept. Links to the counting and banking pages go through books/_link.html, which leaves a
link out when its URL name does not exist."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from events import form_tokens
from events.models import Event
from volunteers.access import role_required

from ..books import (
    STATES,
    adjustment_entry_create,
    correction_targets,
    drive_books,
    drive_reconcile,
    drive_reopen,
    drives_with_money,
    undeposited_alerts,
)
from ..forms_books import AdjustmentEntryForm, AuditFilterForm, ReconcileForm, ReopenForm
from ..ledger import MoneyConflict, MoneyError
from ..models import BankLine, CountSession, MoneyAudit
from ..money import format_cents
from ..rules import can_handle_money, can_reopen_books

INVALID = 422
CONFLICT = 409
AUDIT_PER_PAGE = 50

treasurers_only = role_required(can_handle_money)
superusers_only = role_required(can_reopen_books)

STATE_LABELS = {
    "open": gettext_lazy("Open"),
    "counted": gettext_lazy("Counted"),
    "deposited": gettext_lazy("Deposited"),
    "reconciled": gettext_lazy("Reconciled"),
}
SHEET_LABELS = {
    "unopened": gettext_lazy("Not opened"),
    "opened": gettext_lazy("Opened"),
    "counting": gettext_lazy("Count A in"),
    "recount": gettext_lazy("Needs a recount"),
    "agreed": gettext_lazy("Agreed"),
}


def _drive_url(event: Event) -> str:
    return reverse("money_drive", args=[event.pk])


def _steps(state: str) -> list[dict]:
    """The stepper open → counted → deposited → reconciled, with the drive's place on it."""
    here = STATES.index(state)
    return [{"key": key, "label": STATE_LABELS[key], "done": index < here,
             "current": index == here} for index, key in enumerate(STATES)]


def _show_error(form, error: MoneyError, aliases: dict | None = None) -> None:
    field = (aliases or {}).get(error.field, error.field)
    form.add_error(field if field in form.fields else None, error.message)


# --- The money home ------------------------------------------------------------------------


@treasurers_only
def money_home(request):
    """Every drive with money, its state and totals; cash counted but not banked for too long;
    bank lines waiting for a deposit; count sessions still open."""
    drives = drives_with_money()
    for drive in drives:
        drive.state_label = STATE_LABELS[drive.money_state]
    return render(request, "donations/money/books/home.html", {
        "drives": drives,
        "alerts": undeposited_alerts(),
        "unmatched_lines": BankLine.objects.filter(match__isnull=True).count(),
        "open_sessions": list(CountSession.objects.filter(closed_at__isnull=True)
                              .select_related("event").order_by("-started_at", "-pk")[:20]),
    })


# --- A drive's books -----------------------------------------------------------------------


def _books_context(request, event: Event) -> dict:
    books = drive_books(event)
    for trip in books.trips:
        trip.state_label = SHEET_LABELS[trip.sheet_state]
    return {
        "event": event,
        "books": books,
        "steps": _steps(books.state),
        "state_label": STATE_LABELS[books.state],
        "independence": books.independence_refusal(request.user),
        "can_reopen": can_reopen_books(request.user),
        "steps_history": list(event.money_steps.select_related("by")
                              .prefetch_related("notes").order_by("-at", "-pk")),
    }


@treasurers_only
def money_drive(request, pk: int):
    """The drive's books: state, totals, buckets, variances, deposits, sessions, what stands
    before reconciliation, adjustment entries; "Locked" once reconciled."""
    event = get_object_or_404(Event, pk=pk)
    return render(request, "donations/money/books/drive.html", _books_context(request, event))


# --- Reconcile -----------------------------------------------------------------------------


@treasurers_only
def money_reconcile(request, pk: int):
    """Every variance with a box for its explanation; a treasurer who neither counted nor
    deposited the drive's money reconciles, which locks the drive."""
    event = get_object_or_404(Event, pk=pk)
    books = drive_books(event)
    form = ReconcileForm(request.POST or None, variances=books.variances,
                         initial={"seen": books.fingerprint})
    status = 200
    conflict = ""
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            try:
                drive_reconcile(event=event, by=request.user, explanations=form.explanations(),
                                note=form.cleaned_data["note"],
                                seen=form.cleaned_data["seen"] or None)
            except MoneyConflict as error:
                # Show the books as they are now, with what the treasurer typed kept.
                status = CONFLICT
                conflict = error.message
                books = drive_books(event)
                typed = {name: value for name, value in request.POST.items()
                         if name.startswith("explain_") or name == "note"}
                form = ReconcileForm(variances=books.variances,
                                     initial={**typed, "seen": books.fingerprint})
            except MoneyError as error:
                _show_error(form, error, {v.key: form.field_name(v.key)
                                          for v in books.variances})
            else:
                messages.success(request, _("The books of %(drive)s are reconciled and locked.")
                                 % {"drive": event.localized.title})
                return HttpResponseRedirect(_drive_url(event))
    return render(request, "donations/money/books/reconcile.html", {
        "event": event, "books": books, "form": form, "conflict": conflict,
        "independence": books.independence_refusal(request.user),
        "state_label": STATE_LABELS[books.state],
    }, status=status)


# --- Reopen --------------------------------------------------------------------------------


@superusers_only
def money_reopen(request, pk: int):
    """A superuser reopens a reconciled drive, with a reason kept in the audit trail."""
    event = get_object_or_404(Event, pk=pk)
    form = ReopenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            try:
                drive_reopen(event=event, by=request.user, reason=form.cleaned_data["reason"])
            except MoneyConflict as error:
                status = CONFLICT
                _show_error(form, error)
            except MoneyError as error:
                _show_error(form, error)
            else:
                messages.success(request, _("The books of %(drive)s are reopened.")
                                 % {"drive": event.localized.title})
                return HttpResponseRedirect(_drive_url(event))
    books = drive_books(event)
    return render(request, "donations/money/books/reopen.html", {
        "event": event, "books": books, "form": form,
    }, status=status)


# --- Adjustment entries --------------------------------------------------------------------


def _approver_confirms(request, form: AdjustmentEntryForm) -> bool:
    """The approving treasurer's password, checked the way a login is (with its limits)."""
    from allauth.account.adapter import get_adapter

    approver = form.cleaned_data["approved_by"]
    try:
        person = get_adapter(request).authenticate(
            request, email=approver.email, password=form.cleaned_data["approver_password"])
    except ValidationError as error:  # too many wrong passwords: the login limit
        form.add_error("approver_password", error)
        return False
    if person is None or person.pk != approver.pk:
        form.add_error("approver_password", _(
            "That is not %(person)s's password. %(person)s types it here to approve the "
            "entry.") % {"person": approver})
        return False
    return True


@treasurers_only
def money_adjustment_new(request, pk: int):
    """A correction of the drive's books (allowed on a locked drive): the amount, what it
    corrects, why, and another treasurer's approval with their password."""
    event = get_object_or_404(Event, pk=pk)
    form = AdjustmentEntryForm(request.POST or None, targets=correction_targets(event),
                               user=request.user)
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid() and _approver_confirms(request, form):
            data = form.cleaned_data

            def create() -> str:
                entry = adjustment_entry_create(
                    event=event, amount_cents=data["amount"], reason=data["reason"],
                    approved_by=data["approved_by"], by=request.user, **form.target())
                return f"{_drive_url(event)}#entry-{entry.pk}"
            try:
                url, created = form_tokens.save_once(user=request.user, form=form,
                                                     create=create)
            except MoneyError as error:
                _show_error(form, error, {"corrects_agreed": "corrects"})
            else:
                if created:
                    messages.success(request, _("The adjustment entry of %(amount)s is "
                                                "recorded.") % {
                        "amount": format_cents(data["amount"])})
                else:
                    messages.info(request, _("This was already recorded (the form was sent "
                                             "twice); nothing new was saved."))
                return HttpResponseRedirect(url)
    return render(request, "donations/money/books/adjustment_new.html", {
        "event": event, "form": form,
    }, status=status)


# --- The audit trail -----------------------------------------------------------------------


def _label(key: str) -> str:
    return str(key).removesuffix("_cents").replace("_", " ")


def _shown(key, value) -> str:
    """A value of the audit's before/after, for a person: cents as money."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int) and str(key).endswith("_cents"):
        return format_cents(value)
    if isinstance(value, dict):
        return "; ".join(f"{_label(k)}: {_shown(k, v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_shown(key, item) for item in value)
    return str(value)


def audit_changes(row: MoneyAudit) -> list[dict]:
    """The fields an audit line records, each with its value before and after."""
    before = row.before if isinstance(row.before, dict) else {}
    after = row.after if isinstance(row.after, dict) else {}
    changes = []
    for key in [*before, *(k for k in after if k not in before)]:
        changes.append({
            "field": _label(key),
            "before": _shown(key, before[key]) if key in before else "",
            "after": _shown(key, after[key]) if key in after else "",
        })
    if not changes and (row.before is not None or row.after is not None):
        changes.append({"field": "", "before": _shown("", row.before),
                        "after": _shown("", row.after)})
    return changes


@treasurers_only
def money_audit(request):
    """Every money event, newest first: who, when, what, before → after, why (50 a page),
    for one drive with ``?event=<pk>``."""
    drives = Event.objects.filter(
        Exists(MoneyAudit.objects.filter(event=OuterRef("pk")))).order_by("-starts_at", "-pk")
    form = AuditFilterForm(request.GET or None, drives=drives)
    rows = MoneyAudit.objects.select_related("by", "event").order_by("-at", "-pk")
    event = None
    if form.is_bound and form.is_valid():
        event = form.cleaned_data["event"]
        if event is not None:
            rows = rows.filter(event=event)
    page = Paginator(rows, AUDIT_PER_PAGE).get_page(request.GET.get("page"))
    for row in page.object_list:
        row.changes = audit_changes(row)
    return render(request, "donations/money/books/audit.html", {
        "page": page, "form": form, "event": event,
    }, status=200 if not form.is_bound or form.is_valid() else INVALID)
