"""The treasurer's dashboard and a team's totals in Debian's Chromium (issue 12): a treasurer
opens a drive's dashboard on a desktop and reads the same figures in each chart and in the
table beside it (the bars' figures as drawn, the table's cells as read by a screen reader),
with nothing refused by the Content-Security-Policy; on a phone the page fits the screen; a
captain goes from the team page to what the team raised.

The data arranged up front is what happens before: the drive's buckets issued to three teams
(one handed between two of them), returned and counted (tests/donations/totals_fixtures.py,
books_fixtures.py), and two card gifts."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, browser_as, fits
from tests.donations.books_fixtures import counted
from tests.donations.totals_fixtures import Street, card_gifts
from tests.factories import TeamMembershipFactory, captain

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def a_counted_drive() -> Street:
    street = Street(sites=2, teams=3)
    street.trip([(0, 60), (1, 30)], site=0)
    street.trip([(2, 90)], site=1)
    street.trip([(1, 45)], site=1)
    for index, cents in enumerate((9000, 4550, 12345)):
        counted(street, index, cents, at=street.at(200 + index * 30))
    card_gifts(street.event, [2000, 1500], by=street.ann, team=street.teams[2])
    return street


def test_treasurer_sees_each_chart_agree_with_its_table(chromium, live_server):
    street = a_counted_drive()
    context, page = browser_as(chromium, live_server, street.ann, viewport=DESKTOP)
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)

    page.goto(reverse("money_dashboard", args=[street.event.pk]))

    expect(page.get_by_role("heading", name="Raised", exact=True)).to_be_visible()
    expect(page.get_by_text("$293.95", exact=True).first).to_be_visible()
    for chart, table in (("Raised by each team", "Raised by each team"),
                         ("Raised at each site", "Raised at each site")):
        image = page.get_by_role("img", name=chart)
        expect(image).to_be_visible()
        bars = image.locator(".chart-bar")
        drawn = [(bars.nth(i).get_attribute("data-label"),
                  int(bars.nth(i).get_attribute("data-cents"))) for i in range(bars.count())]
        rows = page.get_by_role("table", name=table).locator("tbody tr")
        read = [(rows.nth(i).get_by_role("rowheader").inner_text(),
                 rows.nth(i).locator("td").last.inner_text()) for i in range(rows.count())]
        assert [(label, f"${cents / 100:,.2f}") for label, cents in drawn] == read
        # Every bar is drawn: its width on the screen follows its figure.
        widths = [bars.nth(i).locator("rect").bounding_box()["width"]
                  for i in range(bars.count())]
        assert widths == sorted(widths, reverse=True) and widths[0] > 100
    line = page.get_by_role("img", name="Counted through the day")
    expect(line).to_be_visible()
    points = [int(cents) for cents in
              line.locator("circle").evaluate_all("dots => dots.map(d => d.dataset.cents)")]
    assert points == [9000, 13550, 25895]
    expect(page.get_by_role("table", name="Counted so far, at each agreed count")
           ).to_contain_text("$258.95")
    assert refused == []
    context.close()


def test_dashboard_fits_a_phone(chromium, live_server):
    street = a_counted_drive()
    context, page = browser_as(chromium, live_server, street.ann, viewport=PHONE)

    page.goto(reverse("money_dashboard", args=[street.event.pk]))

    expect(page.get_by_role("img", name="Raised by each team")).to_be_visible()
    assert fits(page)
    context.close()


def test_captain_goes_from_the_team_page_to_what_the_team_raised(chromium, live_server):
    street = a_counted_drive()
    person = captain()
    TeamMembershipFactory(team=street.teams[2], user=person, is_captain=True)
    context, page = browser_as(chromium, live_server, person, viewport=PHONE)

    page.goto(reverse("team_detail", args=[street.teams[2].pk]))
    page.get_by_role("link", name="Money raised by the team").click()

    expect(page.get_by_role("heading", name=f"Raised by {street.teams[2].name}")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=street.event.title)
    expect(row).to_contain_text("$80.50")  # 45.50 of bucket 2 held all along, 35.00 by card
    expect(row).to_contain_text("1 bucket counted")
    expect(row).to_contain_text("Provisional")
    assert fits(page)
    context.close()
