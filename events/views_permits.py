"""Organizer pages for street collection permits: the list (what each permit covers, the
"needs a permit" rules, the upcoming shifts no permit covers), the permit form with its
uploads, and the downloads of the private documents. Every view checks the organizer role."""

import os

from django.contrib import messages
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from volunteers.access import role_required

from . import form_tokens, permits
from .models import Permit, PermitRequirement, Site
from .permit_forms import PermitForm, PermitRequirementForm
from .rules import can_manage_events
from .services import EventError
from .views import already_saved, show_error

organizer_only = role_required(can_manage_events)
DOWNLOADS = {"document": gettext_lazy("permit document"),
             "insurance_certificate": gettext_lazy("insurance certificate")}


def list_context(requirement_form=None) -> dict:
    permit_rows = list(
        Permit.objects.prefetch_related(
            Prefetch("sites", queryset=Site.objects.only("pk", "name", "is_active")
                     .order_by("name"))
        ).order_by("-valid_from", "reference")
    )
    for permit in permit_rows:
        permit.dates_text = permits.describe_dates(permit)
        permit.hours_text = permits.describe_hours(permit)
    requirements = list(PermitRequirement.objects.order_by("jurisdiction", "kind"))
    for rule in requirements:
        rule.text = permits.describe_requirement(rule)
    return {
        "permits": permit_rows,
        "requirements": requirements,
        "requirement_form": requirement_form or PermitRequirementForm(),
        "uncovered": permits.uncovered_upcoming_shifts(),
    }


@organizer_only
def permit_list(request):
    return render(request, "events/permits/permit_list.html", list_context())


@organizer_only
def permit_create(request):
    form = PermitForm(request.POST or None, request.FILES or None)
    form_tokens.add_token_field(form)
    if request.method == "POST" and form.is_valid():
        def create() -> str:
            permits.permit_create(by=request.user, **form.service_fields())
            return reverse("organize_permit_list")
        try:
            url, created = form_tokens.save_once(user=request.user, form=form, create=create)
        except EventError as error:
            show_error(form, error)
        else:
            if not created:
                return already_saved(request, url)
            messages.success(request, _("The permit is saved."))
            return HttpResponseRedirect(url)
    status = 400 if form.is_bound else 200
    return render(request, "events/permits/permit_form.html", {"form": form}, status=status)


@organizer_only
def permit_edit(request, pk: int):
    permit = get_object_or_404(Permit, pk=pk)
    form = PermitForm(request.POST or None, request.FILES or None, instance=permit)
    if request.method == "POST" and form.is_valid():
        try:
            permits.permit_update(permit=permit, by=request.user, **form.service_fields())
        except EventError as error:
            show_error(form, error)
        else:
            messages.success(request, _("The permit is saved."))
            return HttpResponseRedirect(reverse("organize_permit_list"))
    permit.refresh_from_db()
    status = 400 if form.is_bound else 200
    return render(request, "events/permits/permit_form.html",
                  {"form": form, "permit": permit}, status=status)


@organizer_only
def permit_download(request, pk: int, which: str):
    """A permit's document or insurance certificate, as an attachment nobody may cache."""
    if which not in DOWNLOADS:
        raise Http404
    permit = get_object_or_404(Permit, pk=pk)
    stored = getattr(permit, which)
    if not stored:
        messages.info(request, _("No %(file)s is uploaded for this permit.") % {
            "file": DOWNLOADS[which]})
        return HttpResponseRedirect(reverse("organize_permit_edit", args=[permit.pk]))
    try:
        handle = stored.storage.open(stored.name, "rb")
    except (FileNotFoundError, ValueError) as missing:
        raise Http404(_("The file is missing from storage.")) from missing
    extension = os.path.splitext(stored.name)[1].lstrip(".").lower()
    response = FileResponse(
        handle, as_attachment=True, filename=os.path.basename(stored.name),
        content_type=permits.CONTENT_TYPES.get(extension, "application/octet-stream"),
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


@organizer_only
@require_POST
def permit_requirement_add(request):
    form = PermitRequirementForm(request.POST)
    if form.is_valid():
        try:
            permits.permit_requirement_create(by=request.user, **form.cleaned_data)
        except EventError as error:
            show_error(form, error)
        else:
            messages.success(request, _("The rule is added."))
            return HttpResponseRedirect(reverse("organize_permit_list") + "#requirements")
    return render(request, "events/permits/permit_list.html", list_context(form), status=400)


@organizer_only
@require_POST
def permit_requirement_delete(request, pk: int):
    requirement = get_object_or_404(PermitRequirement, pk=pk)
    permits.permit_requirement_delete(requirement=requirement, by=request.user)
    messages.success(request, _("The rule is removed."))
    return HttpResponseRedirect(reverse("organize_permit_list") + "#requirements")
