"""Print pages in Debian's Chromium: the badges and the run sheets print one item per page
(headless Chromium's PDF, pages counted), without the site's bar, header and footer but
with the hotline inside each item; the Print button appears only with JavaScript."""

import re

import pytest
from django.urls import reverse

from donations.badges import badge_issue_all
from donations.custody import bucket_issue
from tests.browser.conftest import DESKTOP, browser_as
from tests.factories import (
    BucketFactory,
    EventFactory,
    ShiftFactory,
    SignupFactory,
    SiteFactory,
    TeamFactory,
    UserFactory,
    organizer,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF: its "/Type /Page" objects (Chromium writes them uncompressed)."""
    return len(PAGE_OBJECT.findall(pdf))



@pytest.fixture
def drive():
    """Three teams on three corners, two people each, a bucket issued to each team; and
    one more person on a corner without a team: 7 badges, 4 run sheets."""
    boss = organizer()
    event = EventFactory(title="Pledge Drive", contact=boss)
    for n in range(3):
        team = TeamFactory(name=f"Team {n}")
        shift = ShiftFactory(event=event, site=SiteFactory(), held_for=team)
        people = [UserFactory() for _ in range(2)]
        for person in people:
            SignupFactory(shift=shift, volunteer=person, team=team)
        bucket_issue(bucket=BucketFactory(), shift=shift, to=people[0],
                     seal_number=f"S-{n:04d}", by=boss, override_reason="printed in a test")
    SignupFactory(shift=ShiftFactory(event=event, site=SiteFactory()), volunteer=UserFactory())
    badge_issue_all(event=event, by=boss)
    return event, boss


def test_badges_print_one_badge_per_page(chromium, live_server, drive):
    event, boss = drive
    context, page = browser_as(chromium, live_server, boss, viewport=DESKTOP)
    page.goto(reverse("organize_event_badges_print", args=[event.pk]))

    assert page.get_by_role("button", name="Print").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".hotline-bar").is_visible()
    assert not page.locator(".site-header").is_visible()
    assert page.locator(".cb-hotline").first.is_visible()
    pdf = page.pdf(format="Letter")
    context.close()

    assert pdf_pages(pdf) == 7


def test_run_sheets_print_one_sheet_per_page(chromium, live_server, drive):
    event, boss = drive
    context, page = browser_as(chromium, live_server, boss, viewport=DESKTOP)
    page.goto(reverse("organize_event_run_sheets", args=[event.pk]))

    assert page.locator("article.run-sheet").count() == 4
    assert "S-0001" in page.locator("article.run-sheet").nth(1).inner_text()
    pdf = page.pdf(format="Letter")
    context.close()

    assert pdf_pages(pdf) == 4


def test_disclosure_card_prints_on_one_page(chromium, live_server, drive):
    event, boss = drive
    context, page = browser_as(chromium, live_server, boss, viewport=DESKTOP)
    page.goto(reverse("organize_event_disclosure_card", args=[event.pk]))
    pdf = page.pdf(format="Letter")
    context.close()

    assert pdf_pages(pdf) == 1


def test_print_page_without_javascript_hides_the_print_button(chromium, live_server, drive):
    event, boss = drive
    context, page = browser_as(chromium, live_server, boss, viewport=DESKTOP,
                               java_script_enabled=False)
    page.goto(reverse("organize_event_badges_print", args=[event.pk]))

    assert not page.get_by_role("button", name="Print").is_visible()
    assert "Print command" in page.locator(".print-tools").inner_text()
    assert page.locator("article.collector-badge").count() == 7
    context.close()
