"""Collection sites: the services that write them, the reads their pages share, and the CSV
import and export.

A site is a reusable street place (a corner, a storefront, a median). Retiring one keeps it
and its shifts (history) but takes it out of ``active_sites()``, which every form that puts a
shift at a site offers; the people signed up on its coming shifts are told (outbox kind
``site_retired``). Changing a site's name, address or coordinates changes the place of its
coming shifts, so their volunteers get an updated invite, as for a moved shift.

CSV import is all or nothing: every row is checked first and the report names each bad row
(row numbers as a spreadsheet shows them: the header is row 1) with its column; when any row
is bad nothing is saved. A row whose name matches an existing site (ignoring case) updates
that site; the same name twice in one file is refused. Columns the file does not carry (host
contact, minimum age, Spanish notes, private address, retired) are left as they are.
"""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from volunteers import outbox
from volunteers.access import public_pages_changed
from volunteers.models import Signup, User

from .models import ADULTS_ONLY_SITE_KINDS, Event, Shift, Site, SiteKind

ADULT_AGE = 18
DEFAULT_MIN_PEOPLE = 2
DEFAULT_MAX_PEOPLE = 4

SITE_FIELDS = (
    "name", "address", "latitude", "longitude", "kind", "jurisdiction", "host_contact",
    "min_people", "max_people", "min_age", "safety_notes", "safety_notes_es",
    "address_private",
)
# A change to these moves the place of the site's shifts (pages, invites, reminders).
PLACE_FIELDS = ("name", "address", "latitude", "longitude")
LIVE_SIGNUP = (Signup.Status.CONFIRMED, Signup.Status.WAITLISTED)


class SiteError(Exception):
    """A change Rally refuses; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- Reads ---------------------------------------------------------------------------------


def active_sites() -> QuerySet[Site]:
    """The sites a new shift may stand at (retired ones take no new shifts). The grid and
    shift forms offer this queryset, so a retired site is refused as an invalid choice."""
    return Site.objects.filter(is_active=True).order_by("name")


SITE_STATUSES = ("active", "retired", "all")


def sites_for_list(*, status: str = "active", query: str = "") -> QuerySet[Site]:
    """Sites for the organizer list, with the number of coming (not cancelled) shifts at
    each: one query however many sites."""
    sites = Site.objects.annotate(
        coming_shifts=Count("shifts", filter=Q(shifts__is_cancelled=False,
                                               shifts__ends_at__gt=timezone.now())),
    ).order_by("name", "pk")
    if status == "active":
        sites = sites.filter(is_active=True)
    elif status == "retired":
        sites = sites.filter(is_active=False)
    query = query.strip()
    if query:
        sites = sites.filter(Q(name__icontains=query) | Q(address__icontains=query)
                             | Q(jurisdiction__icontains=query))
    return sites


def coming_signups(site: Site) -> QuerySet[Signup]:
    """Live sign-ups (confirmed or waiting) on the site's shifts that have not ended."""
    return Signup.objects.filter(
        shift__site=site, shift__is_cancelled=False, shift__ends_at__gt=timezone.now(),
        status__in=LIVE_SIGNUP,
    ).exclude(shift__event__status=Event.Status.CANCELLED)


# --- Rules ---------------------------------------------------------------------------------


def _prepare(site: Site) -> None:
    site.name = " ".join((site.name or "").split())
    if site.min_age is None and site.kind in ADULTS_ONLY_SITE_KINDS:
        site.min_age = ADULT_AGE


