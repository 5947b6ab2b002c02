"""Signing up for a shift on a phone: htmx swaps that shift's sign-up box in place (the list
sets hx-target for every box), and cancelling swaps it back."""

import re

import pytest

from events.models import ShiftRole
from tests.browser.conftest import log_in
from tests.factories import EventFactory, ShiftFactory, UserFactory
from volunteers.models import Signup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_and_cancel_in_place(phone):
    drive = EventFactory(title="Bucket Drive")
    first = ShiftFactory(event=drive, role=ShiftRole.COLLECTOR, title="Shaw & Cedar")
    second = ShiftFactory(event=drive, role=ShiftRole.COLLECTOR, title="Herndon & Blackstone",
                          starts_at=first.starts_at, ends_at=first.ends_at)
    volunteer = UserFactory()
    log_in(phone, volunteer)
    phone.goto(f"/events/{drive.pk}/")
    box = phone.locator(f"#signup-{second.pk}")

    box.get_by_role("button", name="Sign up").click()
    box.get_by_role("status").wait_for()

    assert box.get_by_role("status").inner_text().startswith(
        "You are signed up: Herndon & Blackstone, Bucket Drive.")
    # Chromium names it "Cancel my place : …" (the hidden context is positioned apart).
    cancel = box.get_by_role("link", name=re.compile(r"^Cancel my place ?: Herndon & Bl"))
    assert cancel.is_visible()
    assert phone.locator(".signup-box").count() == 2
    assert phone.locator(f"#signup-{first.pk}").get_by_role("button").inner_text() == "Sign up"
    assert Signup.objects.get(volunteer=volunteer).shift_id == second.pk

    cancel.click()  # "are you sure?" in place of the box, then the real cancel
    box.get_by_role("button", name="Cancel my shift").click()
    box.get_by_text("Your place on Herndon & Blackstone is cancelled.").wait_for()

    assert box.get_by_role("button", name="Sign up").is_visible()
    assert phone.locator("h1").count() == 1
    assert Signup.objects.get(volunteer=volunteer).status == Signup.Status.CANCELLED
