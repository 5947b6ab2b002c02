"""Organizer pages of a street bucket drive: the assignment board (sites x time windows),
holding and releasing a cell for a team, the grid form that creates the day's shifts, and
the map. Organizers only; every action is a plain POST form, htmx swaps one cell."""

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from volunteers.access import drive_pages_key

from . import form_tokens, grid, holds
from .forms_board import GridForm, HoldForm
from .models import Event, Shift
from .services import EventError
from .site_board import (
    COVERAGE_LABELS,
    FLAGS,
    NOT_HELD,
    CellMarkup,
    board_cell,
    map_sites,
    site_board,
    teams_for_holding,
    window_label,
)
from .views import already_saved, is_htmx, organizer_only, show_error

BOARD_CACHE_SECONDS = 60


def _board_url(event: Event, shift_pk: int | None = None) -> str:
    url = reverse("site_board", args=[event.pk])
    return f"{url}#c{shift_pk}" if shift_pk else url


@organizer_only
def site_board_view(request, pk: int):
    """Sites as rows, time windows as columns; filters by team and by flag (GET)."""
    event = get_object_or_404(Event, pk=pk)
    team = request.GET.get("team", "")[:20]
    flag = request.GET.get("flag", "")
    flag = flag if flag in FLAGS else ""
    head, body = board_parts(event, team=team, flag=flag)
    if head is None:
        head = render_to_string("events/board/_board_head.html", {"event": event}, request)
    return render(request, "events/board/board.html", {
        "event": event,
        "head": mark_safe(head),  # noqa: S308 (a template's own escaped output)
        "body": mark_safe(body),  # noqa: S308 (rendered)
    })


def shared_head_version(event: Event) -> str | None:
    """What the page's heading and the organizer's header of the event show, as a short hash,
    for the key of a cached part that holds them: they are the event's row as read for this
    request, however the row was last written. None when the header is not the same for
    every organizer (a draft's carries a form with the reader's CSRF token) or shows another
    row (a series date's names its series)."""
    if event.status == Event.Status.DRAFT or event.series_id:
        return None
    shown = (event.status, event.kind, event.title, event.title_es)
    return hashlib.sha256(repr(shown).encode()).hexdigest()[:16]


def board_parts(event: Event, *, team: str, flag: str) -> tuple[str | None, str]:
    """The page's heading with the event's header (None: render it for this request: see
    shared_head_version), and everything under them: the same for every organizer (no form,
    no token), so rendered once per change and kept in the cache for up to a minute
    (volunteers.access.drive_pages_key: stale after any committed change to shifts,
    sign-ups, holds, sites, permits, teams or people)."""
    head_version = shared_head_version(event)
    key = drive_pages_key("site-board", team, flag, head_version, event_id=event.pk)
    parts = cache.get(key)
    if parts is not None:
        return parts
    board = site_board(event=event, team=team, flag=flag)
    base = reverse("site_board", args=[event.pk])

    def link(**params) -> str:
        query = {k: v for k, v in {"team": team, "flag": flag, **params}.items() if v}
        return f"{base}?{urlencode(query)}" if query else base

    body = render_to_string("events/board/_board_body.html", {
        "event": event,
        "board": board,
        "windows": [window_label(w) for w in board.windows],
        "rows": CellMarkup(event).rows(board),
        "flag_links": [
            {"label": label, "count": board.flag_counts[name], "url": link(flag=name),
             "current": flag == name}
            for name, label in FLAGS.items()
        ],
        "team_links": [{"label": _("Not held"), "url": link(team=NOT_HELD),
                        "current": team == NOT_HELD}] + [
            {"label": t.name, "url": link(team=str(t.pk)), "current": team == str(t.pk)}
            for t in board.teams
        ],
        "all_flags_url": link(flag=""),
        "all_teams_url": link(team=""),
        "filtered": bool(team or flag),
    })
    head = (render_to_string("events/board/_board_head.html", {"event": event})
            if head_version else None)
    cache.set(key, (head, body), BOARD_CACHE_SECONDS)
    return head, body


