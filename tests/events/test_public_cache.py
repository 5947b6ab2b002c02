import pytest
from django.urls import reverse

from events.models import EventKind
from tests.factories import EventFactory, ShiftFactory, UserFactory
from volunteers.services.signups import signup_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_anonymous_event_page_is_served_from_cache_without_queries(
    client, django_assert_num_queries
):
    shift = ShiftFactory(capacity=5)
    url = reverse("event_detail", args=[shift.event.pk])
    first = client.get(url)

    with django_assert_num_queries(0):
        second = client.get(url)

    assert second.content == first.content
    assert second["Cache-Control"] == "public, max-age=60"


def test_a_sign_up_refreshes_the_cached_public_page(client):
    shift = ShiftFactory(capacity=5, needed=2)
    url = reverse("event_detail", args=[shift.event.pk])
    before = client.get(url).content.decode()
    volunteer = UserFactory()

    signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    after = client.get(url).content.decode()

    assert before != after
    assert "0 of 5 places taken" in before
    assert "1 of 5 places taken" in after


def test_cached_pages_are_kept_per_language(client):
    shift = ShiftFactory()
    url = reverse("event_detail", args=[shift.event.pk])
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    spanish = client.get(url, HTTP_ACCEPT_LANGUAGE="es")

    assert english["Content-Language"] == "en"
    assert spanish["Content-Language"] == "es"
    assert '<html lang="es">' in spanish.content.decode()


def test_a_sign_up_leaves_other_events_pages_the_event_list_and_home_cached(
    client, django_assert_num_queries
):
    mine = ShiftFactory(capacity=5)
    other = ShiftFactory(capacity=5)
    mine_url = reverse("event_detail", args=[mine.event.pk])
    others = [reverse("event_detail", args=[other.event.pk]), reverse("event_list"),
              reverse("home")]
    client.get(mine_url)
    before = {url: client.get(url).content for url in others}
    volunteer = UserFactory()

    signup_create(shift=mine, volunteer=volunteer, by=volunteer)

    with django_assert_num_queries(0):
        after = {url: client.get(url).content for url in others}
    assert after == before
    assert "1 of 5 places taken" in client.get(mine_url).content.decode()


def test_a_shift_or_rsvp_change_refreshes_only_its_events_page(client):
    from events.services import rsvp_create, shift_update

    shift = ShiftFactory(capacity=5)
    meeting = EventFactory(kind=EventKind.MEETING, rsvp_capacity=10)
    url = reverse("event_detail", args=[shift.event.pk])
    meeting_url = reverse("event_detail", args=[meeting.pk])
    assert "0 of 5 places taken" in client.get(url).content.decode()
    before = client.get(meeting_url).content
    assert "0 of 10 places taken" in before.decode()

    shift_update(shift=shift, by=None, capacity=8)

    assert "0 of 8 places taken" in client.get(url).content.decode()
    assert client.get(meeting_url).content == before
    rsvp_create(event=meeting, user=UserFactory())
    assert "1 of 10 places taken" in client.get(meeting_url).content.decode()


def test_an_event_change_refreshes_the_event_list(client):
    event = EventFactory(title="Bucket drive at Shaw")
    url = reverse("event_list")
    assert "Bucket drive at Shaw" in client.get(url).content.decode()

    event.title = "Bucket drive at Blackstone"
    event.save()

    assert "Bucket drive at Blackstone" in client.get(url).content.decode()


def test_publishing_a_series_shows_its_events_on_the_cached_pages_and_feed(client):
    """Publishing is one UPDATE (no signals): it still makes the event list, the drafts'
    own pages and the public feed fresh at once, not when their minute runs out."""
    import datetime

    from django.utils import timezone

    from events import services
    from events.models import EventSeries

    services.series_create(
        by=None, rrule="FREQ=MONTHLY;COUNT=2",
        first_start=timezone.now() + datetime.timedelta(days=10),
        duration=datetime.timedelta(hours=2), kind=EventKind.MEETING,
        title="Zero Tolerance Quarterly Meeting", venue_name="Martinez")
    series = EventSeries.objects.get()
    first = series.occurrences.order_by("starts_at").first()
    list_url, feed_url = reverse("event_list"), reverse("calendar_public_feed")
    before = [client.get(url).content.decode() for url in (list_url, feed_url)]

    assert services.series_publish(series=series, by=None) == 2

    after = [client.get(url).content.decode() for url in (list_url, feed_url)]
    assert all("Zero Tolerance Quarterly Meeting" not in page for page in before)
    assert after[0].count("Zero Tolerance Quarterly Meeting") == 2
    assert after[1].count("SUMMARY:Zero Tolerance Quarterly Meeting") == 2
    assert client.get(reverse("event_detail", args=[first.pk])).status_code == 200
