"""The counting table, made for a treasurer's tablet at 9 pm: open a count session, open the
returned buckets, count each one blind (A, then B by another treasurer who signs in on the
same tablet, then a recount when they differ), and post what odd items brought.

Views read the forms and call donations/counting.py. A MoneyError is shown at the field it
names with HTTP 422; a MoneyConflict (someone saved first) with 409; in both cases nothing is
saved and everything typed is shown again. Only treasurers (and superusers) open these pages;
everyone else gets 403, anonymous visitors are sent to log in. The pages that show or take
figures are never cached (a tablet's back button must not show the previous counter's
figures to the next one)."""

import re

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from events import form_tokens
from events.models import Event, EventKind
from volunteers.access import role_required

from ..counting import (
    count_outcome,
    count_submit,
    counter_refusal,
    figures_visible,
    next_letter,
    proceeds_post,
    returned_uncounted,
    session_open,
    session_update,
    sheet_agreed,
    sheet_open,
    sheet_state,
    sheets_for,
)
from ..forms_counting import (
    MAX_CHECKS,
    MAX_ODD_ITEMS,
    CheckFormSet,
    CountForm,
    OddItemFormSet,
    ProceedsForm,
    SessionEditForm,
    SessionForm,
    SheetOpenForm,
    SwitchCounterForm,
    with_more_rows,
)
from ..ledger import MoneyConflict, MoneyError, is_locked
from ..models import (
    AgreedCount,
    Count,
    CountSession,
    CountSheet,
    CustodyEvent,
    OddItem,
    OddItemProceeds,
)
from ..money import DENOMINATIONS, lines_total
from ..rules import can_handle_money

INVALID = 422
CONFLICT = 409

STATE_LABELS = {
    "opened": gettext_lazy("Not counted yet"),
    "counting": gettext_lazy("Count A in, waiting for count B"),
    "recount": gettext_lazy("Counts differ: recount needed"),
    "agreed": gettext_lazy("Agreed"),
}
ROW_FIELD = re.compile(r"^(?P<prefix>checks|odd_items)-(?P<index>\d+)-(?P<name>\w+)$")
# A service's field names, as the forms call them.
CHECK_FIELDS = {"amount_cents": "amount"}


def money_page(view):
    """Treasurers only, and never kept by a browser or a proxy."""
    return never_cache(role_required(can_handle_money)(view))


def _drive(pk: int) -> Event:
    return get_object_or_404(Event, pk=pk, kind=EventKind.FUNDRAISER)


def _show_error(form: forms.BaseForm, error: MoneyError, aliases: dict | None = None) -> None:
    field = (aliases or {}).get(error.field, error.field)
    form.add_error(field if field in form.fields else None, error.message)


# --- Sessions ------------------------------------------------------------------------------


@money_page
def session_new(request, pk: int):
    """Open a count session on a drive: place, start, the treasurers present, a note."""
    event = _drive(pk)
    status = 200
    if request.method == "POST":
        form = SessionForm(request.POST)
        form_tokens.add_token_field(form)
        status = INVALID
        if form.is_valid():
            data = form.cleaned_data

            def create() -> str:
                session = session_open(event=event, place=data["place"], by=request.user,
                                       started_at=data["started_at"],
                                       present=data["present"], note=data["note"])
                return reverse("money_session", args=[session.pk])

            try:
                url, created = form_tokens.save_once(user=request.user, form=form,
                                                     create=create)
            except MoneyError as error:
                _show_error(form, error)
            else:
                if created:
                    messages.success(request, _("The count session is open. Tick the returned "
                                                "buckets to open them for counting."))
                return HttpResponseRedirect(url)
    else:
        form = SessionForm(initial={
            "started_at": timezone.localtime().replace(second=0, microsecond=0),
            "present": [request.user.pk],
        })
        form_tokens.add_token_field(form)
    return render(request, "donations/money/counting/session_new.html", {
        "event": event, "form": form, "locked": is_locked(event),
    }, status=status)


