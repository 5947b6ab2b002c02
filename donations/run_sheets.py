"""The run sheet of each team on a street bucket drive: its sites and time windows, the
people and their phones, the buckets issued to it with their seal numbers, and the team's
giving link and QR code for donors without cash (issue 12). Read by the printable run sheets
page (organizers only: phones are shown). Four queries for the whole drive, however many
teams, sites, people and buckets."""

from dataclasses import dataclass, field

from django.utils.functional import cached_property
from django.utils.safestring import SafeString
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from events.models import Event, Shift
from volunteers.models import Signup, Team, User

from .badges import qr_svg
from .models import CustodyEvent
from .totals import giving_link

# What every collector is told before going out (the Salvation Army's kettle rules, the UK
# street-collection code): printed on every run sheet.
SAFETY_RULES = (
    _("Wear your safety vest and your badge where people can see them."),
    _("Work in pairs: never stand alone, and never leave a bucket unattended."),
    _("Stay on the sidewalk: never step into the roadway or between cars."),
    _("If anyone threatens you, back away and call 911."),
    _("If someone demands the money, hand it over: never resist. People matter more than "
      "money."),
    _("Keep the bucket sealed: it is opened only at the staging point."),
)


@dataclass
class RunSheetShift:
    shift: Shift
    people: list[Signup] = field(default_factory=list)


@dataclass
class IssuedBucket:
    number: int
    kind: str
    seal_number: str
    shift: Shift
    holder: User | None


@dataclass
class RunSheet:
    team: Team | None  # None: people on street shifts who came without a team
    shifts: list[RunSheetShift] = field(default_factory=list)
    buckets: list[IssuedBucket] = field(default_factory=list)

    @property
    def giving_code(self) -> str:
        """The team's giving code; for the people without a team, the code of their site
        when they all stand at one site that has one."""
        if self.team is not None:
            return self.team.giving_code or ""
        sites = {entry.shift.site for entry in self.shifts}
        return (sites.pop().giving_code or "") if len(sites) == 1 else ""

    @property
    def giving_link(self) -> str:
        return giving_link(self.giving_code) if self.giving_code else ""

    @cached_property
    def giving_qr(self) -> SafeString | None:
        if not self.giving_code:
            return None
        return qr_svg(self.giving_link, label=gettext_now("QR code of the giving link"))

    @property
    def people(self) -> list[User]:
        """Everyone on the sheet once, in the order they first appear."""
        seen: dict[int, User] = {}
        for entry in self.shifts:
            for signup in entry.people:
                seen.setdefault(signup.volunteer_id, signup.volunteer)
        return list(seen.values())


def run_sheets(event: Event) -> list[RunSheet]:
    """One sheet per team that holds a street shift of ``event`` or has people confirmed on
    one through the team, by team name; then one sheet for the people on street shifts
    who came on their own, if any. A shift held for a team belongs to that team with all
    its people; an unheld shift appears on the sheet of each team with someone on it."""
    shifts = list(
        Shift.objects.filter(event=event, site__isnull=False, is_cancelled=False)
        .select_related("site", "held_for")
        .order_by("starts_at", "site__name", "pk")
    )
    by_pk = {shift.pk: shift for shift in shifts}
    signups = (
        Signup.objects.filter(shift_id__in=list(by_pk), status=Signup.Status.CONFIRMED)
        .select_related("volunteer", "team")
        .order_by("confirmed_at", "pk")
    )
    sheets: dict[int | None, RunSheet] = {}
    entries: dict[tuple[int | None, int], RunSheetShift] = {}

    def entry_for(team: Team | None, shift: Shift) -> RunSheetShift:
        key = team.pk if team is not None else None
        sheet = sheets.setdefault(key, RunSheet(team=team))
        if (key, shift.pk) not in entries:
            entries[key, shift.pk] = RunSheetShift(shift=shift)
            sheet.shifts.append(entries[key, shift.pk])
        return entries[key, shift.pk]

    for shift in shifts:  # a held cell is on its team's sheet even before anyone signs up
        if shift.held_for is not None:
            entry_for(shift.held_for, shift)
    for signup in signups:
        shift = by_pk[signup.shift_id]
        entry_for(shift.held_for or signup.team, shift).people.append(signup)

    _add_buckets(event, sheets, by_pk)
    for sheet in sheets.values():
        sheet.shifts.sort(key=lambda e: (e.shift.starts_at, e.shift.site.name, e.shift.pk))
    teamless = sheets.pop(None, None)
    ordered = sorted(sheets.values(), key=lambda s: s.team.name.lower())
    return [*ordered, teamless] if teamless is not None else ordered


def _add_buckets(event: Event, sheets: dict, shifts: dict[int, Shift]) -> None:
    """The latest issue of each bucket to each team on the drive (custody log rows of kind
    "issued"): bucket number and the seal number applied. One query."""
    issues = (
        CustodyEvent.objects.filter(kind=CustodyEvent.Kind.ISSUED, shift_id__in=list(shifts))
        .select_related("bucket", "holder")
        .order_by("at", "pk")
    )
    latest: dict[tuple[int | None, int], CustodyEvent] = {}
    for issue in issues:
        shift = shifts[issue.shift_id]
        team_id = issue.team_id or shift.held_for_id
        if team_id not in sheets and issue.holder_id is not None:
            team_id = _team_of_holder(sheets, shift, issue.holder_id)
        latest[team_id, issue.bucket_id] = issue  # later rows replace earlier ones
    for (team_id, _bucket), issue in latest.items():
        sheet = sheets.get(team_id)
        if sheet is None:
            continue
        sheet.buckets.append(IssuedBucket(
            number=issue.bucket.number, kind=issue.bucket.get_kind_display(),
            seal_number=issue.seal_number, shift=shifts[issue.shift_id], holder=issue.holder,
        ))
    for sheet in sheets.values():
        sheet.buckets.sort(key=lambda b: b.number)


def _team_of_holder(sheets: dict, shift: Shift, holder_id: int) -> int | None:
    """The sheet on which the bucket's holder stands on that shift (no query)."""
    for key, sheet in sheets.items():
        for entry in sheet.shifts:
            if entry.shift.pk == shift.pk and any(s.volunteer_id == holder_id
                                                  for s in entry.people):
                return key
    return None
