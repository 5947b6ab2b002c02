import pytest


@pytest.mark.django_db
def test_home_page_shows_hotline_in_footer(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "1-888-373-7888" in response.content.decode()
