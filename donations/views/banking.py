"""Deposit and bank pages, for the treasurer at the table the morning after a drive (a tablet
or a laptop): record a deposit slip with the counted buckets in it, type or import the bank's
statement lines, match a deposit to its line, and explain a difference with bank adjustments.

Views parse the forms and call donations/banking.py and donations/bank_csv.py. A refusal
(MoneyError) is shown at its field with HTTP 422 and nothing saved; another treasurer's save
in between (MoneyConflict) answers 409 with the person's own input kept and what is saved now
shown. Only treasurers (and superusers) open these pages; everyone else 403, anonymous people
are sent to log in."""

import json
import re
from collections import defaultdict

from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from events import form_tokens
from events.models import Event
from volunteers.access import role_required

from ..bank_csv import (
    BankImportError,
    bank_import_commit,
    bank_import_preview,
    column_label,
    guess_mapping,
    read_bank_csv,
)
from ..banking import (
    bank_adjustment_create,
    bank_line_create,
    bank_line_remove,
    bank_lines,
    bank_match,
    candidate_lines,
    days_undeposited,
    deposit_add_items,
    deposit_adjustments,
    deposit_buckets,
    deposit_create,
    deposit_delete,
    deposit_items,
    deposit_remove_item,
    deposit_update,
    deposits_for,
    line_label,
    undeposited_alert,
    undeposited_counts,
    undeposited_proceeds,
)
from ..forms_banking import (
    AddItemsForm,
    AdjustmentForm,
    BankLineForm,
    DeleteDepositForm,
    DepositEditForm,
    DepositForm,
    ImportMappingForm,
    ImportUploadForm,
    ItemForm,
    LineForm,
    MatchForm,
)
from ..ledger import MoneyConflict, MoneyError, is_locked
from ..models import AgreedCount, BankLine, Deposit, DepositItem, OddItemProceeds
from ..money import AmountError, format_cents, parse_cents
from ..rules import can_handle_money

INVALID = 422
CONFLICT = 409
LINES_PER_PAGE = 100
PREVIEW_LINES = 100
PREVIEW_ERRORS = 200
SAMPLE_ROWS = 5
IMPORT_SALT = "donations.bank_import"
IMPORT_MAX_AGE = 24 * 3600

treasurers_only = role_required(can_handle_money)


