"""Under the Content-Security-Policy, Chromium refuses nothing on Rally's pages and htmx keeps
working (a full event's refusal is swapped in place by static/js/rally.js, not inline code)."""

import pytest

from events.models import EventKind, Rsvp
from tests.browser.conftest import log_in
from tests.factories import EventFactory, ShiftFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_csp(page) -> list[str]:
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    return refused


def test_pages_and_htmx_run_without_csp_violations(phone):
    refused = watch_csp(phone)
    full_talk = EventFactory(kind=EventKind.AWARENESS, title="Popular Presentation",
                             rsvp_capacity=1)
    drive = EventFactory(title="Bucket Drive")
    ShiftFactory(event=drive, title="Herndon & Blackstone")
    volunteer = UserFactory()
    log_in(phone, volunteer)

    phone.goto(f"/events/{full_talk.pk}/")
    Rsvp.objects.create(event=full_talk, user=UserFactory())  # someone was quicker
    phone.get_by_role("button", name="RSVP: I am going").click()
    phone.locator("#rsvp").get_by_role("alert").wait_for()
    for url in ("/", "/events/", f"/events/{drive.pk}/", "/my/shifts/", "/profile/",
                "/profile/calendar/", "/no-such-page/"):
        phone.goto(url)

    assert refused == []


def test_admin_runs_without_csp_violations(phone):
    refused = watch_csp(phone)
    admin = UserFactory(is_staff=True, is_superuser=True)
    log_in(phone, admin)

    phone.goto("/admin/")
    phone.goto(f"/admin/volunteers/user/{admin.pk}/change/")
    phone.get_by_role("button", name="Save", exact=True).wait_for()

    assert refused == []
