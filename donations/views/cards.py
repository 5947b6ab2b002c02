"""Giving codes, and card and online gifts (issue 12).

- The giving codes page (organizers and treasurers): every team and site with its code, its
  giving link and QR code; "Make codes" gives the missing ones a short readable code; one
  team's or site's code is set, changed or removed on its own page.
- A drive's card gifts (treasurers): every gift imported for the drive, those not attributed
  to a team or site on their own list, paginated, with the imports made.
- Importing the processor's CSV for a drive (treasurers), in steps like the bank import and
  nothing saved before the last: upload the file and say which processor it is, check which
  column holds what (the processor's preset guesses first), read the preview (every bad row,
  rows passed over, gifts not attributed, gifts already in Rally), then import all at once.

A refusal (MoneyError) is shown at its field with HTTP 422 and nothing saved."""

import json

from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from events import form_tokens
from events.models import Event, EventKind, Site
from volunteers.access import role_required
from volunteers.models import Team

from ..badges import qr_svg
from ..bank_csv import column_label
from ..card_csv import (
    PRESETS,
    CardImportError,
    card_import_commit,
    card_import_preview,
    default_days,
    guess_mapping,
    read_card_csv,
)
from ..cards import (
    can_set_giving_codes,
    card_gift_summary,
    card_gifts_for,
    card_imports_for,
    giving_code_set,
    giving_codes_make,
    giving_holders,
)
from ..forms_cards import CardMappingForm, CardUploadForm, GivingCodeForm, ProcessorForm
from ..ledger import MoneyError, is_locked
from ..money import format_cents
from ..rules import can_handle_money
from ..totals import giving_link

INVALID = 422
GIFTS_PER_PAGE = 100
PREVIEW_GIFTS = 100
PREVIEW_ERRORS = 200
SAMPLE_ROWS = 5
IMPORT_SALT = "donations.card_import"
IMPORT_MAX_AGE = 24 * 3600

treasurers_only = role_required(can_handle_money)
code_keepers_only = role_required(can_set_giving_codes)


