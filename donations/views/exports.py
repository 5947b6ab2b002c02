"""What treasurers and organizers take out of Rally: the accountant's CSV journal (rows not yet
exported, a download that records them, earlier downloads again), the printable
reconciliation report of a drive, and the permit return (printable, or CSV with
``?format=csv``).

The journal and the report are for treasurers (and superusers); the permit return for
organizers and treasurers. Everyone else gets 403; anonymous people are sent to log in."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from events.models import Event, Permit
from events.permits import describe_dates, describe_hours
from volunteers.access import role_required
from volunteers.rules import is_organizer, is_treasurer

from ..exports import (
    COLUMNS,
    KINDS,
    journal_csv,
    journal_export_create,
    journal_rows,
    kinds_summary,
    permit_return,
    permit_return_csv,
    reconciliation_report,
)
from ..exports.permit_return import status_label
from ..forms_exports import JournalForm
from ..ledger import MoneyConflict
from ..models import JournalExport
from ..rules import can_handle_money
from .books import SHEET_LABELS, STATE_LABELS

INVALID = 422
CONFLICT = 409
PREVIEW_ROWS = 100
EXPORTS_PER_PAGE = 20

treasurers_only = role_required(can_handle_money)


def can_see_permit_return(user) -> bool:
    """The permit return is the organizers' to file; treasurers prepare its figures."""
    return bool(is_organizer(user) or is_treasurer(user))


def _csv_response(body: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    patch_cache_control(response, private=True, no_store=True)
    return response


def _journal_file(export: JournalExport) -> HttpResponse:
    """The file as it was first downloaded: the same bytes every time."""
    stamp = timezone.localtime(export.at).strftime("%Y-%m-%d")
    return _csv_response(export.content or journal_csv(journal_rows(export=export)),
                         f"journal-{export.pk}-{stamp}.csv")


# --- The journal -----------------------------------------------------------------------


@treasurers_only
@require_http_methods(["GET", "HEAD", "POST"])
def money_journal(request):
    """The rows not exported yet (of one drive with ``?event=``, or of all), the button that
    downloads them and records them as exported, and the earlier downloads."""
    form = JournalForm(request.POST if request.method == "POST" else (request.GET or None))
    event = None
    status = 200
    conflict = ""
    if form.is_bound:
        if form.is_valid():
            event = form.cleaned_data["event"]
        else:
            status = INVALID
    if request.method == "POST" and form.is_valid():
        try:
            export = journal_export_create(by=request.user, event=event)
        except MoneyConflict as error:
            status = CONFLICT
            conflict = error.message
        else:
            if export is not None:
                return _journal_file(export)
            messages.info(request, _("Nothing new to export: every row is already in an "
                                     "earlier download (listed below)."))
            query = f"?event={event.pk}" if event is not None else ""
            return HttpResponseRedirect(reverse("money_journal") + query)
    rows = journal_rows(event=event)
    uncoded = {row.event.pk: row.event.localized.title for row in rows
               if row.event is not None and not row.event.accounting_code}
    exports = Paginator(JournalExport.objects.select_related("event", "by")
                        .order_by("-at", "-pk"), EXPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "donations/money/exports/journal.html", {
        "form": form, "event": event, "rows": rows[:PREVIEW_ROWS], "rows_count": len(rows),
        "summary": kinds_summary(rows), "exports": exports, "columns": COLUMNS,
        "kinds": KINDS, "conflict": conflict, "preview_rows": PREVIEW_ROWS,
        "uncoded": list(uncoded.values()),
    }, status=status)


@treasurers_only
@require_http_methods(["GET", "HEAD"])
def money_journal_export(request, pk: int):
    """An earlier download of the journal, again: the same rows, in the same order."""
    return _journal_file(get_object_or_404(JournalExport, pk=pk))


# --- The reconciliation report -----------------------------------------------------------


@treasurers_only
@require_http_methods(["GET", "HEAD"])
def money_reconciliation_report(request, pk: int):
    """The drive's reconciliation report, to print: counts per bucket with every counter,
    deposits, bank lines, variances and their explanations, adjustments, who reconciled."""
    event = get_object_or_404(Event, pk=pk)
    report = reconciliation_report(event)
    for item in report.trips:
        item.state_label = SHEET_LABELS[item.trip.sheet_state]
    return render(request, "donations/money/exports/report.html", {
        "event": event, "report": report, "books": report.books,
        "state_label": STATE_LABELS[report.books.state],
        "printed_at": timezone.now(),
    })


# --- The permit return -------------------------------------------------------------------


@role_required(can_see_permit_return)
@require_http_methods(["GET", "HEAD"])
def permit_return_view(request, pk: int):
    """The permit's return: printable, or as CSV with ``?format=csv``."""
    permit = get_object_or_404(Permit, pk=pk)
    found = permit_return(permit)
    if request.GET.get("format") == "csv":
        name = slugify(f"{permit.authority} {permit.reference}") or str(permit.pk)
        return _csv_response(permit_return_csv(found), f"permit-return-{name}.csv")
    for row in found.rows:
        row.status_label = status_label(row.status)
    return render(request, "donations/money/exports/permit_return.html", {
        "permit": permit, "found": found, "dates_text": describe_dates(permit),
        "hours_text": describe_hours(permit), "today": timezone.localdate(),
        "can_handle_money": can_handle_money(request.user),
        "can_manage_permits": is_organizer(request.user),
    })