def _session_page(request, session: CountSession, *, edit_form=None, open_form=None,
                  status: int = 200, saved_now: CountSession | None = None):
    event = session.event
    sheets = list(sheets_for(session))
    for sheet in sheets:
        sheet.state = sheet_state(sheet)
        sheet.state_label = STATE_LABELS[sheet.state]
        sheet.agreed_count = sheet_agreed(sheet)
    returns = list(returned_uncounted(event))
    present = list(session.present.all())
    if edit_form is None:
        edit_form = SessionEditForm(initial={
            "place": session.place, "present": [p.pk for p in present], "note": session.note,
            "version": session.version}, prefix="edit")
    if open_form is None:
        open_form = SheetOpenForm(returns=CustodyEvent.objects.none(), prefix="open")
    ticked = set(open_form["returned"].value() or ()) if open_form.is_bound else set()
    others = (CountSession.objects.filter(event_id=event.pk).exclude(pk=session.pk)
              .order_by("-started_at", "-pk"))
    return render(request, "donations/money/counting/session.html", {
        "session": session, "event": event, "present": present, "sheets": sheets,
        "returns": returns, "ticked": {str(pk) for pk in ticked}, "edit_form": edit_form,
        "open_form": open_form, "others": others, "saved_now": saved_now,
        "saved_present": list(saved_now.present.all()) if saved_now else [],
        "locked": is_locked(event),
    }, status=status)


def _drive_returns(session: CountSession):
    return CustodyEvent.objects.filter(kind=CustodyEvent.Kind.RETURNED,
                                       shift__event_id=session.event_id)


@money_page
def session_detail(request, pk: int):
    """A count session: its details (editable, with a conflict check), the drive's returned
    buckets not opened yet (tick and open), the buckets opened here and their state."""
    session = get_object_or_404(CountSession.objects.select_related("event"), pk=pk)
    if request.method != "POST":
        return _session_page(request, session)
    action = request.POST.get("action", "")
    if action == "edit":
        return _session_edit(request, session)
    if action == "open":
        return _sheets_open(request, session)
    return _session_page(request, session, status=400)


def _session_edit(request, session: CountSession):
    form = SessionEditForm(request.POST, prefix="edit")
    if form.is_valid():
        data = form.cleaned_data
        try:
            session_update(session=session, version=data["version"], place=data["place"],
                           present=data["present"], note=data["note"], by=request.user,
                           close=data["close"])
        except MoneyConflict as error:
            current = CountSession.objects.select_related("event").get(pk=session.pk)
            # The person's own input stays; it carries the version now saved, so saving it
            # again (after reading what is saved) is a deliberate choice, not a blind one.
            kept = request.POST.copy()
            kept[form.add_prefix("version")] = str(current.version)
            form = SessionEditForm(kept, prefix="edit")
            form.is_valid()
            form.add_error(None, error.message)
            return _session_page(request, current, edit_form=form, status=CONFLICT,
                                 saved_now=current)
        except MoneyError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("The count session is saved."))
            return HttpResponseRedirect(reverse("money_session", args=[session.pk]))
    return _session_page(request, session, edit_form=form, status=INVALID)


def _sheets_open(request, session: CountSession):
    form = SheetOpenForm(request.POST, returns=_drive_returns(session), prefix="open")
    if form.is_valid():
        returns = sorted(form.cleaned_data["returned"], key=lambda row: (row.at, row.pk))
        try:
            with transaction.atomic():
                for returned in returns:
                    sheet_open(session=session, returned=returned, by=request.user)
        except MoneyError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("Opened for counting: %(n)s.") % {"n": len(returns)})
            return HttpResponseRedirect(reverse("money_session", args=[session.pk]))
    return _session_page(request, session, open_form=form, status=INVALID)


# --- A sheet -------------------------------------------------------------------------------


def _sheet(pk: int) -> CountSheet:
    return get_object_or_404(
        CountSheet.objects.select_related(
            "bucket", "team", "returned__from_holder", "returned__shift__site", "session",
            "event", "agreed__count", "agreed__matched")
        .prefetch_related(
            "counts__counter", "counts__lines", "counts__checks", "counts__odd_items",
            "agreed__count__odd_items__proceeds__by"),
        pk=pk)


def _count_view(count: Count, visible: bool) -> dict:
    """What the sheet page may show of a count: who and when always; the figures only when
    the viewer may see them (they are not even handed to the template otherwise)."""
    view = {"letter": count.letter, "counter": count.counter, "submitted_at": count.submitted_at,
            "override_reason": count.override_reason, "visible": visible}
    if visible:
        view.update({
            "cash_cents": count.cash_cents, "checks_cents": count.checks_cents,
            "total_cents": count.total_cents,
            "quantities": {line.denomination: line.quantity for line in count.lines.all()},
            "checks": list(count.checks.all()),
            "odd_items": list(count.odd_items.all()),
        })
    return view