def _show_error(form, error: MoneyError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def _status(error: MoneyError) -> int:
    return CONFLICT if isinstance(error, MoneyConflict) else INVALID


def drive_url(event_id: int) -> str:
    """The drive's books page (the books helper's), or the money home while it is missing."""
    try:
        return reverse("money_drive", args=[event_id])
    except NoReverseMatch:
        return reverse("money_home")


def _int(value) -> int | None:
    value = str(value or "")
    return int(value) if value.isdigit() and len(value) < 12 else None


def _choices(queryset) -> list[tuple[int, str]]:
    return [(pk, str(pk)) for pk in queryset.values_list("pk", flat=True)]


def _with_ages(counts: list[AgreedCount]) -> list[AgreedCount]:
    today = timezone.localdate()
    for count in counts:
        count.age_days = days_undeposited(count, today)
        count.alert = undeposited_alert(count.age_days)
    return counts


def _ticked(values) -> set[int]:
    return {n for n in (_int(v) for v in values) if n is not None}


# --- A new deposit ---------------------------------------------------------------------------


def _selected_totals(counts, proceeds, ticked_counts: set[int], ticked_proceeds: set[int],
                     declared_text: str) -> dict:
    chosen = [c for c in counts if c.pk in ticked_counts]
    chosen_proceeds = [p for p in proceeds if p.pk in ticked_proceeds]
    selected = sum(c.total_cents for c in chosen) + sum(p.amount_cents for p in chosen_proceeds)
    text = str(declared_text or "").strip()
    try:
        declared = parse_cents(text) if text and len(text) <= 20 else None
    except AmountError:
        declared = None
    return {"buckets": len(chosen), "proceeds": len(chosen_proceeds), "selected": selected,
            "declared": declared,
            "difference": None if declared is None else declared - selected}


@treasurers_only
def deposit_new(request, pk: int):
    """The drive's counted buckets not yet banked, ticked into a new deposit with its slip.
    "Add up" shows the ticked total against the slip's total without saving."""
    event = get_object_or_404(Event, pk=pk)
    counts = _with_ages(list(undeposited_counts(event)))
    proceeds = list(undeposited_proceeds(event))
    locked = is_locked(event)
    agreed_choices = _choices(AgreedCount.objects.filter(event=event))
    proceeds_choices = _choices(OddItemProceeds.objects.filter(event=event))
    adding_up = request.method == "POST" and "add_up" in request.POST
    if request.method == "POST" and not adding_up:
        form = DepositForm(request.POST, agreed_choices=agreed_choices,
                           proceeds_choices=proceeds_choices)
    else:
        initial = {}
        if adding_up:  # the same form again, unsaved and without errors, with the totals
            initial = {key: request.POST.get(key, "") for key in
                       ("deposited_on", "depositor", "slip_number", "bag_number",
                        "declared_cents", "note", form_tokens.FIELD)}
            initial["agreed"] = sorted(_ticked(request.POST.getlist("agreed")))
            initial["proceeds"] = sorted(_ticked(request.POST.getlist("proceeds")))
        elif request.GET.get("all"):
            initial = {"agreed": [c.pk for c in counts], "proceeds": [p.pk for p in proceeds]}
        initial.setdefault("depositor", request.user.pk)
        form = DepositForm(initial=initial, agreed_choices=agreed_choices,
                           proceeds_choices=proceeds_choices)
    form_tokens.add_token_field(form)
    token = request.POST.get(form_tokens.FIELD, "") if adding_up else ""
    if re.fullmatch(r"[0-9a-fA-F-]{32,36}", token):  # the same form, still sent once
        form.initial[form_tokens.FIELD] = token
    status = 200
    if request.method == "POST" and not adding_up:
        status = INVALID
        if form.is_valid():
            data = form.cleaned_data
            made: list[Deposit] = []

            def create() -> str:
                deposit = deposit_create(
                    event=event, deposited_on=data["deposited_on"], depositor=data["depositor"],
                    slip_number=data["slip_number"], bag_number=data["bag_number"],
                    declared_cents=data["declared_cents"], agreed_ids=data["agreed"],
                    proceeds_ids=data["proceeds"], note=data["note"], by=request.user)
                made.append(deposit)
                return reverse("money_deposit", args=[deposit.pk])

            try:
                url, created = form_tokens.save_once(user=request.user, form=form,
                                                     create=create)
            except MoneyError as error:
                _show_error(form, error)
                status = _status(error)
            else:
                if created:
                    _deposit_saved_messages(request, made[0])
                else:
                    messages.info(request, _("This deposit was already recorded (the form was "
                                             "sent twice); nothing new was saved."))
                return HttpResponseRedirect(url)
    if form.is_bound:
        ticked_counts = _ticked(request.POST.getlist("agreed"))
        ticked_proceeds = _ticked(request.POST.getlist("proceeds"))
    else:
        ticked_counts = set(form.initial.get("agreed") or ())
        ticked_proceeds = set(form.initial.get("proceeds") or ())
    totals = _selected_totals(counts, proceeds, ticked_counts, ticked_proceeds,
                              request.POST.get("declared_cents", ""))
    return render(request, "donations/money/banking/deposit_new.html", {
        "event": event, "counts": counts, "proceeds": proceeds, "form": form,
        "ticked_counts": ticked_counts, "ticked_proceeds": ticked_proceeds,
        "totals": totals, "shown_totals": request.method == "POST", "locked": locked,
        "drive_url": drive_url(event.pk),
    }, status=status)


def _deposit_saved_messages(request, made: Deposit) -> None:
    deposit = deposits_for(made.event_id).get(pk=made.pk)
    messages.success(request, _("Deposit slip %(slip)s is recorded: %(n)s items, %(amount)s.")
                     % {"slip": deposit.slip_number, "n": deposit.items_count,
                        "amount": format_cents(deposit.counted_cents)})
    if deposit.declared_cents != deposit.counted_cents:
        messages.warning(request, _(
            "The slip says %(declared)s but the counts in it add up to %(counted)s (a "
            "difference of %(difference)s). Check the slip; a difference that stays must be "
            "explained when the drive is reconciled.")
            % {"declared": format_cents(deposit.declared_cents),
               "counted": format_cents(deposit.counted_cents),
               "difference": format_cents(deposit.declared_cents - deposit.counted_cents)})


# --- A deposit's page ------------------------------------------------------------------------


def _deposit_url(deposit_id: int, anchor: str = "") -> str:
    return reverse("money_deposit", args=[deposit_id]) + (f"#{anchor}" if anchor else "")


def _line_choice(line: BankLine, counted: int) -> tuple[int, str]:
    difference = line.amount_cents - counted
    gap = (_("same amount") if difference == 0
           else _("%(amount)s from the count") % {"amount": format_cents(difference)})
    return line.pk, f"{line_label(line)} · {gap}"


def _edit_initial(deposit: Deposit) -> dict:
    return {"deposited_on": deposit.deposited_on, "depositor": deposit.depositor_id,
            "slip_number": deposit.slip_number, "bag_number": deposit.bag_number,
            "declared_cents": deposit.declared_cents, "note": deposit.note,
            "version": deposit.version}


def _undeposited(event: Event) -> tuple[list, list, list, list]:
    counts = _with_ages(list(undeposited_counts(event)))
    proceeds = list(undeposited_proceeds(event))
    return (counts, proceeds, _choices(AgreedCount.objects.filter(event=event)),
            _choices(OddItemProceeds.objects.filter(event=event)))


def _deposit_page(request, deposit_id: int, *, bound: dict | None = None, status: int = 200,
                  error: str = "", confirm: dict | None = None):
    bound = bound or {}
    found = Deposit.objects.filter(pk=deposit_id).values_list("event_id", flat=True).first()
    if found is None:
        messages.error(request, _("That deposit was deleted."))
        return HttpResponseRedirect(reverse("money_home"))
    deposit = (deposits_for(found).select_related("event", "created_by")
               .get(pk=deposit_id))
    event = deposit.event
    locked = is_locked(event)
    match = getattr(deposit, "match", None)
    editable = not locked and match is None
    items = list(deposit_items(deposit))
    counted = deposit.counted_cents
    forms: dict = {}
    counts, proceeds, candidates = [], [], []
    if editable:
        counts, proceeds, agreed_choices, proceeds_choices = _undeposited(event)
        candidates = list(candidate_lines(deposit, counted))
        forms["edit"] = bound.get("edit") or DepositEditForm(
            prefix="edit", initial=_edit_initial(deposit), depositor_id=deposit.depositor_id)
        forms["add"] = bound.get("add") or AddItemsForm(
            prefix="add", agreed_choices=agreed_choices, proceeds_choices=proceeds_choices)
        forms["match"] = bound.get("match") or MatchForm(
            prefix="match", initial={"version": deposit.version},
            choices=[_line_choice(line, counted) for line in candidates])
        forms["delete"] = DeleteDepositForm(prefix="delete",
                                            initial={"version": deposit.version})
    buckets = []
    if match is not None and not locked:
        buckets = deposit_buckets(deposit)
        forms["adjust"] = bound.get("adjust") or AdjustmentForm(
            prefix="adjust", buckets=buckets,
            initial={"amount_cents": deposit.unexplained_cents or None})
    for name, form in bound.items():
        if name not in forms:  # that step no longer fits (matched or locked meanwhile)
            error = error or " ".join(str(m) for errors in form.errors.values()
                                      for m in errors)
    add_form = forms.get("add")
    adding = add_form is not None and add_form.is_bound
    return render(request, "donations/money/banking/deposit.html", {
        "deposit": deposit, "event": event, "items": items, "locked": locked,
        "match": match, "editable": editable, "forms": forms, "counted": counted,
        "declared_difference": deposit.declared_cents - counted,
        "counts": counts, "proceeds": proceeds,
        "ticked_add": _ticked(request.POST.getlist("add-agreed")) if adding else set(),
        "ticked_add_proceeds": (_ticked(request.POST.getlist("add-proceeds")) if adding
                                else set()),
        "candidates": candidates, "adjustments": list(deposit_adjustments(deposit)),
        "buckets": buckets, "error": error, "confirm": confirm,
        "conflict": status == CONFLICT,
        "drive_url": drive_url(event.pk),
    }, status=status)


def _current_version(deposit_id: int) -> int | None:
    return Deposit.objects.filter(pk=deposit_id).values_list("version", flat=True).first()


def _conflict_form(form_class, request, prefix: str, deposit_id: int, error: MoneyError,
                   **kwargs):
    """The person's own input, with the version now saved (so that saving again, after
    reading what is saved now, goes through), and the conflict message."""
    data = request.POST.copy()
    version = _current_version(deposit_id)
    if version is not None:
        data[f"{prefix}-version"] = str(version)
    form = form_class(data, prefix=prefix, **kwargs)
    form.is_valid()
    form.add_error(None, error.message)
    return form


def _edit(request, deposit: Deposit):
    form = DepositEditForm(request.POST, prefix="edit", depositor_id=deposit.depositor_id)
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = deposit_update(
                deposit=deposit, version=data["version"], deposited_on=data["deposited_on"],
                depositor=data["depositor"], slip_number=data["slip_number"],
                bag_number=data["bag_number"], declared_cents=data["declared_cents"],
                note=data["note"], by=request.user)
        except MoneyConflict as error:
            form = _conflict_form(DepositEditForm, request, "edit", deposit.pk, error,
                                  depositor_id=deposit.depositor_id)
            return _deposit_page(request, deposit.pk, bound={"edit": form}, status=CONFLICT)
        except MoneyError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("Deposit slip %(slip)s is saved.")
                             % {"slip": saved.slip_number})
            return HttpResponseRedirect(_deposit_url(deposit.pk))
    return _deposit_page(request, deposit.pk, bound={"edit": form}, status=INVALID)


