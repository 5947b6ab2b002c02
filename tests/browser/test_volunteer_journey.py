"""A new volunteer, on a phone, from the home page to a bucket-drive shift and back out."""

import re

import pytest
from django.core import mail

from events.models import EventKind, ShiftRole
from tests.factories import EventFactory, ShiftFactory
from volunteers.models import Signup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_new_volunteer_signs_up_for_a_bucket_drive_shift_and_cancels_it(phone):
    drive = EventFactory(kind=EventKind.FUNDRAISER,
                         title="Pledge 2 Stop Trafficking Bucket Drive")
    ShiftFactory(event=drive, role=ShiftRole.SETUP, capacity=4, needed=2)

    phone.goto("/")
    phone.get_by_role("link", name="Volunteer with us").click()
    phone.get_by_label("Your name").fill("Yesenia Romero")
    phone.get_by_label("Email").fill("yesenia@example.org")
    phone.get_by_label("Password:", exact=True).fill("bucket-drive-sunday-42")
    phone.get_by_label("Password (again)").fill("bucket-drive-sunday-42")
    phone.get_by_role("button", name="Sign Up").click()
    phone.get_by_role("heading", name="Verify Your Email Address").wait_for()

    # The email links to SITE_URL; the same path on the test server.
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)",
                     mail.outbox[-1].body).group(1)
    phone.goto(link)
    phone.get_by_role("button", name="Confirm").click()
    phone.wait_for_url("**/")

    phone.get_by_role("link", name="Pledge 2 Stop Trafficking Bucket Drive").first.click()
    phone.get_by_role("button", name="Sign up").click()
    phone.get_by_text("You are signed up.").wait_for()
    assert Signup.objects.get().status == Signup.Status.CONFIRMED

    phone.get_by_role("navigation").get_by_role("link", name="My shifts").click()
    shift_card = phone.get_by_role("listitem").filter(has_text="Setup")
    assert shift_card.get_by_text("Confirmed").is_visible()
    assert shift_card.get_by_text("Pledge 2 Stop Trafficking Bucket Drive").is_visible()
    shift_card.get_by_role("link", name=re.compile("Cancel my place")).click()
    shift_card.get_by_role("button", name="Cancel my shift").click()  # after "are you sure?"
    shift_card.get_by_text("Cancelled", exact=True).wait_for()

    assert Signup.objects.get().status == Signup.Status.CANCELLED
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
