"""A bucket's day on the street, on phones: an organizer at the staging point issues bucket 7
to Alice by her personal code, Alice hands it to Ben (the next shift at her corner) by typing
his code on her own phone, and it comes back with a broken seal: the return is flagged on the
drive's custody list. No page wider than the phone's screen on the way."""

import datetime

import pytest
from django.utils import timezone

from donations.handoff import personal_code
from donations.models import CustodyEvent
from tests.factories import (
    BucketFactory,
    EventFactory,
    ShiftFactory,
    SignupFactory,
    SiteFactory,
    UserFactory,
    organizer,
)

from .conftest import browser_as, fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]




def test_bucket_issued_by_code_handed_over_and_returned_with_a_broken_seal(chromium,
                                                                           live_server):
    now = timezone.now().replace(second=0, microsecond=0)
    drive = EventFactory(title="Pledge 2 Stop Trafficking", starts_at=now - datetime.timedelta(
        hours=2), ends_at=now + datetime.timedelta(hours=8))
    corner = SiteFactory(name="Shaw & Blackstone")
    first = ShiftFactory(event=drive, site=corner, starts_at=now - datetime.timedelta(hours=1),
                         ends_at=now + datetime.timedelta(hours=1))
    second = ShiftFactory(event=drive, site=corner, starts_at=now + datetime.timedelta(hours=1),
                          ends_at=now + datetime.timedelta(hours=3))
    alice = UserFactory(display_name="Alice Nguyen")
    ben = UserFactory(display_name="Ben Ortiz")
    SignupFactory(shift=first, volunteer=alice)
    SignupFactory(shift=second, volunteer=ben)
    bucket = BucketFactory(number=7)
    boss = organizer()
    widths = []

    staging, desk = browser_as(chromium, live_server, boss)
    desk.goto(f"/organize/events/{drive.pk}/buckets/")
    desk.get_by_role("link", name="Bucket 7").click()
    desk.get_by_label("Volunteer and shift").select_option(label="Alice Nguyen")
    desk.get_by_label("Seal number").fill("S-100")
    desk.get_by_label("Their personal code").fill(personal_code(alice, drive))
    widths.append(fits(desk))
    desk.get_by_role("button", name="Issue bucket 7").click()
    desk.get_by_text("Bucket 7 is issued to Alice Nguyen.").wait_for()

    street, mine = browser_as(chromium, live_server, alice)
    mine.goto("/my/shifts/")
    mine.get_by_role("link", name="My bucket: Bucket 7").click()
    mine.get_by_label("Code of the person taking the bucket").fill(
        personal_code(ben, drive).lower())
    widths.append(fits(mine))
    mine.get_by_role("button", name="Hand over").click()
    mine.get_by_text("Bucket 7 is now with Ben Ortiz.").wait_for()
    assert mine.get_by_role("link", name="My bucket: Bucket 7").count() == 0
    street.close()

    desk.reload()
    assert desk.get_by_text("With Ben Ortiz").count() == 1
    desk.get_by_label("Seal number seen").fill("S-100")
    desk.get_by_label("No, broken or missing").check()
    desk.get_by_role("button", name="Receive bucket 7").click()
    desk.get_by_text("the return is flagged for the treasurers").wait_for()

    desk.goto(f"/organize/events/{drive.pk}/buckets/")
    desk.get_by_role("heading", name="1 flagged return").wait_for()
    row = desk.locator(f"#bucket-{bucket.pk}")
    assert "Flagged: seal" in row.inner_text()
    widths.append(fits(desk))
    staging.close()

    steps = list(CustodyEvent.objects.filter(bucket=bucket).order_by("at", "pk")
                 .values_list("kind", "holder__display_name", "seal_intact"))
    assert steps == [("issued", "Alice Nguyen", None), ("handed_over", "Ben Ortiz", None),
                     ("returned", None, False)]
    assert widths == [True, True, True]