def _add(request, deposit: Deposit):
    _counts, _proceeds, agreed_choices, proceeds_choices = _undeposited(deposit.event)
    form = AddItemsForm(request.POST, prefix="add", agreed_choices=agreed_choices,
                        proceeds_choices=proceeds_choices)
    status = INVALID
    if form.is_valid():
        try:
            items = deposit_add_items(deposit=deposit, agreed_ids=form.cleaned_data["agreed"],
                                      proceeds_ids=form.cleaned_data["proceeds"],
                                      by=request.user)
        except MoneyError as error:
            _show_error(form, error)
            status = _status(error)
        else:
            messages.success(request, _("Added %(n)s to deposit slip %(slip)s.")
                             % {"n": len(items), "slip": deposit.slip_number})
            return HttpResponseRedirect(_deposit_url(deposit.pk, "items"))
    return _deposit_page(request, deposit.pk, bound={"add": form}, status=status)


def _remove(request, deposit: Deposit):
    form = ItemForm(request.POST)
    if not form.is_valid():
        return _deposit_page(request, deposit.pk, status=INVALID,
                             error=_("Choose an item of this deposit to take out."))
    item = (DepositItem.objects.filter(pk=form.cleaned_data["item"], deposit=deposit)
            .select_related("agreed__bucket", "proceeds__agreed__bucket").first())
    if item is None:
        messages.info(request, _("That item is no longer in this deposit."))
        return HttpResponseRedirect(_deposit_url(deposit.pk, "items"))
    try:
        deposit_remove_item(item=item, by=request.user)
    except MoneyError as error:
        return _deposit_page(request, deposit.pk, status=_status(error), error=error.message)
    bucket = (item.agreed or item.proceeds.agreed).bucket
    messages.success(request, _("Bucket %(number)s is out of deposit slip %(slip)s; it is "
                                "waiting to be deposited again.")
                     % {"number": bucket.number, "slip": deposit.slip_number})
    return HttpResponseRedirect(_deposit_url(deposit.pk, "items"))


