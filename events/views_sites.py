"""Organizer pages for collection sites: the list, the form, retiring, CSV import and export.
Views parse, call events/sites.py, and show its SiteError at the field. Organizers only."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from volunteers.access import role_required

from . import form_tokens, sites
from .models import Site
from .rules import can_manage_events
from .site_forms import SiteForm, SiteImportForm
from .sites import SiteError

SITES_PER_PAGE = 100
INVALID = 422

organizer_only = role_required(can_manage_events)


def _show_error(form, error: SiteError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _list_filters(request) -> tuple[str, str]:
    status = request.GET.get("status", "active")
    if status not in sites.SITE_STATUSES:
        status = "active"
    return status, request.GET.get("q", "")[:100]


@organizer_only
def organize_site_list(request):
    status, query = _list_filters(request)
    listing = sites.sites_for_list(status=status, query=query)
    page = Paginator(listing, SITES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "events/sites/site_list.html", {
        "page": page, "status": status, "query": query,
        "statuses": [("active", _("Active")), ("retired", _("Retired")), ("all", _("All"))],
    })


def _fields(form: SiteForm) -> dict:
    return {name: form.cleaned_data[name] for name in sites.SITE_FIELDS
            if name in form.cleaned_data}


@organizer_only
def organize_site_create(request):
    form = SiteForm(request.POST or None)
    form_tokens.add_token_field(form)
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            def create() -> str:
                site = sites.site_create(by=request.user, **_fields(form))
                return reverse("organize_site_edit", args=[site.pk])
            try:
                url, created = form_tokens.save_once(user=request.user, form=form,
                                                     create=create)
            except SiteError as error:
                _show_error(form, error)
            else:
                if not created:
                    messages.info(request, _("This form was already saved; here is what it "
                                             "created."))
                    return HttpResponseRedirect(url)
                messages.success(request, _("The site is saved."))
                return HttpResponseRedirect(reverse("organize_site_list"))
    return render(request, "events/sites/site_form.html", {"form": form, "site": None},
                  status=status)


@organizer_only
def organize_site_edit(request, pk: int):
    site = get_object_or_404(Site, pk=pk)
    form = SiteForm(request.POST or None, instance=site)
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            try:
                sites.site_update(site=site, by=request.user, **_fields(form))
            except SiteError as error:
                _show_error(form, error)
            else:
                messages.success(request, _("The site is saved."))
                return HttpResponseRedirect(reverse("organize_site_list"))
    site.refresh_from_db()
    return render(request, "events/sites/site_form.html", {"form": form, "site": site},
                  status=status)


@organizer_only
def organize_site_retire(request, pk: int):
    """A confirmation page first (how many coming shifts and people); the POST retires."""
    site = get_object_or_404(Site, pk=pk)
    if request.method == "POST":
        sites.site_retire(site=site, by=request.user)
        messages.success(request, _("“%(name)s” is retired. The people signed up on its coming "
                                    "shifts are told.") % {"name": site.name})
        return HttpResponseRedirect(reverse("organize_site_list"))
    signups = sites.coming_signups(site)
    return render(request, "events/sites/site_retire.html", {
        "site": site,
        "shift_count": signups.values("shift_id").distinct().count(),
        "people_count": signups.values("volunteer_id").distinct().count(),
    })


@organizer_only
@require_POST
def organize_site_restore(request, pk: int):
    site = get_object_or_404(Site, pk=pk)
    sites.site_restore(site=site, by=request.user)
    messages.success(request, _("“%(name)s” is active again.") % {"name": site.name})
    return HttpResponseRedirect(reverse("organize_site_list"))


@organizer_only
def organize_site_import(request):
    """Upload a CSV; the report lists every bad row, and nothing is saved unless all are
    good."""
    form = SiteImportForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            report = sites.sites_import_csv(file=form.cleaned_data["file"], by=request.user)
            if report.ok:
                messages.success(request, _(
                    "Imported: %(created)s new sites, %(updated)s updated, %(unchanged)s "
                    "unchanged.") % {"created": len(report.created),
                                     "updated": len(report.updated),
                                     "unchanged": len(report.unchanged)})
                return HttpResponseRedirect(reverse("organize_site_list"))
    return render(request, "events/sites/site_import.html", {
        "form": form, "report": report, "columns": sites.CSV_COLUMNS,
        "kinds": Site._meta.get_field("kind").choices,
        "max_rows": sites.MAX_CSV_ROWS, "max_mb": sites.MAX_CSV_BYTES // (1024 * 1024),
    }, status=status)


@organizer_only
def organize_site_export(request):
    """The sites the list shows (same filters, every page) as CSV, in the import's columns."""
    status, query = _list_filters(request)
    body = sites.sites_export_csv(sites.sites_for_list(status=status, query=query))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="collection-sites.csv"'
    return response
