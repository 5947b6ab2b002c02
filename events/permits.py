"""Street collection permits: which sites need one, whether a shift is covered, the collector
cap, and the writes for permits and "needs a permit" rules.

A site needs a permit when any PermitRequirement matches it (the rule's site type equal when
set, and its jurisdiction equal, ignoring case and surrounding spaces, when set). A shift at
such a site must lie inside ONE valid permit that lists the site: every local date it touches
within valid_from..valid_until and, when the permit has daily hours, its local start and end
within daily_start..daily_end on one day. Coverage is not pieced together from two permits.

The collector cap counts confirmed sign-ups on live shifts at any of the permit's sites that
overlap the shift in time: a conservative reading of "most collectors at once" that a city
inspector would accept."""

import datetime
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from volunteers.models import Signup, User

from .dates import EN_DASH, local_format, time_range
from .models import Permit, PermitRequirement, Shift, Site, SiteKind
from .services import EventError

# Uploaded documents: what a city or an insurer sends, never more than this.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# The first bytes of each accepted file type, and the extension it is stored under.
UPLOAD_SIGNATURES = (
    (b"%PDF-", "pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
)
CONTENT_TYPES = {extension: content_type for _, extension, content_type in UPLOAD_SIGNATURES}

PERMIT_FIELDS = (
    "authority", "reference", "valid_from", "valid_until", "daily_start", "daily_end",
    "max_collectors", "conditions", "return_due", "sites", "document",
    "insurance_certificate",
)
UPLOAD_FIELDS = ("document", "insurance_certificate")

KIND_PLURALS = {
    SiteKind.SIDEWALK: gettext_lazy("sidewalk corners"),
    SiteKind.PRIVATE_LOT: gettext_lazy("storefronts and private lots"),
    SiteKind.MEDIAN: gettext_lazy("medians"),
    SiteKind.ROADWAY: gettext_lazy("roadways"),
}


@dataclass(frozen=True)
class PermitRef:
    id: int
    authority: str
    reference: str

    def __str__(self) -> str:
        return f"{self.authority} {self.reference}"


@dataclass(frozen=True)
class CoverageInfo:
    """A shift's permit standing: whether its site needs a permit, the permits covering it,
    and, when it needs one and none covers it, the reason in words."""

    needs_permit: bool = False
    permits: tuple[PermitRef, ...] = field(default=())
    reason: str | None = None

    @property
    def covered(self) -> bool:
        return self.reason is None


# --- Reading the rules ---------------------------------------------------------------------


def _same_place(one: str, other: str) -> bool:
    return one.strip().casefold() == other.strip().casefold()


def requirement_matches(rule: PermitRequirement, site: Site) -> bool:
    if rule.kind and rule.kind != site.kind:
        return False
    if rule.jurisdiction and not _same_place(rule.jurisdiction, site.jurisdiction):
        return False
    return bool(rule.kind or rule.jurisdiction)


def matching_requirements(site: Site, requirements: Iterable[PermitRequirement] | None = None
                          ) -> list[PermitRequirement]:
    if requirements is None:
        requirements = PermitRequirement.objects.all()
    return [rule for rule in requirements if requirement_matches(rule, site)]


def site_needs_permit(site: Site, requirements: Iterable[PermitRequirement] | None = None
                      ) -> bool:
    """Does any "needs a permit" rule match this site? Pass ``requirements`` (a list) to
    check many sites without a query each."""
    return bool(matching_requirements(site, requirements))


def describe_requirement(rule: PermitRequirement) -> str:
    """"Fresno, medians"; "Clovis"; "roadways"."""
    parts = [rule.jurisdiction.strip()] if rule.jurisdiction else []
    if rule.kind:
        parts.append(str(KIND_PLURALS.get(rule.kind, rule.get_kind_display())))
    return ", ".join(parts)


def describe_hours(permit: Permit) -> str:
    if permit.daily_start is None:
        return _("all day")
    day = datetime.date(2000, 1, 3)
    zone = timezone.get_default_timezone()
    start = timezone.make_aware(datetime.datetime.combine(day, permit.daily_start), zone)
    end = timezone.make_aware(datetime.datetime.combine(day, permit.daily_end), zone)
    return time_range(start, end)


def describe_dates(permit: Permit) -> str:
    if permit.valid_from == permit.valid_until:
        return local_format(permit.valid_from, "day_month_year")
    return (f"{local_format(permit.valid_from, 'day_month_year')} {EN_DASH} "
            f"{local_format(permit.valid_until, 'day_month_year')}")


def describe_permit(permit: Permit) -> str:
    """"City of Fresno SP-12 (Saturday, March 6, 2027, 7:00-11:00 AM)"."""
    return _("%(permit)s (%(dates)s, %(hours)s)") % {
        "permit": permit, "dates": describe_dates(permit), "hours": describe_hours(permit)}


def permit_covers(permit: Permit, starts_at: datetime.datetime, ends_at: datetime.datetime
                  ) -> bool:
    """Does the permit's dates and daily hours hold this time (the site is checked apart)?"""
    start = timezone.localtime(starts_at)
    end = timezone.localtime(ends_at)
    last_day = (end - datetime.timedelta(microseconds=1)).date() if end > start else end.date()
    if start.date() < permit.valid_from or last_day > permit.valid_until:
        return False
    if permit.daily_start is None or permit.daily_end is None:
        return True
    if start.date() != end.date():
        return False
    return permit.daily_start <= start.time() and end.time() <= permit.daily_end


def _coverage(shift: Shift, site: Site | None, requirements: list[PermitRequirement],
              site_permits: list[Permit]) -> CoverageInfo:
    if site is None:
        return CoverageInfo()
    covering = tuple(
        PermitRef(permit.pk, permit.authority, permit.reference) for permit in site_permits
        if permit_covers(permit, shift.starts_at, shift.ends_at)
    )
    rules = matching_requirements(site, requirements)
    if not rules or covering:
        return CoverageInfo(needs_permit=bool(rules), permits=covering)
    names = {"site": site.name, "rules": "; ".join(describe_requirement(r) for r in rules)}
    if not site_permits:
        reason = _("%(site)s needs a permit (%(rules)s) and no permit covers this site.") % names
    else:
        when = (f"{local_format(shift.starts_at, 'day_month')}, "
                f"{time_range(shift.starts_at, shift.ends_at)}")
        reason = _("%(site)s needs a permit (%(rules)s) and none covers %(when)s. "
                   "Its permits: %(permits)s.") % {
            **names, "when": when,
            "permits": "; ".join(describe_permit(permit) for permit in site_permits)}
    return CoverageInfo(needs_permit=True, permits=(), reason=reason)


def _permits_by_site(site_ids: Iterable[int]) -> dict[int, list[Permit]]:
    """Every permit listing each site, in one query."""
    links = Permit.sites.through.objects.filter(site_id__in=set(site_ids)).select_related(
        "permit").order_by("permit__valid_from", "permit__pk")
    by_site: dict[int, list[Permit]] = defaultdict(list)
    for link in links:
        by_site[link.site_id].append(link.permit)
    return by_site


def shift_permit_refusal(shift: Shift) -> str | None:
    """Why this shift (saved or not) may not stand at its site: its site needs a permit and
    no valid permit listing the site covers the shift's dates and hours; else None."""
    if shift.site_id is None:
        return None
    site = shift.site
    requirements = [rule for rule in PermitRequirement.objects.all()
                    if requirement_matches(rule, site)]
    if not requirements:
        return None
    permits = _permits_by_site([site.pk])[site.pk]
    return _coverage(shift, site, requirements, permits).reason


def coverage_by_shift(shifts: Iterable[Shift]) -> dict[int, CoverageInfo]:
    """Permit standing of many shifts, keyed by shift id, in at most three queries (the
    rules, the sites not already loaded with the shifts, the permits of those sites)."""
    shifts = [shift for shift in shifts if shift.pk is not None]
    site_ids = {shift.site_id for shift in shifts if shift.site_id is not None}
    if not site_ids:
        return {shift.pk: CoverageInfo() for shift in shifts}
    sites = {shift.site_id: shift.site for shift in shifts
             if shift.site_id is not None and Shift.site.is_cached(shift)}
    missing = site_ids - set(sites)
    if missing:
        sites.update(Site.objects.in_bulk(missing))
    requirements = list(PermitRequirement.objects.all())
    permits = _permits_by_site(site_ids)
    return {
        shift.pk: _coverage(shift, sites.get(shift.site_id), requirements,
                            permits.get(shift.site_id, []))
        for shift in shifts
    }


def permit_cap_refusal(shift: Shift, *, adding: int = 1) -> str | None:
    """Would ``adding`` more confirmed collectors on this shift exceed the cap of a permit
    covering it? Counts confirmed sign-ups on live shifts at that permit's sites overlapping
    this shift in time. Called inside the locked sign-up: in a transaction the capped permit
    rows are locked too (in id order), so two sign-ups at different corners of one permit
    cannot both take its last place."""
    if shift.site_id is None:
        return None
    capped = [
        permit for permit in Permit.objects.filter(sites=shift.site_id,
                                                   max_collectors__isnull=False).order_by("pk")
        if permit_covers(permit, shift.starts_at, shift.ends_at)
    ]
    if not capped:
        return None
    if connection.in_atomic_block:
        list(Permit.objects.select_for_update().filter(pk__in=[p.pk for p in capped])
             .order_by("pk").values_list("pk", flat=True))
    for permit in capped:
        confirmed = Signup.objects.filter(
            status=Signup.Status.CONFIRMED,
            shift__is_cancelled=False,
            shift__site__in=permit.sites.all(),
            shift__starts_at__lt=shift.ends_at,
            shift__ends_at__gt=shift.starts_at,
        ).count()
        if confirmed + adding > permit.max_collectors:
            return _(
                "%(permit)s allows at most %(cap)s collectors at once at its sites, and "
                "%(count)s are already signed up at that time."
            ) % {"permit": permit, "cap": permit.max_collectors, "count": confirmed}
    return None


# --- Writes --------------------------------------------------------------------------------


def upload_kind(upload) -> str | None:
    """The stored extension of an accepted upload, read from its first bytes (the name a
    browser sends proves nothing); None when it is none of PDF, PNG and JPEG."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, extension, _content_type in UPLOAD_SIGNATURES:
        if head.startswith(signature):
            return extension
    return None


def _check_upload(upload, field_name: str) -> None:
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise EventError(_("This file is %(size)s MB; upload at most %(limit)s MB.") % {
            "size": round(upload.size / 1024 / 1024, 1),
            "limit": MAX_UPLOAD_BYTES // 1024 // 1024}, field=field_name)
    extension = upload_kind(upload)
    if extension is None:
        raise EventError(_("Upload a PDF, PNG or JPEG file."), field=field_name)
    stem = os.path.splitext(os.path.basename(upload.name or ""))[0]
    upload.name = f"{get_valid_filename(stem)[:60] or field_name}.{extension}"


def _validate_permit(permit: Permit) -> None:
    if not (permit.authority or "").strip():
        raise EventError(_("Name the authority that issued the permit."), field="authority")
    if not (permit.reference or "").strip():
        raise EventError(_("Give the permit's reference."), field="reference")
    if permit.valid_from is None or permit.valid_until is None:
        raise EventError(_("Give the first and the last day the permit is valid."),
                         field="valid_from")
    if permit.valid_until < permit.valid_from:
        raise EventError(_("The permit ends before it starts: its last day must be on or "
                           "after its first."), field="valid_until")
    if (permit.daily_start is None) != (permit.daily_end is None):
        raise EventError(_("Give both daily hours, or neither for all day."),
                         field="daily_end" if permit.daily_end is None else "daily_start")
    if permit.daily_start is not None and permit.daily_end <= permit.daily_start:
        raise EventError(_("The daily hours end before they start."), field="daily_end")
    if permit.max_collectors is not None and permit.max_collectors < 1:
        raise EventError(_("Allow at least one collector, or leave it empty for no cap."),
                         field="max_collectors")


def _apply(permit: Permit, fields: dict) -> list[str]:
    """Set the fields on the permit; returns the names of files it replaces."""
    replaced = []
    for name in UPLOAD_FIELDS:
        upload = fields.pop(name, None)
        if upload:
            _check_upload(upload, name)
            old = getattr(permit, name)
            if old:
                replaced.append(old.name)
            setattr(permit, name, upload)
    for name, value in fields.items():
        setattr(permit, name, value)
    return replaced


def _unknown(fields) -> None:
    extra = set(fields) - set(PERMIT_FIELDS)
    if extra:
        raise TypeError(f"Unknown fields: {sorted(extra)}")


@transaction.atomic
def permit_create(*, by: User | None, **fields) -> Permit:
    """Record a permit (its files are written to private storage when it is saved; a
    refusal leaves nothing behind). ``sites`` is an iterable of Site."""
    _unknown(fields)
    sites = list(fields.pop("sites", []) or [])
    permit = Permit(created_by=by)
    _apply(permit, dict(fields))
    _validate_permit(permit)
    permit.save()
    permit.sites.set(sites)
    return permit


@transaction.atomic
def permit_update(*, permit: Permit, by: User | None, **fields) -> Permit:
    """Change a permit. A new document replaces the old one, whose file is deleted after
    the commit. Shifts it no longer covers are not touched; the board and the permit list
    show them as not covered."""
    _unknown(fields)
    permit = Permit.objects.select_for_update().get(pk=permit.pk)
    sites = fields.pop("sites", None)
    replaced = _apply(permit, dict(fields))
    _validate_permit(permit)
    permit.save()
    if sites is not None:
        permit.sites.set(list(sites))
    storage = Permit._meta.get_field("document").storage
    for name in replaced:
        transaction.on_commit(lambda name=name: storage.delete(name))
    return permit


@transaction.atomic
def permit_requirement_create(*, by: User | None, kind: str = "", jurisdiction: str = "",
                              note: str = "") -> PermitRequirement:
    """Add a "needs a permit" rule (a site type, a jurisdiction, or both)."""
    jurisdiction = " ".join((jurisdiction or "").split())
    kind = kind or ""
    if kind and kind not in SiteKind.values:
        raise EventError(_("Choose a site type."), field="kind")
    if not kind and not jurisdiction:
        raise EventError(_("Choose a site type, a jurisdiction, or both."), field="kind")
    duplicate = PermitRequirement.objects.filter(
        kind=kind, jurisdiction__iexact=jurisdiction).exists()
    if duplicate:
        raise EventError(_("This rule is already in the list."), field="jurisdiction")
    return PermitRequirement.objects.create(kind=kind, jurisdiction=jurisdiction,
                                            note=(note or "").strip())


@transaction.atomic
def permit_requirement_delete(*, requirement: PermitRequirement, by: User | None) -> None:
    """Remove a rule. Shifts already planned stay; they are simply no longer flagged."""
    PermitRequirement.objects.filter(pk=requirement.pk).delete()


def uncovered_upcoming_shifts(*, limit: int = 200) -> list[tuple[Shift, CoverageInfo]]:
    """Live shifts still to come at sites that need a permit and are not covered, for the
    permit list (constant queries)."""
    shifts = list(
        Shift.objects.filter(site__isnull=False, is_cancelled=False,
                             ends_at__gte=timezone.now())
        .exclude(event__status="cancelled")
        .select_related("site", "event").order_by("starts_at", "pk")[:limit * 5]
    )
    coverage = coverage_by_shift(shifts)
    return [(shift, coverage[shift.pk]) for shift in shifts
            if not coverage[shift.pk].covered][:limit]