def _comparison(views: list[dict]) -> dict | None:
    """Counts side by side, a row per denomination any of them has, differences flagged."""
    shown = [view for view in views if view["visible"]]
    if len(shown) < 2:
        return None
    letters = [view["letter"] for view in shown]

    def row(label, values, kind, total=False) -> dict:
        return {"label": label, "kind": kind, "total": total,
                "differ": any(value != values[0] for value in values),
                "cells": [{"letter": letter, "value": value}
                          for letter, value in zip(letters, values, strict=True)]}

    rows = []
    for denomination in DENOMINATIONS:
        values = [view["quantities"].get(denomination.code, 0) for view in shown]
        if any(values):
            rows.append(row(denomination.label, values, "quantity"))
    rows.append(row(_("Check amounts"),
                    [sorted(c.amount_cents for c in view["checks"]) for view in shown],
                    "checks"))
    rows.append(row(_("Odd items"), [len(view["odd_items"]) for view in shown], "number"))
    rows.append(row(_("Cash"), [view["cash_cents"] for view in shown], "cents"))
    rows.append(row(_("Checks"), [view["checks_cents"] for view in shown], "cents"))
    rows.append(row(_("Total"), [view["total_cents"] for view in shown], "cents", total=True))
    return {"letters": letters, "rows": rows}


def _sheet_page(request, sheet: CountSheet, *, bound: dict | None = None, status: int = 200):
    user = request.user
    counts = list(sheet.counts.all())
    views = [_count_view(c, figures_visible(sheet=sheet, user=user, count=c)) for c in counts]
    agreed = sheet_agreed(sheet)
    state = sheet_state(sheet)
    odd_items = []
    if agreed is not None:
        for item in agreed.count.odd_items.all():
            proceeds = _proceeds_of(item)
            form = None
            if proceeds is None:
                form = (bound or {}).get(item.pk) or ProceedsForm(prefix=f"item{item.pk}")
            odd_items.append({"item": item, "proceeds": proceeds, "form": form})
    return render(request, "donations/money/counting/sheet.html", {
        "sheet": sheet, "event": sheet.event, "state": state,
        "state_label": STATE_LABELS[state], "agreed": agreed, "counts": views,
        "comparison": _comparison(views), "odd_items": odd_items,
        "hidden_any": any(not view["visible"] for view in views),
        "next_letter": next_letter(counts) if agreed is None else None,
        "locked": is_locked(sheet.event_id),
        "bucket_figure": _bucket_figure(agreed, odd_items),
    }, status=status)


def _proceeds_of(item: OddItem) -> OddItemProceeds | None:
    try:
        return item.proceeds
    except OddItemProceeds.DoesNotExist:
        return None


def _bucket_figure(agreed, odd_items: list[dict]) -> int | None:
    if agreed is None:
        return None
    return agreed.total_cents + sum(row["proceeds"].amount_cents for row in odd_items
                                    if row["proceeds"] is not None)


@money_page
@require_GET
def sheet_detail(request, pk: int):
    """A bucket's count sheet: its custody return (seal), state, the counts submitted (who
    and when; figures only as the blind rule allows), the counts side by side once they may
    be seen, the odd items of the agreed count and what they brought."""
    return _sheet_page(request, _sheet(pk))


@money_page
@require_POST
def proceeds(request, pk: int):
    """Post what an odd item of an agreed count brought (exchanged, sold, or no value)."""
    item = get_object_or_404(OddItem.objects.select_related("count"), pk=pk)
    sheet = _sheet(item.count.sheet_id)
    form = ProceedsForm(request.POST, prefix=f"item{item.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            proceeds_post(odd_item=item, how=data["how"], amount_cents=data["amount"] or 0,
                          note=data["note"], by=request.user)
        except MoneyConflict as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(reverse("money_sheet", args=[sheet.pk]) + "#odd-items")
        except MoneyError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("What “%(item)s” brought is posted to %(bucket)s.")
                             % {"item": item.description, "bucket": sheet.bucket})
            return HttpResponseRedirect(reverse("money_sheet", args=[sheet.pk]) + "#odd-items")
    return _sheet_page(request, sheet, bound={item.pk: form}, status=INVALID)


# --- Counting ------------------------------------------------------------------------------


def _count_sheet(pk: int) -> CountSheet:
    return get_object_or_404(
        CountSheet.objects.select_related("bucket", "team", "returned__from_holder",
                                          "returned__shift__site", "session", "event",
                                          "agreed")
        .prefetch_related("counts__counter"), pk=pk)


