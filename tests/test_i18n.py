import pytest
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_home_page_in_spanish_when_the_browser_asks_for_it(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="es")

    html = response.content.decode()
    assert response["Content-Language"] == "es"
    assert '<html lang="es">' in html
    assert "Línea Nacional contra la Trata de Personas" in html
    assert "Próximos eventos" in html


def test_account_pages_in_spanish(client):
    html = client.get(reverse("account_signup"), HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "Tu nombre" in html
    assert "Contraseña" in html


def test_language_switcher_sets_the_page_language(client):
    response = client.post(reverse("set_language"), {"language": "es", "next": "/"}, follow=True)

    assert "Próximos eventos" in response.content.decode()


def test_switcher_refuses_to_redirect_off_site(client):
    response = client.post(reverse("set_language"),
                           {"language": "es", "next": "https://evil.example.com/"})

    assert response["Location"] == "/"


def test_profile_language_is_used_after_login(client):
    UserFactory(email="luis@example.org", language="es")

    client.post(reverse("account_login"), {"login": "luis@example.org", "password": PASSWORD})
    html = client.get("/").content.decode()

    assert "Próximos eventos" in html


def test_switcher_saves_the_language_in_the_profile(client):
    user = UserFactory(language="en")
    client.force_login(user)

    client.post(reverse("set_language"), {"language": "es", "next": "/"})

    user.refresh_from_db()
    assert user.language == "es"


def test_event_dates_are_written_the_spanish_way(client):
    import datetime

    from django.utils import timezone

    from tests.factories import EventFactory, ShiftFactory

    start = timezone.make_aware(datetime.datetime(2026, 12, 12, 7, 0))
    event = EventFactory(starts_at=start, ends_at=start + datetime.timedelta(hours=10))
    ShiftFactory(event=event)

    spanish = client.get(reverse("event_detail", args=[event.pk]), HTTP_ACCEPT_LANGUAGE="es")
    english = client.get(reverse("event_detail", args=[event.pk]), HTTP_ACCEPT_LANGUAGE="en")

    assert "sábado 12 de diciembre de 2026" in spanish.content.decode()
    assert "Saturday 12 December 2026" in english.content.decode()
