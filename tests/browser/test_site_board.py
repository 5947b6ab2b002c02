"""The sites board and the map in Chromium: an organizer holds a cell for a team and sees
the "below minimum" flag, the team's captain fills it, the flag clears; the map page lists
every site when no tile can load."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Shift
from tests.browser.conftest import DESKTOP, browser_as
from tests.factories import (
    EventFactory,
    ShiftFactory,
    SiteFactory,
    TeamMembershipFactory,
    UserFactory,
    captain,
    organizer,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



def test_organizer_holds_cell_captain_fills_it_flag_clears(chromium, live_server):
    event = EventFactory()
    day = timezone.localtime(event.starts_at).date()
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(7)))
    site = SiteFactory(name="Blackstone & Shaw, NE corner", min_people=2, max_people=3)
    shift = ShiftFactory(event=event, site=site, starts_at=start,
                         ends_at=start + datetime.timedelta(hours=2), needed=2, capacity=3)
    lead = captain()
    team = TeamMembershipFactory(user=lead, is_captain=True, team__name="Grace Youth").team
    members = [UserFactory(display_name=name) for name in ("Ana Ruiz", "Ben Ortiz")]
    for member in members:
        TeamMembershipFactory(team=team, user=member)

    context, page = browser_as(chromium, live_server, organizer(), viewport=DESKTOP)
    page.goto(reverse("site_board", args=[event.pk]))
    cell = page.locator(f"#c{shift.pk}")
    cell.get_by_role("link", name="Hold or release").click()
    cell.get_by_label("Hold for team").select_option(label="Grace Youth")
    cell.get_by_role("button", name="Hold").click()
    page.locator(f"#c{shift.pk}", has_text="Held for Grace Youth.").wait_for()
    assert "Grace Youth" in cell.inner_text()
    assert "someone would stand alone" in cell.inner_text()
    context.close()
    assert Shift.objects.get(pk=shift.pk).held_for == team

    context, page = browser_as(chromium, live_server, lead, viewport=DESKTOP)
    page.goto(reverse("team_signup", args=[team.pk]) + f"?shift={shift.pk}")
    for member in members:
        page.get_by_label(member.display_name).check()
    page.get_by_role("button", name="Sign them up").click()
    page.wait_for_load_state()
    context.close()

    context, page = browser_as(chromium, live_server, organizer(), viewport=DESKTOP)
    page.goto(reverse("site_board", args=[event.pk]))
    text = page.locator(f"#c{shift.pk}").inner_text()
    assert "2/2 confirmed" in text
    assert "someone would stand alone" not in text
    context.close()


def test_map_lists_every_site_when_tiles_are_unreachable(chromium, live_server, settings):
    settings.MAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"
    event = EventFactory()
    names = [f"Corner {n}" for n in range(6)]
    for name in names:
        ShiftFactory(event=event, site=SiteFactory(name=name))

    context, page = browser_as(chromium, live_server, organizer(), viewport=DESKTOP)
    page.goto(reverse("drive_map", args=[event.pk]))
    page.wait_for_load_state("load")
    rows = page.get_by_role("row")
    listed = [page.get_by_role("rowheader", name=name) for name in names]
    assert all(item.count() == 1 for item in listed), rows.all_inner_texts()
    assert page.locator(".leaflet-interactive").count() == len(names)  # the markers drew
    context.close()