def _count_forms(data=None):
    return (CountForm(data), CheckFormSet(data, prefix="checks"),
            OddItemFormSet(data, prefix="odd_items"))


def _line_rows(form: CountForm) -> list[dict]:
    rows = []
    for denomination in DENOMINATIONS:
        field = form[denomination.code]
        quantity = None
        if form.is_bound:
            try:
                quantity = form.fields[denomination.code].clean(field.value())
            except forms.ValidationError:
                quantity = None
        rows.append({"denomination": denomination, "field": field,
                     "line_cents": None if quantity is None
                     else quantity * denomination.unit_cents})
    return rows


def _totals(rows: list[dict], checks) -> dict:
    """The total as typed so far (server side, for the page without JavaScript); None for
    a part that has a mistake in it."""
    cash = None if any(r["line_cents"] is None for r in rows) else sum(
        r["line_cents"] for r in rows)
    checks_cents = 0
    if checks.is_bound:
        for form in checks.forms:
            raw = form["amount"].value()
            if raw in (None, ""):
                continue
            try:
                checks_cents += form.fields["amount"].clean(raw)
            except forms.ValidationError:
                checks_cents = None
                break
    total = None if cash is None or checks_cents is None else cash + checks_cents
    return {"cash": cash, "checks": checks_cents, "total": total}


def _count_page(request, sheet: CountSheet, *, forms_=None, switch_form=None,
                status: int = 200):
    user = request.user
    counts = list(sheet.counts.all())
    agreed = sheet_agreed(sheet)
    letter = next_letter(counts)
    blocked = bool(letter == "B" and counts and counts[0].counter_id == user.pk)
    # Someone who has counted this bucket is shown the hand-over screen, not the form: the
    # next count is someone else's (a recount of one's own needs ?anyway and a reason).
    mine = [c.letter for c in counts if c.counter_id == user.pk]
    handover = bool(mine and not blocked and agreed is None
                    and not request.GET.get("anyway"))
    refusal = None if blocked or agreed is not None else counter_refusal(sheet=sheet,
                                                                         counter=user)
    form, checks, odd = forms_ or _count_forms()
    rows = _line_rows(form)
    show_override = bool(refusal or (form.is_bound and (form.data.get("override_reason")
                                                        or form.errors.get("override_reason"))))
    locked = is_locked(sheet.event_id)
    show_form = form.is_bound or not (blocked or handover or agreed is not None or locked)
    return render(request, "donations/money/counting/count.html", {
        "sheet": sheet, "event": sheet.event, "counts": counts, "letter": letter,
        "agreed": agreed, "blocked": blocked, "handover": handover, "mine": mine,
        "refusal": refusal,
        "show_override": show_override, "form": form, "checks": checks, "odd_items": odd,
        "rows": rows, "totals": _totals(rows, checks),
        "switch_form": switch_form or SwitchCounterForm(prefix="switch"),
        "switch_open": switch_form is not None or blocked or handover,
        "failed": status in (INVALID, CONFLICT) and switch_form is None,
        "locked": locked, "show_form": show_form,
        "max_checks": MAX_CHECKS, "max_odd_items": MAX_ODD_ITEMS,
    }, status=status)


def _field_error(form: CountForm, checks, odd, error: MoneyError, positions: dict) -> None:
    """Show a service's refusal at its field; a checks/odd-items row is found by its place
    among the rows that were sent (blank rows are left out)."""
    match = ROW_FIELD.match(error.field or "")
    if match:
        formset = checks if match["prefix"] == "checks" else odd
        index = positions[match["prefix"]][int(match["index"])]
        row = formset.forms[index]
        name = CHECK_FIELDS.get(match["name"], match["name"])
        row.add_error(name if name in row.fields else None, error.message)
        return
    _show_error(form, error)


def _filled(formset) -> list[tuple[int, forms.Form]]:
    return [(index, row) for index, row in enumerate(formset.forms)
            if row.has_changed() and row.cleaned_data]