def _show_error(form, error: MoneyError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _drive(pk: int) -> Event:
    """A fundraiser: the only events with money."""
    return get_object_or_404(Event, pk=pk, kind=EventKind.FUNDRAISER)


# --- Giving codes ----------------------------------------------------------------------------


def _with_links(holders: list) -> list:
    for holder in holders:
        holder.giving_link = giving_link(holder.giving_code) if holder.giving_code else ""
        holder.giving_qr = (qr_svg(holder.giving_link, label=_("QR code of the giving link "
                                                              "for %(name)s")
                                   % {"name": holder.name}) if holder.giving_code else None)
    return holders


@code_keepers_only
@require_http_methods(["GET", "HEAD", "POST"])
def giving_codes(request):
    """Every team and site with its giving code, link and QR code; POST ``make`` gives a
    short readable code to each team and active site that has none."""
    if request.method == "POST":
        if request.POST.get("action") != "make":
            messages.error(request, _("Choose a step on this page and send its form."))
            return HttpResponseRedirect(reverse("money_giving_codes"))
        made = giving_codes_make(by=request.user)
        if made:
            messages.success(request, ngettext("%(n)s giving code made.",
                                               "%(n)s giving codes made.", len(made))
                             % {"n": len(made)})
        else:
            messages.info(request, _("Every team and site already has a giving code."))
        return HttpResponseRedirect(reverse("money_giving_codes"))
    teams, sites = giving_holders()
    return render(request, "donations/money/cards/giving_codes.html", {
        "teams": _with_links(teams), "sites": _with_links(sites),
        "missing": sum(1 for team in teams if not team.giving_code)
        + sum(1 for site in sites if not site.giving_code and site.is_active),
        "can_see_money": can_handle_money(request.user),
    })


def _edit_code(request, holder, kind_label: str):
    form = GivingCodeForm(request.POST or None, initial={"code": holder.giving_code or ""})
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            old = holder.giving_code
            try:
                holder = giving_code_set(holder=holder, code=form.cleaned_data["code"],
                                         by=request.user)
            except MoneyError as error:
                _show_error(form, error)
            else:
                if holder.giving_code == old:
                    messages.info(request, _("The giving code of %(name)s is unchanged.")
                                  % {"name": holder.name})
                elif holder.giving_code:
                    messages.success(request, _("The giving code of %(name)s is now "
                                                "%(code)s.")
                                     % {"name": holder.name, "code": holder.giving_code})
                else:
                    messages.success(request, _("%(name)s no longer has a giving code.")
                                     % {"name": holder.name})
                return HttpResponseRedirect(reverse("money_giving_codes"))
    _with_links([holder])
    return render(request, "donations/money/cards/giving_code_edit.html", {
        "holder": holder, "kind_label": kind_label, "form": form,
        "gifts": holder.card_gifts.count(),
    }, status=status)


@code_keepers_only
@require_http_methods(["GET", "HEAD", "POST"])
def giving_code_team(request, pk: int):
    """Set, change or remove a team's giving code."""
    return _edit_code(request, get_object_or_404(Team, pk=pk), _("Team"))


@code_keepers_only
@require_http_methods(["GET", "HEAD", "POST"])
def giving_code_site(request, pk: int):
    """Set, change or remove a site's giving code."""
    return _edit_code(request, get_object_or_404(Site, pk=pk), _("Site"))


# --- A drive's card gifts --------------------------------------------------------------------


@treasurers_only
@require_http_methods(["GET", "HEAD"])
def card_gifts(request, pk: int):
    """The drive's card and online gifts, newest first (``?show=unattributed``: those no
    team or site answers for), with the totals and the imports made."""
    event = _drive(pk)
    unattributed = request.GET.get("show") == "unattributed"
    page = Paginator(card_gifts_for(event, unattributed=unattributed),
                     GIFTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "donations/money/cards/gifts.html", {
        "event": event, "page": page, "unattributed": unattributed,
        "summary": card_gift_summary(event), "imports": card_imports_for(event),
        "locked": is_locked(event),
    })


# --- Importing the processor's CSV -----------------------------------------------------------


def _sign(request, event: Event, name: str, headers: list[str], rows: list[list]) -> str:
    return signing.dumps({"u": request.user.pk, "e": event.pk, "n": name, "h": headers,
                          "r": rows}, salt=IMPORT_SALT, compress=True)


def _unsign(request, event: Event, value: str) -> dict | None:
    try:
        data = signing.loads(value or "", salt=IMPORT_SALT, max_age=IMPORT_MAX_AGE)
    except (signing.BadSignature, ValueError):
        return None
    if (not isinstance(data, dict) or data.get("u") != request.user.pk
            or data.get("e") != event.pk):
        return None
    return data


def _sample(headers: list[str], rows: list[list]) -> dict:
    columns = [column_label(headers, i) for i in range(len(headers))]
    return {"columns": columns,
            "rows": [[number, [(column, cells[i] if i < len(cells) else "")
                               for i, column in enumerate(columns)]]
                     for number, cells in rows[:SAMPLE_ROWS]]}


def _grouped(rows: list[tuple[int, str]]) -> list[dict]:
    grouped: dict[str, list[int]] = {}
    for number, why in rows:
        grouped.setdefault(why, []).append(number)
    return [{"why": why, "count": len(numbers),
             "rows": ", ".join(str(n) for n in numbers[:20]) + ("…" if len(numbers) > 20
                                                                  else "")}
            for why, numbers in grouped.items()]


def _import_page(request, event: Event, *, step: str, status: int = 200, upload=None,
                 form=None, data: dict | None = None, preview=None, import_errors=None,
                 error: str = ""):
    context = {"event": event, "step": step, "upload": upload or CardUploadForm(),
               "form": form, "error": error, "locked": is_locked(event)}
    if form is not None:
        context["processor_form"] = ProcessorForm.beside(form)
    if data is not None:
        context.update(file_name=data["n"], sample=_sample(data["h"], data["r"]),
                       row_count=len(data["r"]))
    if preview is not None:
        errors = preview.errors
        known_rows = {gift.row: existing for gift, existing in preview.known}
        new = preview.new_gifts()
        unattributed = preview.unattributed()
        context.update(
            errors=errors[:PREVIEW_ERRORS], more_errors=max(0, len(errors) - PREVIEW_ERRORS),
            gifts=[{"gift": gift, "known": known_rows.get(gift.row)}
                   for gift in preview.gifts[:PREVIEW_GIFTS]],
            more_gifts=max(0, len(preview.gifts) - PREVIEW_GIFTS),
            new_count=len(new), known_count=len(preview.known),
            read_count=len(preview.gifts), new_total=preview.total_cents,
            new_fees=preview.fees_cents, by_holder=preview.by_holder(),
            unattributed=unattributed, skipped=_grouped(preview.skipped),
            notes=preview.notes, processor=preview.processor,
            can_import=not errors and bool(new))
    if import_errors:
        context["errors"] = import_errors[:PREVIEW_ERRORS]
        context["more_errors"] = max(0, len(import_errors) - PREVIEW_ERRORS)
    return render(request, "donations/money/cards/import.html", context, status=status)


def _guessed_form(request, event: Event, data: dict, processor: str, *,
                  keep: dict | None = None) -> CardMappingForm:
    """The mapping form as Rally guesses it for ``processor``, the file signed into it;
    ``keep`` holds what the treasurer already chose that a preset does not decide."""
    guess = guess_mapping(data["h"], data["r"], processor=processor)
    since, until = default_days(event)
    initial = {**{key: guess.get(key) for key in CardMappingForm.COLUMNS},
               "processor": guess["processor"], "processor_name": "",
               "date_format": guess["date_format"], "decimal": guess["decimal"],
               "times": guess["times"], "since": since, "until": until,
               "payload": _sign(request, event, data["n"], data["h"], data["r"])}
    initial.update(keep or {})
    form = CardMappingForm(headers=data["h"], initial=initial)
    form_tokens.add_token_field(form)
    return form


def _bound_form(request, data: dict, **changes) -> CardMappingForm:
    posted = request.POST.copy()
    for key, value in changes.items():
        posted[key] = value
    form = CardMappingForm(posted, headers=data["h"])
    form_tokens.add_token_field(form)
    return form


def _mapping_key(mapping: dict) -> str:
    return json.dumps(mapping, sort_keys=True, default=str)


@treasurers_only
@require_http_methods(["GET", "HEAD", "POST"])
def card_import(request, pk: int):
    """Import the processor's CSV for the drive in steps, nothing saved before the last:
    upload (and say which processor), check the columns, read the preview, import all."""
    event = _drive(pk)
    if request.method != "POST":
        return _import_page(request, event, step="upload")
    step = request.POST.get("step", "")
    if step == "upload":
        upload = CardUploadForm(request.POST, request.FILES)
        if not upload.is_valid():
            return _import_page(request, event, step="upload", upload=upload, status=INVALID)
        uploaded = upload.cleaned_data["file"]
        try:
            headers, rows = read_card_csv(uploaded)
        except CardImportError as error:
            upload.add_error("file", error.message)
            return _import_page(request, event, step="upload", upload=upload, status=INVALID)
        data = {"n": str(uploaded.name or "")[:200], "h": headers, "r": rows}
        return _import_page(request, event, step="map", data=data,
                            form=_guessed_form(request, event, data,
                                               upload.cleaned_data["processor"]))
    if step not in ("apply", "preview", "import", "import_new"):
        return _import_page(request, event, step="upload", status=400,
                            error=_("Choose the file again."))
    data = _unsign(request, event, request.POST.get("payload", ""))
    if data is None:
        return _import_page(request, event, step="upload", status=INVALID, error=_(
            "This import has expired or its page was changed. Choose the file again."))
    if step == "apply":  # another processor chosen: its columns, the rest kept
        processor = request.POST.get("processor", "")
        if processor not in PRESETS:
            processor = "other"
        keep = {key: request.POST.get(key, "") for key in
                ("since", "until", "processor_name")}
        form = _guessed_form(request, event, data, processor,
                             keep={key: value for key, value in keep.items() if value})
        return _import_page(request, event, step="map", data=data, form=form)
    form = _bound_form(request, data)
    if not form.is_valid():
        return _import_page(request, event, step="map", data=data, form=form, status=INVALID)
    mapping = form.mapping()
    key = _mapping_key(mapping)
    if step in ("import", "import_new") and form.cleaned_data["previewed"] == key:
        return _commit(request, event, form, data, mapping, skip_known=step == "import_new")
    if step != "preview":
        messages.info(request, _("The columns changed since the preview: check it again, then "
                                 "import."))
    try:
        preview = card_import_preview(event=event, headers=data["h"], rows=data["r"],
                                      mapping=mapping)
    except MoneyError as error:
        _show_error(form, error)
        return _import_page(request, event, step="map", data=data, form=form, status=INVALID)
    form = _bound_form(request, data, previewed=key)
    form.is_valid()
    return _import_page(request, event, step="preview", data=data, form=form,
                        preview=preview, status=INVALID if preview.errors else 200)


def _commit(request, event: Event, form, data: dict, mapping: dict, *, skip_known: bool):
    made = []

    def create() -> str:
        made.append(card_import_commit(event=event, file_name=data["n"], headers=data["h"],
                                       rows=data["r"], mapping=mapping, by=request.user,
                                       skip_known=skip_known))
        return reverse("money_card_gifts", args=[event.pk])

    try:
        url, created = form_tokens.save_once(user=request.user, form=form, create=create)
    except CardImportError as error:
        form.add_error(None, _("Nothing was imported: the rows below need attention."))
        return _import_page(request, event, step="map", data=data, form=form,
                            import_errors=error.errors, status=INVALID)
    except MoneyError as error:
        _show_error(form, error)
        return _import_page(request, event, step="map", data=data, form=form, status=INVALID)
    if not created:
        messages.info(request, _("This file was already imported (the form was sent twice); "
                                 "nothing new was saved."))
        return HttpResponseRedirect(url)
    done = made[0]
    gifts = done.gifts.all()
    total = sum(gifts.values_list("amount_cents", flat=True))
    unattributed = gifts.filter(team__isnull=True, site__isnull=True).count()
    messages.success(request, ngettext("Imported %(n)s gift from %(file)s (%(total)s).",
                                       "Imported %(n)s gifts from %(file)s (%(total)s).",
                                       done.rows)
                     % {"n": done.rows, "file": done.file_name, "total": format_cents(total)})
    if unattributed:
        messages.warning(request, ngettext(
            "%(n)s of them carries no giving code Rally knows: it is listed as not "
            "attributed.",
            "%(n)s of them carry no giving code Rally knows: they are listed as not "
            "attributed.", unattributed) % {"n": unattributed})
        return HttpResponseRedirect(f"{url}?show=unattributed")
    return HttpResponseRedirect(url)
