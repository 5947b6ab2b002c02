"""An organizer's per-event feeds live at their own secret address: the personal feed token
never opens them, a reset or the loss of the organizer role closes them, and only organizers
see them on the calendar page."""

import pytest
from django.urls import reverse

from events.models import Event
from tests.factories import EventFactory, ShiftFactory, organizer
from tests.notifications.ical import parse_calendar
from volunteers.models import Role
from volunteers.services.messages import organizer_calendar_token_reset
from volunteers.services.roles import role_revoke

pytestmark = pytest.mark.django_db


def organizer_feed_url(token: str, event) -> str:
    return reverse("calendar_organizer_feed", kwargs={"token": token, "pk": event.pk})


def uids(response) -> list[str]:
    return [str(e["UID"]) for e in parse_calendar(response.content).events]


def test_organizer_token_opens_a_draft_events_feed(client, contact):
    draft = EventFactory(status=Event.Status.DRAFT, contact=contact)
    shift = ShiftFactory(event=draft)
    token = organizer_calendar_token_reset(user=contact)

    response = client.get(organizer_feed_url(token, draft))

    assert response.status_code == 200
    assert uids(response) == [f"event-{draft.pk}@127.0.0.1", f"shift-{shift.pk}@127.0.0.1"]
    assert response["Cache-Control"] == "private, no-cache"
    assert client.get(organizer_feed_url(token, draft),
                      HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_personal_token_of_an_organizer_does_not_open_organizer_feeds(client, contact, event):
    organizer_calendar_token_reset(user=contact)
    draft = EventFactory(status=Event.Status.DRAFT)

    for target in (event, draft):
        response = client.get(organizer_feed_url(contact.calendar_token, target))
        assert response.status_code == 404
        assert b"BEGIN:VCALENDAR" not in response.content


def test_organizer_without_an_organizer_token_has_no_organizer_feed(client, contact, event):
    assert contact.organizer_calendar_token is None
    assert client.get(organizer_feed_url(contact.calendar_token, event)).status_code == 404


def test_reset_organizer_token_makes_the_old_address_404(client, contact, event):
    old = organizer_feed_url(organizer_calendar_token_reset(user=contact), event)
    client.force_login(contact)

    response = client.post(reverse("organizer_calendar_token_reset"))

    assert response.status_code == 302
    contact.refresh_from_db()
    assert client.get(old).status_code == 404
    assert client.get(organizer_feed_url(contact.organizer_calendar_token, event)).status_code \
        == 200


def test_organizer_feed_closes_when_the_person_is_no_longer_an_organizer(client, contact, event):
    url = organizer_feed_url(organizer_calendar_token_reset(user=contact), event)
    assert client.get(url).status_code == 200

    role_revoke(user=contact, role=Role.ORGANIZER, by=organizer())

    assert client.get(url).status_code == 404


def test_calendar_page_shows_organizer_addresses_only_to_organizers(client, contact, volunteer):
    draft = EventFactory(status=Event.Status.DRAFT, title="Spring bucket drive (draft)")
    client.force_login(volunteer)
    page = client.get(reverse("calendar_settings")).content.decode()
    assert "Organizer calendars" not in page

    client.force_login(contact)
    page = client.get(reverse("calendar_settings")).content.decode()
    assert "Organizer calendars" in page
    assert "Make my organizer calendar addresses" in page

    client.post(reverse("organizer_calendar_token_reset"))
    contact.refresh_from_db()
    page = client.get(reverse("calendar_settings")).content.decode()
    assert "Spring bucket drive (draft)" in page
    assert organizer_feed_url(contact.organizer_calendar_token, draft) in page
    assert contact.calendar_token != contact.organizer_calendar_token


def test_volunteer_cannot_make_an_organizer_address(client, volunteer):
    client.force_login(volunteer)

    response = client.post(reverse("organizer_calendar_token_reset"))

    assert response.status_code == 403
    volunteer.refresh_from_db()
    assert volunteer.organizer_calendar_token is None


def test_organizer_reset_needs_post(client, contact):
    client.force_login(contact)
    assert client.get(reverse("organizer_calendar_token_reset")).status_code == 405


def test_calendar_page_queries_are_constant_for_organizers(client, contact,
                                                         django_assert_max_num_queries):
    organizer_calendar_token_reset(user=contact)
    client.force_login(contact)
    EventFactory.create_batch(2)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("calendar_settings"))
    EventFactory.create_batch(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("calendar_settings")).content.decode()
    assert page.count("organizer-feed-") >= 22