def _delete(request, deposit: Deposit):
    form = DeleteDepositForm(request.POST, prefix="delete")
    if not form.is_valid():
        return _deposit_page(request, deposit.pk, status=INVALID,
                             error=_("Reload the page and try again."))
    try:
        deposit_delete(deposit=deposit, version=form.cleaned_data["version"], by=request.user)
    except MoneyError as error:
        return _deposit_page(request, deposit.pk, status=_status(error), error=error.message)
    messages.success(request, _("Deposit slip %(slip)s is deleted; its buckets are waiting to "
                                "be deposited.") % {"slip": deposit.slip_number})
    return HttpResponseRedirect(reverse("money_deposit_new", args=[deposit.event_id]))


class _DryRun(Exception):
    pass


def _match_difference(*, deposit: Deposit, line: BankLine, version: int, by) -> int:
    """The difference the match would record, checked by the service itself and rolled
    back: the confirmation step shows only a match that would go through."""
    try:
        with transaction.atomic():
            match = bank_match(deposit=deposit, bank_line=line, by=by, version=version)
            raise _DryRun(match.difference_cents)
    except _DryRun as run:
        return run.args[0]


def _match(request, deposit: Deposit):
    counted = deposits_for(deposit.event_id).get(pk=deposit.pk).counted_cents
    candidates = list(candidate_lines(deposit, counted))
    choices = [_line_choice(line, counted) for line in candidates]
    form = MatchForm(request.POST, prefix="match", choices=choices)
    status = INVALID
    if form.is_valid():
        data = form.cleaned_data
        line = data["bank_line"]
        try:
            if not data["confirm"]:
                difference = _match_difference(deposit=deposit, line=line,
                                               version=data["version"], by=request.user)
                return _deposit_page(request, deposit.pk, bound={"match": form}, confirm={
                    "line": line, "difference": difference, "counted": counted,
                    "version": data["version"]})
            match = bank_match(deposit=deposit, bank_line=line, by=request.user,
                               version=data["version"])
        except MoneyConflict as error:
            form = _conflict_form(MatchForm, request, "match", deposit.pk, error,
                                  choices=choices)
            status = CONFLICT
        except MoneyError as error:
            _show_error(form, error)
        else:
            if match.difference_cents:
                messages.warning(request, _(
                    "Deposit slip %(slip)s is matched. The bank shows %(difference)s against "
                    "the counts: record what the bank found below.")
                    % {"slip": deposit.slip_number,
                       "difference": format_cents(match.difference_cents)})
            else:
                messages.success(request, _("Deposit slip %(slip)s is matched: the bank shows "
                                            "exactly the counted amount.")
                                 % {"slip": deposit.slip_number})
            return HttpResponseRedirect(_deposit_url(deposit.pk, "bank"))
    return _deposit_page(request, deposit.pk, bound={"match": form}, status=status)


