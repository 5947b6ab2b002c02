"""The grid form's service: the shifts of a bucket drive in one step, these sites x these
time windows, each shift taking its needed / most / minimum age from its site.

All or nothing: every shift is validated (the shift rules of ``events.services``, the site
still active, the permit rule of ``events.permits``, no second shift at the same site and
time) before any is saved; the first refusal names its site and window."""

import datetime
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from volunteers.access import event_pages_changed
from volunteers.models import User

from . import services
from .models import Event, Shift, ShiftRole, Site
from .services import EventError

WINDOW_LINE = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*[-\u2013]\s*(\d{1,2})(?::(\d{2}))?\s*$")
MAX_GRID_SHIFTS = 1000


@dataclass(frozen=True)
class Window:
    starts: datetime.time
    ends: datetime.time

    def __str__(self) -> str:
        return f"{self.starts:%H:%M}-{self.ends:%H:%M}"


def parse_windows(text: str) -> list[Window]:
    """One window a line, "07:00-09:00" (or "7-9", "13:00 - 15:00"), in the day's order.
    Raises EventError (field ``windows``) naming the first bad line."""
    windows: list[Window] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = WINDOW_LINE.match(line)
        try:
            if match is None:
                raise ValueError
            h1, m1, h2, m2 = match.groups()
            window = Window(datetime.time(int(h1), int(m1 or 0)),
                            datetime.time(int(h2), int(m2 or 0)))
        except ValueError:
            raise EventError(
                _("Line %(line)s, “%(text)s”: write a window as HH:MM-HH:MM, e.g. "
                  "07:00-09:00.") % {"line": number, "text": line.strip()[:40]},
                field="windows",
            ) from None
        if window.ends <= window.starts:
            raise EventError(
                _("Window %(window)s must end after it starts (use 24-hour times: "
                  "13:00-15:00).") % {"window": window}, field="windows")
        windows.append(window)
    if not windows:
        raise EventError(_("Give at least one time window."), field="windows")
    windows.sort(key=lambda w: w.starts)
    for before, after in itertools.pairwise(windows):
        if after.starts < before.ends:
            raise EventError(_("Windows %(a)s and %(b)s overlap.") % {"a": before, "b": after},
                             field="windows")
    return windows


def _aware(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, time),
                               timezone.get_default_timezone())


def _permit_refusal(shift: Shift) -> str | None:
    try:
        from .permits import shift_permit_refusal
    except ImportError:  # the permits module is not there (yet): no permit rule to apply
        return None
    return shift_permit_refusal(shift)


@transaction.atomic
def drive_grid_create(*, event: Event, sites: Iterable[Site], windows: Iterable[Window],
                      role: str = ShiftRole.COLLECTOR, by: User | None,
                      day: datetime.date | None = None) -> list[Shift]:
    """Create one shift per site and window on ``day`` (the event's first day unless given),
    with needed = site.min_people, most = site.max_people and the site's minimum age. The
    event row is locked; nothing is saved unless every shift passes. Returns the shifts."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.is_cancelled:
        raise EventError(_("This event is cancelled; shifts cannot be added."))
    sites = list(sites)
    windows = list(windows)
    if not sites:
        raise EventError(_("Choose at least one site."), field="sites")
    if not windows:
        raise EventError(_("Give at least one time window."), field="windows")
    if len(sites) * len(windows) > MAX_GRID_SHIFTS:
        raise EventError(_("At most %(count)s shifts at once.") % {"count": MAX_GRID_SHIFTS},
                         field="sites")
    day = day or timezone.localtime(event.starts_at).date()
    existing: dict[int, list] = {}
    for site_id, starts, ends in Shift.objects.filter(
        event=event, site__in=sites, is_cancelled=False
    ).values_list("site_id", "starts_at", "ends_at"):
        existing.setdefault(site_id, []).append((starts, ends))
    shifts = []
    for site in sites:
        for window in windows:
            shift = Shift(event=event, site=site, role=role,
                          starts_at=_aware(day, window.starts), ends_at=_aware(day, window.ends),
                          needed=site.min_people, capacity=site.max_people,
                          min_age=site.min_age)
            where = {"site": site.name, "window": window}
            if not site.is_active:
                raise EventError(_("%(site)s, %(window)s: this site is retired.") % where,
                                 field="sites")
            try:
                services._validate_shift(shift, event)
            except EventError as error:
                raise EventError(f"{site.name}, {window}: {error.message}",
                                 field="windows") from None
            if any(shift.starts_at < ends and starts < shift.ends_at
                   for starts, ends in existing.get(site.pk, ())):
                raise EventError(
                    _("%(site)s, %(window)s: this site already has a shift at that time.")
                    % where, field="windows")
            refusal = _permit_refusal(shift)
            if refusal:
                raise EventError(f"{site.name}, {window}: {refusal}", field="sites")
            shifts.append(shift)
    created = Shift.objects.bulk_create(shifts)
    # bulk_create sends no post_save: the event's cached pages are told here (the event list
    # and the home page show no shifts).
    transaction.on_commit(lambda: event_pages_changed(event.pk))
    return created