@money_page
def count(request, pk: int):
    """The count form: a row per denomination with its line amount, the total as it is
    typed (static/js/count-total.js; the server works it out again), checks and odd items,
    the reason for an exception when the counter is not independent, and "Not you?" for the
    second counter to sign in on the same tablet."""
    sheet = _count_sheet(pk)
    if request.method != "POST":
        if sheet_agreed(sheet) is not None:
            messages.info(request, _("%(bucket)s's count is agreed; there is nothing more to "
                                     "count.") % {"bucket": sheet.bucket})
            return HttpResponseRedirect(reverse("money_sheet", args=[sheet.pk]))
        return _count_page(request, sheet)
    data = request.POST
    more = None
    if "more_checks" in data:
        more = with_more_rows(data, "checks", MAX_CHECKS)
    elif "more_odd_items" in data:
        more = with_more_rows(data, "odd_items", MAX_ODD_ITEMS)
    if more is not None or "work_out" in data:
        return _count_page(request, sheet, forms_=_count_forms(more or data))
    form, checks, odd = _count_forms(data)
    if not (form.is_valid() and checks.is_valid() and odd.is_valid()):
        return _count_page(request, sheet, forms_=(form, checks, odd), status=INVALID)
    check_rows = _filled(checks)
    odd_rows = [(index, row) for index, row in _filled(odd)
                if row.cleaned_data.get("description")]
    quantities = form.quantities()
    nothing = not (lines_total(quantities) or check_rows or odd_rows)
    if nothing and not form.cleaned_data["empty"]:
        form.add_error("empty", _("Nothing is entered. If the bucket was really empty, tick "
                                  "this box and save again."))
        return _count_page(request, sheet, forms_=(form, checks, odd), status=INVALID)
    if not nothing and form.cleaned_data["empty"]:
        form.add_error("empty", _("You ticked “empty” but entered money or items: untick it, "
                                  "or clear the rows."))
        return _count_page(request, sheet, forms_=(form, checks, odd), status=INVALID)
    started = timezone.now()
    try:
        submitted = count_submit(
            sheet=sheet, counter=request.user, quantities=quantities,
            checks=[row.check() for _index, row in check_rows],
            odd_items=[row.cleaned_data["description"] for _index, row in odd_rows],
            override_reason=form.cleaned_data["override_reason"],
            request_token=form.cleaned_data["request_token"])
    except MoneyError as error:
        positions = {"checks": [i for i, _r in check_rows], "odd_items": [i for i, _r in odd_rows]}
        _field_error(form, checks, odd, error, positions)
        fresh = _count_sheet(pk)
        return _count_page(request, fresh, forms_=(form, checks, odd),
                           status=CONFLICT if isinstance(error, MoneyConflict) else INVALID)
    if submitted.submitted_at < started:
        messages.info(request, _("This count was already saved (the form was sent twice); "
                                 "nothing new was saved."))
    else:
        messages.success(request, count_outcome(submitted))
    # Not agreed yet: the tablet shows the hand-over screen, never this count's figures,
    # since the next person to hold it counts blind.
    agreed = AgreedCount.objects.filter(sheet_id=sheet.pk).exists()
    return HttpResponseRedirect(reverse("money_sheet" if agreed else "money_count",
                                        args=[sheet.pk]))


@money_page
def switch_counter(request, pk: int):
    """The second counter signs in on the same tablet: their email and password (allauth's
    login limits apply), then they are the one signed in and count as themselves."""
    sheet = _count_sheet(pk)
    if request.method != "POST":
        return HttpResponseRedirect(reverse("money_count", args=[sheet.pk]))
    form = SwitchCounterForm(request.POST, prefix="switch")
    if form.is_valid():
        email, password = form.cleaned_data["email"], form.cleaned_data["password"]
        adapter = get_adapter(request)
        try:
            person = adapter.authenticate(request, email=email, password=password)
        except forms.ValidationError as error:  # too many failed attempts
            form.add_error("password", error)
            person = None
        else:
            if person is None:
                form.add_error("password", _("That email and password do not match. Check "
                                             "both and try again."))
        if person is not None:
            if not EmailAddress.objects.filter(user=person, verified=True).exists():
                form.add_error("email", _("%(person)s has not confirmed this email address "
                                          "yet: sign in once on the usual page first.")
                               % {"person": person})
            elif not can_handle_money(person):
                form.add_error("email", _("%(person)s is not a treasurer: only treasurers "
                                          "count money.") % {"person": person})
            else:
                if person.pk != request.user.pk:
                    # Whatever the previous counter had not read yet stays unread.
                    pending = messages.get_messages(request)
                    for _message in pending:
                        pass
                    adapter.login(request, person)
                messages.success(request, _("You are signed in as %(person)s. Count %(bucket)s "
                                            "as you find it.") % {"person": person,
                                                                  "bucket": sheet.bucket})
                return HttpResponseRedirect(reverse("money_count", args=[sheet.pk]))
    return _count_page(request, sheet, switch_form=form, status=INVALID)