def _adjust(request, deposit: Deposit):
    form = AdjustmentForm(request.POST, prefix="adjust", buckets=deposit_buckets(deposit))
    status = INVALID
    if form.is_valid():
        data = form.cleaned_data
        try:
            adjustment = bank_adjustment_create(
                deposit=deposit, amount_cents=data["amount_cents"], reason=data["reason"],
                explanation=data["explanation"], allocations=form.allocations(),
                by=request.user)
        except MoneyError as error:
            _show_error(form, error)
            status = _status(error)
        else:
            messages.success(request, _("The bank adjustment of %(amount)s is recorded.")
                             % {"amount": format_cents(adjustment.amount_cents)})
            return HttpResponseRedirect(_deposit_url(deposit.pk, "bank"))
    return _deposit_page(request, deposit.pk, bound={"adjust": form}, status=status)


# Each form on a deposit's page says which step it is (a hidden "action").
DEPOSIT_ACTIONS = {"edit": _edit, "add": _add, "remove": _remove, "delete": _delete,
                   "match": _match, "adjust": _adjust}


@treasurers_only
def deposit_detail(request, pk: int):
    """A deposit: its buckets, counted against the slip, its edit form (until matched), the
    match to a bank line, and the bank adjustments that explain a difference."""
    deposit = get_object_or_404(Deposit.objects.select_related("event"), pk=pk)
    if request.method == "POST":
        action = DEPOSIT_ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            return _deposit_page(request, deposit.pk, status=400,
                                 error=_("Choose a step on this page and send its form."))
        return action(request, deposit)
    return _deposit_page(request, deposit.pk)


# --- The bank's lines ------------------------------------------------------------------------


def _back_to_deposit(request) -> Deposit | None:
    deposit_id = _int(request.GET.get("deposit"))
    if deposit_id is None:
        return None
    return Deposit.objects.filter(pk=deposit_id).first()


