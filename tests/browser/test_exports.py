"""In Debian's Chromium: a treasurer downloads the journal from its page (and the same file again
from the earlier downloads), opens the reconciliation report with its Print button, and an
organizer downloads the permit return as CSV. No console error (the pages run under the CSP)."""

import pytest

from tests.browser.conftest import DESKTOP, browser_as
from tests.donations.exports_fixtures import days_from_today, full_books
from tests.donations.money_world import MoneyWorld
from tests.factories import PermitFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_treasurer_downloads_the_journal_and_organizer_the_permit_return(chromium,
                                                                          live_server):
    world = MoneyWorld(buckets=3)
    world.event.accounting_code = "4010-FRESNO"
    world.event.save(update_fields=["accounting_code"])
    full_books(world)
    permit = PermitFactory(sites=[world.site], reference="SP-0042",
                           return_due=days_from_today(10))
    errors = []

    context, page = browser_as(chromium, live_server, world.tess, viewport=DESKTOP,
                               accept_downloads=True)
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.goto(f"/money/journal/?event={world.event.pk}")
    with page.expect_download() as first:
        page.get_by_role("button", name="Download the journal (12 rows)").click()
    original = first.value.path().read_bytes()
    assert original.decode("utf-8").count("4010-FRESNO") == 12

    page.goto("/money/journal/")
    page.get_by_text("Nothing new to export").first.wait_for()
    with page.expect_download() as again:
        page.get_by_role("link", name="(CSV)").first.click()
    assert again.value.path().read_bytes() == original

    page.goto(f"/money/drives/{world.event.pk}/report/")
    page.get_by_role("heading", name="Counts per bucket").wait_for()
    assert page.get_by_role("button", name="Print").is_visible()
    context.close()

    context, page = browser_as(chromium, live_server, world.organizer, viewport=DESKTOP,
                               accept_downloads=True)
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.goto(f"/organize/permits/{permit.pk}/return/")
    total = page.get_by_role("row", name="Total collected")
    assert total.inner_text().split() == ["Total", "collected", "$290.75"]
    with page.expect_download() as returned:
        page.get_by_role("link", name="Download as CSV").click()
    assert returned.value.suggested_filename == "permit-return-city-of-fresno-sp-0042.csv"
    assert returned.value.path().read_text(encoding="utf-8").splitlines()[-1] == (
        "total,,,,,,,290.75,,")
    context.close()
    assert errors == []
