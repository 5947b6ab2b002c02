"""A visitor watches a drive's public total in Debian's Chromium (issue 12): on the phone the
home page and the event page say "Raised so far … (provisional)" and the total's page says
provisional; a treasurer who neither counted nor deposited reconciles the drive through the
books' own page; the visitor reloads and sees "final" — the cached pages were refreshed by the
reconciliation's commit, not by waiting for them to expire.

The data arranged up front is what happens before: the drive (begun this morning), its three
buckets issued, returned, counted, deposited and banked (tests/donations/books_fixtures.py)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, browser_as
from tests.donations.books_fixtures import ready_to_reconcile
from tests.donations.money_world import MoneyWorld
from tests.factories import EventFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


def test_visitor_sees_provisional_turn_final_after_reconciliation(chromium, live_server):
    start = timezone.now() - datetime.timedelta(hours=5)
    world = MoneyWorld(buckets=3, event=EventFactory(title="Fresno Street Drive",
                                                     starts_at=start))
    ready_to_reconcile(world)  # 120.00 + 45.50 + 87.25
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                   base_url=live_server.url)
    visitor = context.new_page()
    visitor.set_default_timeout(10_000)

    visitor.goto("/")
    box = visitor.get_by_role("complementary", name="Money raised")
    expect(box).to_contain_text("Raised so far: $252.75 (provisional)")
    box.get_by_role("link", name="See the totals").click()
    expect(visitor.get_by_role("heading", name="Raised so far")).to_be_visible()
    expect(visitor.get_by_text("$252.75")).to_be_visible()
    expect(visitor.get_by_text("Provisional", exact=True)).to_be_visible()
    assert visitor.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    visitor.get_by_role("link", name="About this drive").click()
    expect(visitor.get_by_role("complementary", name="Money raised")).to_contain_text(
        "Raised so far: $252.75 (provisional)")

    treasurer_context, books = browser_as(chromium, live_server, world.tess, viewport=DESKTOP)
    books.goto(reverse("money_reconcile", args=[world.event.pk]))
    books.get_by_role("button", name="Reconcile and lock").click()
    expect(books.get_by_role("heading", name="Locked")).to_be_visible()
    treasurer_context.close()

    # Browsers may keep a public page for a minute: the visitor reloads, as people do.
    visitor.reload()
    expect(visitor.get_by_role("complementary", name="Money raised")).to_contain_text(
        "Raised: $252.75 (final)")
    visitor.goto(reverse("fundraiser_raised", args=[world.event.pk]))
    visitor.reload()
    expect(visitor.get_by_role("heading", name="Raised", exact=True)).to_be_visible()
    expect(visitor.get_by_text("Final", exact=True)).to_be_visible()
    expect(visitor.get_by_text("Provisional", exact=True)).to_have_count(0)
    visitor.goto("/")
    visitor.reload()
    expect(visitor.get_by_role("complementary", name="Money raised")).to_contain_text(
        "Raised: $252.75 (final)")
    context.close()