@treasurers_only
def bank(request):
    """Every bank line, those not matched yet first; a line typed from the statement; a line
    entered by mistake removed while unmatched. ``?deposit=<pk>`` goes back to that deposit
    after typing."""
    back_to = _back_to_deposit(request)
    action = request.POST.get("action", "type") if request.method == "POST" else None
    form = BankLineForm(request.POST if action == "type" else None)
    form_tokens.add_token_field(form)
    status = 200
    error = ""
    if action == "type":
        status = INVALID
        if form.is_valid():
            data = form.cleaned_data

            def create() -> str:
                line = bank_line_create(posted_on=data["posted_on"],
                                        description=data["description"],
                                        amount_cents=data["amount_cents"],
                                        reference=data["reference"], by=request.user)
                if back_to is not None:
                    return _deposit_url(back_to.pk, "match")
                return reverse("money_bank") + f"#line-{line.pk}"

            try:
                url, created = form_tokens.save_once(user=request.user, form=form,
                                                     create=create)
            except MoneyError as error_:
                _show_error(form, error_)
            else:
                if created:
                    messages.success(request, _("The bank line is recorded."))
                else:
                    messages.info(request, _("This line was already recorded (the form was "
                                             "sent twice); nothing new was saved."))
                return HttpResponseRedirect(url)
    elif action == "remove":
        removal = LineForm(request.POST)
        line = (BankLine.objects.filter(pk=removal.cleaned_data["line"]).first()
                if removal.is_valid() else None)
        if line is None:
            messages.info(request, _("That bank line is no longer in Rally."))
            return HttpResponseRedirect(reverse("money_bank"))
        try:
            bank_line_remove(bank_line=line, by=request.user)
        except MoneyError as error_:
            status, error = INVALID, error_.message
        else:
            messages.success(request, _("The bank line %(line)s is removed.")
                             % {"line": line_label(line)})
            return HttpResponseRedirect(reverse("money_bank"))
    elif action is not None:
        status, error = 400, _("Choose a step on this page and send its form.")
    page = Paginator(bank_lines(), LINES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "donations/money/banking/bank.html", {
        "page": page, "form": form, "error": error, "back_to": back_to,
        "unmatched": BankLine.objects.filter(match__isnull=True).count(),
    }, status=status)


# --- Importing the bank's CSV ----------------------------------------------------------------


def _sign(request, name: str, headers: list[str], rows: list[list]) -> str:
    return signing.dumps({"u": request.user.pk, "n": name, "h": headers, "r": rows},
                         salt=IMPORT_SALT, compress=True)


def _unsign(request, value: str) -> dict | None:
    try:
        data = signing.loads(value or "", salt=IMPORT_SALT, max_age=IMPORT_MAX_AGE)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(data, dict) or data.get("u") != request.user.pk:
        return None
    return data


def _mapping_key(mapping: dict) -> str:
    return json.dumps(mapping, sort_keys=True)


def _sample(headers: list[str], rows: list[list]) -> dict:
    """The first rows under their column labels ("C: Amount"), each cell with its label."""
    columns = [column_label(headers, i) for i in range(len(headers))]
    return {"columns": columns,
            "rows": [[number, [(column, cells[i] if i < len(cells) else "")
                               for i, column in enumerate(columns)]]
                     for number, cells in rows[:SAMPLE_ROWS]]}


def _skipped_summary(skipped: list[tuple[int, str]]) -> list[dict]:
    grouped: dict[str, list[int]] = defaultdict(list)
    for number, why in skipped:
        grouped[why].append(number)
    return [{"why": why, "count": len(numbers),
             "rows": ", ".join(str(n) for n in numbers[:20]) + ("…" if len(numbers) > 20
                                                                  else "")}
            for why, numbers in grouped.items()]


def _import_page(request, *, step: str, status: int = 200, upload=None, mapping_form=None,
                 data: dict | None = None, preview=None, import_errors=None, error: str = ""):
    context = {"step": step, "upload": upload or ImportUploadForm(), "form": mapping_form,
               "error": error}
    if data is not None:
        context.update(file_name=data["n"], sample=_sample(data["h"], data["r"]),
                       row_count=len(data["r"]))
    if preview is not None:
        errors = preview.errors
        known_rows = {line.row: existing for line, existing in preview.known}
        new_lines = preview.new_lines()
        context.update(
            errors=errors[:PREVIEW_ERRORS], more_errors=max(0, len(errors) - PREVIEW_ERRORS),
            lines=[{"line": line, "known": known_rows.get(line.row)}
                   for line in preview.lines[:PREVIEW_LINES]],
            more_lines=max(0, len(preview.lines) - PREVIEW_LINES),
            new_count=len(new_lines), known_count=len(preview.known),
            read_count=len(preview.lines),
            new_total=sum(line.amount_cents for line in new_lines),
            skipped=_skipped_summary(preview.skipped),
            can_import=not errors and bool(new_lines))
    if import_errors:
        context["errors"] = import_errors[:PREVIEW_ERRORS]
        context["more_errors"] = max(0, len(import_errors) - PREVIEW_ERRORS)
    return render(request, "donations/money/banking/bank_import.html", context, status=status)


