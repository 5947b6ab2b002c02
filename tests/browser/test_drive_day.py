"""The drive-day view on a phone in Chromium: an organizer at the staging point sees the
overdue bucket and the bucket at a site where nobody is checked in, above everything else,
without scrolling sideways. Custody arranged with the real services."""

import datetime

import pytest
from django.utils import timezone

from donations.custody import bucket_issue
from donations.handoff import personal_code
from tests.browser.conftest import log_in
from tests.factories import (
    BucketFactory,
    EventFactory,
    ShiftFactory,
    SignupFactory,
    SiteFactory,
    UserFactory,
    organizer,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOUR = datetime.timedelta(hours=1)


def test_drive_day_on_a_phone_shows_overdue_and_unattended(phone):
    now = timezone.now()
    boss = organizer()
    drive = EventFactory(title="Pledge 2 Stop Trafficking", starts_at=now - 4 * HOUR,
                         ends_at=now + 4 * HOUR)
    corner = SiteFactory(name="Blackstone & Shaw", min_people=2)
    median = SiteFactory(name="Shaw Ave median", min_people=2)
    ended = ShiftFactory(event=drive, site=corner, starts_at=now - 3 * HOUR,
                         ends_at=now - HOUR)
    running = ShiftFactory(event=drive, site=median, starts_at=now - HOUR, ends_at=now + HOUR)
    late = SignupFactory(shift=ended, volunteer=UserFactory(display_name="Rosa G")).volunteer
    alone = SignupFactory(shift=running, volunteer=UserFactory(display_name="Tom C")).volunteer
    for bucket, shift, person in ((BucketFactory(number=12), ended, late),
                                  (BucketFactory(number=7), running, alone)):
        bucket_issue(bucket=bucket, shift=shift, to=person, seal_number=f"S-{bucket.number}",
                     by=boss, receiver_code=personal_code(person, drive))

    log_in(phone, boss)
    phone.goto(f"/organize/events/{drive.pk}/live/")

    alerts = phone.get_by_role("region", name="3 alerts")
    overdue = alerts.get_by_text("Overdue: bucket 12")
    unattended = alerts.get_by_text("Unattended: bucket 7")
    assert overdue.is_visible()
    assert unattended.is_visible()
    assert alerts.get_by_text("Below minimum: Shaw Ave median").is_visible()
    # Alerts come before the counts and the sites, on the phone's first screens.
    assert overdue.bounding_box()["y"] < phone.get_by_role(
        "heading", name="Sites now").bounding_box()["y"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # The page asks for its body again every 30 seconds; the partial answers alone.
    assert phone.locator("#live-body").get_attribute("hx-trigger") == "every 30s"
