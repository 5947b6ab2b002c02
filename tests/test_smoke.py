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