def site_problems(site: Site) -> list[tuple[str | None, str]]:
    """Everything wrong with ``site`` as it would be saved, each with its field: the model's
    own checks (ranges, lengths, choices) and the rules between fields. The name's
    uniqueness is checked by the callers (one query per site, or one per import)."""
    problems: list[tuple[str | None, str]] = []
    try:
        site.full_clean(exclude=["created_by"], validate_unique=False,
                        validate_constraints=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            target = None if name == "__all__" else name
            problems.extend((target, message) for message in messages)
    bad = {name for name, _message in problems}
    if ("min_people" not in bad and "max_people" not in bad
            and site.min_people is not None and site.max_people is not None
            and site.min_people > site.max_people):
        problems.append((
            "min_people",
            _("The minimum (%(min)s) is above the maximum (%(max)s) people.")
            % {"min": site.min_people, "max": site.max_people},
        ))
    return problems


def _name_taken(name: str, *, other_than: int | None) -> bool:
    return Site.objects.filter(name__iexact=name).exclude(pk=other_than).exists()


def _check(site: Site) -> None:
    problems = site_problems(site)
    if problems:
        name, message = problems[0]
        raise SiteError(message, field=name)
    if _name_taken(site.name, other_than=site.pk):
        raise SiteError(_("A site called “%(name)s” exists already.") % {"name": site.name},
                        field="name")


def _save(site: Site) -> None:
    try:
        with transaction.atomic():
            site.save()
    except IntegrityError as error:  # a site of that name saved at the same moment
        raise SiteError(_("A site called “%(name)s” exists already.") % {"name": site.name},
                        field="name") from error


def _unknown(fields: dict) -> None:
    unknown = set(fields) - set(SITE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown site fields: {sorted(unknown)}")


# --- Writes --------------------------------------------------------------------------------


@transaction.atomic
def site_create(*, by: User | None, **fields) -> Site:
    """A new, active site. A median or roadway without a minimum age gets 18."""
    _unknown(fields)
    site = Site(created_by=by, **fields)
    _prepare(site)
    _check(site)
    _save(site)
    return site


@transaction.atomic
def site_update(*, site: Site, by: User | None, **fields) -> Site:
    """Change a site (the row is locked first). A new name, address or position changes
    the place of its coming shifts: their SEQUENCE is raised and their volunteers get an
    updated invite (``outbox.shift_changed``), all in this transaction."""
    _unknown(fields)
    site = Site.objects.select_for_update().get(pk=site.pk)
    before = {name: getattr(site, name) for name in PLACE_FIELDS}
    for name, value in fields.items():
        setattr(site, name, value)
    _prepare(site)
    _check(site)
    _save(site)
    if any(before[name] != getattr(site, name) for name in PLACE_FIELDS):
        _place_changed(site)
    return site


def _place_changed(site: Site) -> None:
    from .services import _bump_shifts

    shifts = list(
        Shift.objects.filter(site=site, is_cancelled=False, ends_at__gt=timezone.now())
        .exclude(event__status=Event.Status.CANCELLED).select_related("event", "site")
    )
    _bump_shifts(shifts)
    transaction.on_commit(public_pages_changed)


@transaction.atomic
def site_retire(*, site: Site, by: User | None) -> Site:
    """Retire a site: it stays, with its shifts and sign-ups (history), but takes no new
    shifts. Each live sign-up (confirmed or waiting) on its shifts that have not ended gets
    one ``site_retired`` message, in this transaction; the organizers then move those people
    or cancel those shifts (both tell them again). Retiring a retired site changes nothing."""
    site = Site.objects.select_for_update().get(pk=site.pk)
    if not site.is_active:
        return site
    site.is_active = False
    site.save(update_fields=["is_active"])
    signups = list(coming_signups(site).select_related("shift").order_by("pk"))
    outbox.site_retired(signups, site=site, at=timezone.now())
    transaction.on_commit(public_pages_changed)
    return site


@transaction.atomic
def site_restore(*, site: Site, by: User | None) -> Site:
    """Put a retired site back in service (it can take new shifts again)."""
    site = Site.objects.select_for_update().get(pk=site.pk)
    if not site.is_active:
        site.is_active = True
        site.save(update_fields=["is_active"])
        transaction.on_commit(public_pages_changed)
    return site


# --- CSV -----------------------------------------------------------------------------------

CSV_COLUMNS = ("name", "address", "lat", "lon", "type", "jurisdiction", "min", "max", "notes")
CSV_FIELD_OF_COLUMN = {
    "name": "name", "address": "address", "lat": "latitude", "lon": "longitude",
    "type": "kind", "jurisdiction": "jurisdiction", "min": "min_people", "max": "max_people",
    "notes": "safety_notes",
}
CSV_COLUMN_OF_FIELD = {value: key for key, value in CSV_FIELD_OF_COLUMN.items()}
MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_CSV_ROWS = 5_000
# A spreadsheet runs a cell starting with one of these as a formula; the export puts an
# apostrophe before it (as spreadsheets do themselves) and the import takes it off again.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TEXT_COLUMNS = ("name", "address", "jurisdiction", "notes")


@dataclass(frozen=True)
class RowError:
    row: int | None  # as a spreadsheet numbers it: the header is row 1; None: the whole file
    column: str  # a CSV column name, "header", or "file"
    message: str


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def refuse(self, row: int | None, column: str, message: str) -> None:
        self.errors.append(RowError(row=row, column=column, message=str(message)))


def _read_text(file, report: ImportReport) -> str | None:
    """The upload as text, or None (with the reason in the report): at most MAX_CSV_BYTES,
    UTF-8 (a byte-order mark, as Excel writes, is fine), no NUL byte."""
    if isinstance(file, str):
        data = file.encode("utf-8")
    elif isinstance(file, bytes):
        data = file
    else:
        if hasattr(file, "seek"):
            file.seek(0)
        data = file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        report.refuse(None, "file", _("The file is larger than %(size)s MB. Split it in "
                                      "parts.") % {"size": MAX_CSV_BYTES // (1024 * 1024)})
        return None
    if not data.strip():
        report.refuse(None, "file", _("The file is empty."))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        report.refuse(line, "file", _("This line is not UTF-8 text. Save the file as “CSV "
                                      "UTF-8” and import it again."))
        return None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        report.refuse(line, "file", _("This line holds a NUL character; is it really a CSV "
                                      "file?"))
        return None
    return text


def _header(cells: list[str], report: ImportReport) -> dict[str, int] | None:
    names = [cell.strip().lstrip("\ufeff").lower() for cell in cells]
    missing = [name for name in CSV_COLUMNS if name not in names]
    unknown = [name for name in names if name not in CSV_COLUMNS]
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if missing:
        report.refuse(1, "header", _("Missing columns: %(names)s.") % {
            "names": ", ".join(missing)})
    if unknown:
        report.refuse(1, "header", _("Unknown columns: %(names)s. The columns are: "
                                     "%(expected)s.") % {
            "names": ", ".join(name or "“”" for name in unknown),
            "expected": ", ".join(CSV_COLUMNS)})
    if repeated:
        report.refuse(1, "header", _("Columns named twice: %(names)s.") % {
            "names": ", ".join(repeated)})
    if missing or unknown or repeated:
        return None
    return {name: names.index(name) for name in CSV_COLUMNS}


def _cell_in(text: str, column: str) -> str:
    text = text.strip()
    if column in TEXT_COLUMNS and text.startswith("'") and text[1:2] in FORMULA_START:
        return text[1:]
    return text


def _kind_in(text: str) -> str:
    """"Median", "private lot", "private-lot" are the SiteKind values median, private_lot."""
    value = "_".join(text.lower().replace("-", " ").split())
    return value


@dataclass
class _Row:
    number: int
    fields: dict
    site: Site | None  # the existing site it updates


def _parse_rows(reader, columns: dict[str, int], existing: dict[str, Site],
                report: ImportReport) -> list[_Row]:
    from .site_forms import SiteCsvRowForm

    rows: list[_Row] = []
    first_row_of_name: dict[str, int] = {}
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line, as spreadsheets leave at the end
        report.rows += 1
        if report.rows > MAX_CSV_ROWS:
            report.refuse(number, "file", _("A file holds at most %(count)s sites. Split it "
                                            "in parts.") % {"count": f"{MAX_CSV_ROWS:,}"})
            break
        if len(cells) != len(CSV_COLUMNS):
            report.refuse(number, "file", _("This row has %(found)s values; the header has "
                                            "%(expected)s.") % {
                "found": len(cells), "expected": len(CSV_COLUMNS)})
            continue
        data = {CSV_FIELD_OF_COLUMN[column]: _cell_in(cells[index], column)
                for column, index in columns.items()}
        data["kind"] = _kind_in(data["kind"])
        form = SiteCsvRowForm(data)
        if not form.is_valid():
            for name, messages in form.errors.items():
                column = CSV_COLUMN_OF_FIELD.get(name, "file")
                for message in messages:
                    if name == "kind":
                        message = _("“%(value)s” is not a site type. Use one of: "
                                    "%(kinds)s.") % {"value": cells[columns["type"]].strip(),
                                                     "kinds": ", ".join(SiteKind.values)}
                    report.refuse(number, column, message)
            continue
        fields = dict(form.cleaned_data)
        fields["name"] = " ".join(fields["name"].split())
        if fields["min_people"] is None:
            fields["min_people"] = DEFAULT_MIN_PEOPLE
        if fields["max_people"] is None:
            fields["max_people"] = max(DEFAULT_MAX_PEOPLE, fields["min_people"])
        key = " ".join(fields["name"].split()).casefold()
        if key in first_row_of_name:
            report.refuse(number, "name", _("“%(name)s” is on row %(row)s already; a file "
                                            "names each site once.") % {
                "name": fields["name"], "row": first_row_of_name[key]})
            continue
        first_row_of_name[key] = number
        site = existing.get(key)
        candidate = Site(pk=site.pk if site else None,
                         min_age=site.min_age if site else None, **fields)
        _prepare(candidate)
        for name, message in site_problems(candidate):
            report.refuse(number, CSV_COLUMN_OF_FIELD.get(name, "file"), message)
        rows.append(_Row(number=number, fields=fields, site=site))
    return rows


def sites_import_csv(*, file, by: User | None) -> ImportReport:
    """Import sites from CSV (``file``: an upload, bytes or text). Every row is checked
    before anything is saved; when any is bad the report lists them all and nothing is
    saved. Otherwise new sites are created and existing ones (same name, any case) updated
    through ``site_update`` (which tells volunteers of a moved place), in one transaction."""
    report = ImportReport()
    text = _read_text(file, report)
    if text is None:
        return report
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        columns = _header(header or [], report)
        if columns is None:
            return report
        existing = {" ".join(site.name.split()).casefold(): site for site in Site.objects.all()}
        rows = _parse_rows(reader, columns, existing, report)
    except csv.Error as error:
        report.refuse(reader.line_num or None, "file",
                      _("This is not readable CSV here: %(reason)s.") % {"reason": error})
        return report
    if not report.ok:
        return report
    if not rows:
        report.refuse(None, "file", _("The file has a header but no sites."))
        return report
    try:
        with transaction.atomic():
            _save_rows(rows, by=by, report=report)
    except SiteError as error:
        report.created, report.updated, report.unchanged = [], [], []
        report.refuse(None, CSV_COLUMN_OF_FIELD.get(error.field, "file"), error.message)
    except IntegrityError:
        report.created, report.updated, report.unchanged = [], [], []
        report.refuse(None, "name", _("Another organizer changed the sites at the same time. "
                                      "Nothing was imported; import the file again."))
    return report


def _save_rows(rows: list[_Row], *, by: User | None, report: ImportReport) -> None:
    new = []
    for row in rows:
        if row.site is None:
            site = Site(created_by=by, **row.fields)
            _prepare(site)
            new.append(site)
            report.created.append(site.name)
        elif any(getattr(row.site, name) != value for name, value in row.fields.items()):
            site = site_update(site=row.site, by=by, **row.fields)
            report.updated.append(site.name)
        else:
            report.unchanged.append(row.site.name)
    Site.objects.bulk_create(new, batch_size=500)
    if new:
        transaction.on_commit(public_pages_changed)


def _cell_out(value, column: str) -> str:
    text = "" if value is None else str(value)
    if column in TEXT_COLUMNS and text.startswith(FORMULA_START):
        return f"'{text}"
    return text


def sites_export_csv(queryset: QuerySet[Site]) -> str:
    """The sites as CSV with the import's columns (so the file imports back unchanged),
    UTF-8 with a byte-order mark so that spreadsheets read accents right. One query."""
    out = io.StringIO(newline="")
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for site in queryset.order_by("name", "pk"):
        values = {
            "name": site.name, "address": site.address, "lat": site.latitude,
            "lon": site.longitude, "type": site.kind, "jurisdiction": site.jurisdiction,
            "min": site.min_people, "max": site.max_people, "notes": site.safety_notes,
        }
        writer.writerow([_cell_out(values[column], column) for column in CSV_COLUMNS])
    return out.getvalue()
