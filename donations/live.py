"""The drive-day view's reads: every site of a street drive now (people checked in against
the site's minimum, the buckets out there, the team), the alerts an organizer at the staging
point must act on, the buckets by state and the drive's incidents.

A bucket's state is the latest row of its custody log (a subquery per bucket for its id, then
those rows), so the whole view costs the same five queries for 10 buckets or 1,000, 5 sites
or 50: the drive's site shifts with their checked-in count; the confirmed
sign-ups of the shifts in progress (the team on the street now); the buckets with their latest
custody step (two queries); the drive's incidents.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Event, Shift, Site
from volunteers.models import Signup

from .models import Bucket, CustodyEvent, Incident

OUT_KINDS = (CustodyEvent.Kind.ISSUED, CustodyEvent.Kind.HANDED_OVER)
MISSING_KINDS = (CustodyEvent.Kind.LOST, CustodyEvent.Kind.STOLEN)

# The site colours are the map's (events/site_board.py, .cov-* in rally.css): green when
# enough people are checked in, orange below the minimum, red when nobody is.
COVERED, BELOW, EMPTY, IDLE = "covered", "below", "empty", "idle"
SITE_LABELS = {
    COVERED: _("Enough people checked in"),
    BELOW: _("Below the minimum"),
    EMPTY: _("Nobody checked in"),
    IDLE: _("No shift now"),
}

# Bucket states as the drive-day view and the map's popups name them.
IN_STOCK, OUT, RETURNED, MISSING = "in_stock", "out", "returned", "missing"
STATE_LABELS = {
    IN_STOCK: _("In stock"),
    OUT: _("Out"),
    RETURNED: _("Returned"),
    MISSING: _("Lost or stolen"),
}


@dataclass
class BucketNow:
    """A bucket with its latest custody step (None: never issued)."""

    bucket: Bucket
    latest: CustodyEvent | None
    overdue: bool = False
    unattended: bool = False

    @property
    def state(self) -> str:
        kind = self.latest.kind if self.latest is not None else None
        if kind in OUT_KINDS:
            return OUT
        if kind in MISSING_KINDS:
            return MISSING
        if kind == CustodyEvent.Kind.RETURNED:
            return RETURNED
        return IN_STOCK

    @property
    def shift(self) -> Shift | None:
        return self.latest.shift if self.latest is not None else None

    @property
    def event_id(self) -> int | None:
        shift = self.shift
        return shift.event_id if shift is not None else None

    @property
    def holder_name(self) -> str:
        holder = self.latest.holder if self.latest is not None else None
        return holder.name if holder is not None else ""

    @property
    def holder_phone(self) -> str:
        holder = self.latest.holder if self.latest is not None else None
        return holder.phone if holder is not None else ""


@dataclass
class SiteNow:
    site: Site
    shift: Shift | None  # the shift in progress (the first, if two overlap)
    next_shift: Shift | None
    team: list[Signup] = field(default_factory=list)
    present: int = 0
    buckets: list[BucketNow] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.shift is None:
            return IDLE
        if self.present == 0:
            return EMPTY
        return BELOW if self.present < self.site.min_people else COVERED

    @property
    def status_label(self) -> str:
        return str(SITE_LABELS[self.status])

    @property
    def below_minimum(self) -> bool:
        return self.shift is not None and self.present < self.site.min_people

    @property
    def holders(self) -> str:
        return ", ".join(sorted({s.held_for.name for s in (self.shift, self.next_shift)
                                 if s is not None and s.held_for is not None}))


@dataclass
class DriveDay:
    event: Event
    now: datetime.datetime
    sites: list[SiteNow]
    overdue: list[BucketNow]
    unattended: list[BucketNow]
    below_minimum: list[SiteNow]
    counts: dict[str, int]
    incidents: list[Incident]

    @property
    def alert_count(self) -> int:
        return len(self.overdue) + len(self.unattended) + len(self.below_minimum)

    @property
    def count_rows(self) -> list[tuple[str, str, int]]:
        return [(key, str(label), self.counts[key]) for key, label in STATE_LABELS.items()]


def buckets_now() -> list[BucketNow]:
    """Every bucket with its latest custody step as a model row (its shift and holder), for
    the alerts' arithmetic: two queries (the buckets with the id of their latest step; then
    those steps)."""
    latest = CustodyEvent.objects.filter(bucket_id=OuterRef("pk")).order_by("-at", "-pk")
    buckets = list(Bucket.objects.annotate(latest_id=Subquery(latest.values("pk")[:1]))
                   .order_by("number"))
    ids = [b.latest_id for b in buckets if b.latest_id is not None]
    steps = {step.pk: step for step in CustodyEvent.objects.filter(pk__in=ids)
             .select_related("shift", "holder")} if ids else {}
    return [BucketNow(bucket=b, latest=steps.get(b.latest_id)) for b in buckets]


def drive_day(*, event: Event, now: datetime.datetime | None = None) -> DriveDay:
    """The drive as it stands at ``now`` (default: this moment). Alerts:
    - overdue: a bucket out whose shift has ended (not returned);
    - unattended: a bucket out at a site, its shift started (and not ended: that is
      overdue already), and nobody checked in on a shift in progress there;
    - below minimum: a shift in progress with fewer people checked in than the site's
      minimum."""
    now = now or timezone.now()
    shifts = list(
        Shift.objects.filter(event=event, site__isnull=False)
        .select_related("site", "held_for")
        .annotate(present=Count("signups", filter=Q(
            signups__status=Signup.Status.CONFIRMED,
            signups__attendance=Signup.Attendance.PRESENT)))
        .order_by("site__name", "site_id", "starts_at", "pk")
    )
    shift_by_id = {shift.pk: shift for shift in shifts}
    sites: dict[int, SiteNow] = {}
    current = []
    for shift in shifts:
        if shift.is_cancelled:
            continue
        entry = sites.get(shift.site_id)
        if entry is None:
            entry = sites[shift.site_id] = SiteNow(site=shift.site, shift=None, next_shift=None)
        if shift.starts_at <= now < shift.ends_at:
            current.append(shift.pk)
            entry.present += shift.present
            if entry.shift is None:
                entry.shift = shift
        elif shift.starts_at > now and entry.next_shift is None:
            entry.next_shift = shift
    if current:
        team = (Signup.objects.filter(shift_id__in=current, status=Signup.Status.CONFIRMED)
                .select_related("volunteer").order_by("volunteer__display_name", "pk"))
        for signup in team:
            sites[shift_by_id[signup.shift_id].site_id].team.append(signup)

    counts = dict.fromkeys(STATE_LABELS, 0)
    overdue, unattended = [], []
    for item in buckets_now():
        state = item.state
        on_this_drive = item.event_id == event.pk
        if state == IN_STOCK or (state == RETURNED and not on_this_drive):
            # Never out, found, or back from an earlier drive: ready to go out.
            counts[IN_STOCK] += int(item.bucket.is_active)
            continue
        if not on_this_drive:
            continue  # out, lost or stolen on another drive
        if state == OUT:  # the drive's own copy of the shift, with its site and count
            item.latest.shift = shift_by_id.get(item.latest.shift_id, item.latest.shift)
        counts[state] += 1
        if state != OUT or item.shift is None:
            continue
        entry = sites.get(item.shift.site_id)
        if entry is not None:
            entry.buckets.append(item)
        if item.shift.ends_at <= now:
            item.overdue = True
            overdue.append(item)
        elif item.shift.starts_at <= now and (entry is None or entry.present == 0):
            item.unattended = True
            unattended.append(item)

    ordered = sorted(sites.values(), key=lambda s: (
        not any(b.overdue for b in s.buckets),
        not any(b.unattended for b in s.buckets),
        not s.below_minimum,
        s.site.name,
    ))
    incidents = list(Incident.objects.filter(event=event)
                     .select_related("site", "bucket", "reported_by", "shift"))
    return DriveDay(
        event=event, now=now, sites=ordered,
        overdue=sorted(overdue, key=lambda b: (b.shift.ends_at, b.bucket.number)),
        unattended=unattended,
        below_minimum=[s for s in ordered if s.below_minimum],
        counts=counts, incidents=incidents,
    )


def buckets_by_site(*, event: Event, now: datetime.datetime | None = None) -> dict[int, list]:
    """For the map's popups: the buckets out at each site of the drive (number, holder,
    overdue), keyed by site id. Two queries."""
    now = now or timezone.now()
    by_site: dict[int, list] = defaultdict(list)
    for item in buckets_now():
        if item.state != OUT or item.event_id != event.pk or item.shift.site_id is None:
            continue
        by_site[item.shift.site_id].append({
            "number": item.bucket.number,
            "holder": item.holder_name,
            "overdue": item.shift.ends_at <= now,
        })
    return dict(by_site)