def _shift_of(event_pk: int, shift_pk: int) -> tuple[Event, Shift]:
    shift = get_object_or_404(
        Shift.objects.select_related("event", "site", "held_for"), pk=shift_pk,
        event_id=event_pk, site__isnull=False,
    )
    return shift.event, shift


def _manage(request, event: Event, shift: Shift, *, error: str = "", status: int = 200,
            form=None):
    """A cell's hold / release forms: the td alone for htmx, else a page around it."""
    cell = board_cell(event=event, shift_id=shift.pk)
    if cell is None:
        raise Http404
    context = {
        "event": event, "shift": shift, "cell": cell, "teams": teams_for_holding(),
        "error": error, "form": form, "window": window_label((shift.starts_at, shift.ends_at)),
        "summary": CellMarkup(event).counts(cell),
    }
    template = "events/board/_cell_manage.html" if is_htmx(request) else "events/board/cell.html"
    return render(request, template, context, status=status)


@organizer_only
def site_board_cell(request, pk: int, shift_pk: int):
    event, shift = _shift_of(pk, shift_pk)
    return _manage(request, event, shift)


def _done(request, event: Event, shift: Shift, note: str):
    if is_htmx(request):
        cell = board_cell(event=event, shift_id=shift.pk)
        return HttpResponse(CellMarkup(event).cell(cell, note=note))
    messages.success(request, note)
    return HttpResponseRedirect(_board_url(event, shift.pk))


@organizer_only
@require_POST
def site_board_hold(request, pk: int, shift_pk: int):
    """Hold the cell for a team. A refusal (no captain, retired site…) is shown in the cell
    with 422 (409 when the shift itself is cancelled)."""
    event, shift = _shift_of(pk, shift_pk)
    form = HoldForm(request.POST)
    if not form.is_valid():
        return _manage(request, event, shift, error=_("Choose a team."), status=422, form=form)
    team = form.cleaned_data["team"]
    try:
        holds.shift_hold(shift=shift, team=team, by=request.user)
    except EventError as error:
        status = 422 if error.field else 409
        return _manage(request, event, shift, error=error.message, status=status, form=form)
    return _done(request, event, shift, _("Held for %(team)s.") % {"team": team.name})


@organizer_only
@require_POST
def site_board_release(request, pk: int, shift_pk: int):
    """Release the cell's hold; the team's sign-ups stay, its captains and people hear."""
    event, shift = _shift_of(pk, shift_pk)
    team = shift.held_for
    holds.shift_release(shift=shift, by=request.user)
    note = (_("Released; it was held for %(team)s.") % {"team": team.name} if team
            else _("This shift was not held."))
    return _done(request, event, shift, note)


@organizer_only
def drive_grid(request, pk: int):
    """Create the shifts of a drive in one step: chosen sites x time windows."""
    event = get_object_or_404(Event, pk=pk)
    form = GridForm(request.POST or None, event=event)
    form_tokens.add_token_field(form)
    if request.method == "POST" and form.is_valid():
        made = []

        def create() -> str:
            data = form.cleaned_data
            made.extend(grid.drive_grid_create(
                event=event, sites=data["sites"], windows=data["windows"], role=data["role"],
                day=data["day"], by=request.user))
            return reverse("site_board", args=[pk])
        try:
            url, created = form_tokens.save_once(user=request.user, form=form, create=create)
        except EventError as error:
            show_error(form, error)
        else:
            if not created:
                return already_saved(request, url)
            messages.success(request, _("%(count)s shifts added.") % {"count": len(made)})
            return HttpResponseRedirect(url)
    status = 422 if form.is_bound else 200
    return render(request, "events/board/grid.html", {"event": event, "form": form},
                  status=status)


@organizer_only
def drive_map(request, pk: int):
    """The drive's sites on a map, always also listed (tiles may not load)."""
    event = get_object_or_404(Event, pk=pk)
    sites = map_sites(event=event)
    return render(request, "events/board/map.html", {
        "event": event,
        "sites": sites,
        "map_data": {"sites": sites, "labels": {
            "teams": _("Teams"), "buckets": _("Buckets out here"), "bucket": _("Bucket"),
            "overdue": _("overdue")}},
        "legend": list(COVERAGE_LABELS.items()),
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    })
