"""The counting table on a tablet, in Debian's Chromium: Ann counts a bucket (the total follows
her typing; Enter never sends half a count), hands the tablet to Ben, who signs in as himself
and counts differently, then Tess signs in and recounts: it agrees with Ann. Nobody sees an
earlier count's figures on the way, and no page is wider than the tablet."""

import pytest

from donations.counting import session_open, sheet_open
from donations.models import AgreedCount, Count
from tests.browser.conftest import browser_as
from tests.donations.money_world import MoneyWorld
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 820, "height": 1180}


def wide_enough(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]


def count(page, twenties: str, quarters: str) -> None:
    page.get_by_label("$20 bills").fill(twenties)
    page.get_by_label("Quarters", exact=True).fill(quarters)


def sign_in_here(page, person) -> None:
    switch = page.locator("#switch")
    if switch.get_attribute("open") is None:
        page.get_by_text("Not you? Another treasurer signs in here").click()
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in and count").click()


def test_two_counters_disagree_on_one_tablet_and_a_recount_settles_it(
        chromium, live_server):
    world = MoneyWorld(buckets=1)
    session = session_open(event=world.event, place="Peoples Church hall", by=world.ann,
                           present=[world.ann, world.ben])
    sheet = sheet_open(session=session, returned=world.returns[0], by=world.ann)
    context, page = browser_as(chromium, live_server, world.ann, viewport=TABLET)
    try:
        page.goto(f"/money/sheets/{sheet.pk}/count/")
        assert page.get_by_role("heading", level=1).inner_text().endswith("count A")
        assert not page.get_by_role("button", name="Work out the total").is_visible()

        count(page, "7", "3")
        assert page.locator("#count-total").inner_text() == "$140.75"
        page.get_by_label("Quarters", exact=True).press("Enter")  # moves on, sends nothing
        assert Count.objects.count() == 0
        assert page.evaluate("document.activeElement.name") == "coin_10"
        page.get_by_label("Dimes", exact=True).fill("-1")
        assert page.locator("#count-total").inner_text().startswith("?")
        page.get_by_label("Dimes", exact=True).fill("")
        assert wide_enough(page)
        page.get_by_role("button", name="Save count A").click()

        page.wait_for_url(f"**/money/sheets/{sheet.pk}/count/")
        assert "is saved. Now a second treasurer counts it blind" in page.content()
        assert "140.75" not in page.content()

        sign_in_here(page, world.ben)
        page.wait_for_url(f"**/money/sheets/{sheet.pk}/count/")
        assert f"Counting as {world.ben.name}" in page.locator("#counting-as").inner_text()
        assert "140.75" not in page.content()
        count(page, "7", "4")
        assert page.locator("#count-total").inner_text() == "$141.00"
        page.get_by_role("button", name="Save count B").click()
        page.wait_for_url(f"**/money/sheets/{sheet.pk}/count/")
        assert "Count B differs from count A" in page.content()

        sign_in_here(page, world.tess)
        page.wait_for_url(f"**/money/sheets/{sheet.pk}/count/")
        assert "140.75" not in page.content() and "141.00" not in page.content()
        count(page, "7", "3")
        page.get_by_role("button", name="Save count C").click()

        page.wait_for_url(f"**/money/sheets/{sheet.pk}/")
        assert "Count C is saved and equals count A" in page.content()
        assert page.locator(".count-compare tr.differs").count() == 3  # quarters, cash, total
        assert wide_enough(page)
    finally:
        context.close()
    agreed = AgreedCount.objects.get()
    assert (agreed.count.counter, agreed.matched.counter) == (world.ann, world.tess)
    assert agreed.total_cents == 14075
