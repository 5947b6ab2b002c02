import pytest


@pytest.mark.django_db
def test_home_page_shows_hotline_in_footer(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "1-888-373-7888" in response.content.decode()


def test_health_check_answers_without_the_database(client):
    # No django_db mark: any query here would raise.
    response = client.get("/healthz")

    assert response.content == b"ok"


@pytest.mark.django_db
def test_anonymous_home_page_is_cacheable_and_sets_no_cookie(client):
    response = client.get("/")

    assert response.cookies == {}
    assert "public" in response["Cache-Control"]
    assert "max-age=60" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


@pytest.mark.django_db
def test_logged_in_home_page_is_never_shared(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get("/")

    assert "private" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_language_switch_for_a_logged_in_person_needs_the_csrf_token():
    from django.test import Client

    from tests.factories import UserFactory

    user = UserFactory(language="en")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post("/language/", {"language": "es", "next": "/"})

    assert response.status_code == 403
    user.refresh_from_db()
    assert user.language == "en"
