"""RSVP on a phone: htmx swaps the RSVP box in place, including the refusal when full."""

import pytest

from events.models import EventKind, Rsvp
from tests.browser.conftest import log_in
from tests.factories import EventFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rsvp_in_place_then_refused_when_full(phone):
    talk = EventFactory(kind=EventKind.AWARENESS, title="Community Presentation",
                        rsvp_capacity=1)
    full_talk = EventFactory(kind=EventKind.AWARENESS, title="Popular Presentation",
                             rsvp_capacity=1)
    volunteer = UserFactory()
    log_in(phone, volunteer)

    phone.goto(f"/events/{talk.pk}/")
    phone.get_by_role("button", name="RSVP: I am going").click()
    box = phone.locator("#rsvp")
    box.get_by_text("You are going. See you there!").wait_for()
    assert box.get_by_role("button", name="Withdraw my RSVP").is_visible()
    assert Rsvp.objects.get(event=talk).user == volunteer

    phone.goto(f"/events/{full_talk.pk}/")
    Rsvp.objects.create(event=full_talk, user=UserFactory())  # someone was quicker
    phone.get_by_role("button", name="RSVP: I am going").click()
    box.get_by_role("alert").wait_for()

    assert box.get_by_role("alert").inner_text() == "Sorry, this event is full."
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
