import pytest
from django.urls import reverse

from tests.factories import ShiftFactory, UserFactory
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