def _guessed_mapping_form(request, data: dict) -> ImportMappingForm:
    """The mapping form as first shown: Rally's guess, and the file signed into it."""
    guess = guess_mapping(data["h"], data["r"])
    return ImportMappingForm(headers=data["h"], initial={
        **{key: guess.get(key) for key in ImportMappingForm.COLUMNS},
        "date_format": guess["date_format"], "decimal": guess["decimal"],
        "money_in_only": guess["money_in_only"],
        "payload": _sign(request, data["n"], data["h"], data["r"])})


def _previewed_mapping_form(request, data: dict, previewed: str) -> ImportMappingForm:
    """The posted mapping form, marked as previewed with the mapping just previewed."""
    posted = request.POST.copy()
    posted["previewed"] = previewed
    form = ImportMappingForm(posted, headers=data["h"])
    form.is_valid()
    return form


@treasurers_only
def bank_import(request):
    """Import the bank's CSV in three steps, nothing saved before the last: upload the file,
    say which column holds what (Rally guesses first), read the preview (every row's
    problem, lines passed over, lines already in Rally), then import all lines at once."""
    if request.method != "POST":
        return _import_page(request, step="upload")
    step = request.POST.get("step", "")
    if step == "upload":
        upload = ImportUploadForm(request.POST, request.FILES)
        if not upload.is_valid():
            return _import_page(request, step="upload", upload=upload, status=INVALID)
        uploaded = upload.cleaned_data["file"]
        try:
            headers, rows = read_bank_csv(uploaded)
        except BankImportError as error:
            upload.add_error("file", error.message)
            return _import_page(request, step="upload", upload=upload, status=INVALID)
        name = str(uploaded.name or "")[:200]
        data = {"n": name, "h": headers, "r": rows}
        return _import_page(request, step="map", data=data,
                            mapping_form=_guessed_mapping_form(request, data))
    if step not in ("preview", "import", "import_new"):
        return _import_page(request, step="upload", status=400,
                            error=_("Choose the file again."))
    data = _unsign(request, request.POST.get("payload", ""))
    if data is None:
        return _import_page(request, step="upload", status=INVALID, error=_(
            "This import has expired or its page was changed. Choose the file again."))
    form = ImportMappingForm(request.POST, headers=data["h"])
    if not form.is_valid():
        return _import_page(request, step="map", data=data, mapping_form=form, status=INVALID)
    mapping = form.mapping()
    key = _mapping_key(mapping)
    if step in ("import", "import_new") and form.cleaned_data["previewed"] == key:
        try:
            done = bank_import_commit(file_name=data["n"], rows=data["r"], mapping=mapping,
                                      headers=data["h"], by=request.user,
                                      skip_known=step == "import_new")
        except BankImportError as error:
            form.add_error(None, _("Nothing was imported: the rows below need attention."))
            return _import_page(request, step="map", data=data, mapping_form=form,
                                import_errors=error.errors, status=INVALID)
        except MoneyError as error:
            _show_error(form, error)
            return _import_page(request, step="map", data=data, mapping_form=form,
                                status=INVALID)
        total = sum(done.lines.values_list("amount_cents", flat=True))
        messages.success(request, ngettext("Imported %(n)s line from %(file)s (%(total)s).",
                                           "Imported %(n)s lines from %(file)s (%(total)s).",
                                           done.rows)
                         % {"n": done.rows, "file": done.file_name,
                            "total": format_cents(total)})
        return HttpResponseRedirect(reverse("money_bank"))
    if step != "preview":
        messages.info(request, _("The columns changed since the preview: check it again, then "
                                 "import."))
    try:
        preview = bank_import_preview(headers=data["h"], rows=data["r"], mapping=mapping)
    except MoneyError as error:
        _show_error(form, error)
        return _import_page(request, step="map", data=data, mapping_form=form, status=INVALID)
    form = _previewed_mapping_form(request, data, key)
    return _import_page(request, step="preview", data=data, mapping_form=form,
                        preview=preview, status=INVALID if preview.errors else 200)
