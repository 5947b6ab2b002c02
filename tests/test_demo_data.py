import pytest
from django.apps import apps
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in ("volunteers", "events", "donations", "account")
        for model in apps.get_app_config(app).get_models()
    }


def test_seed_demo_twice_creates_nothing_new(capsys):
    call_command("seed_demo")
    first = row_counts()
    call_command("seed_demo")

    assert row_counts() == first
    assert first["volunteers.User"] >= 45
    out = capsys.readouterr().out
    for email in ("organizer@example.org", "treasurer@example.org", "captain@example.org",
                  "volunteer@example.org"):
        assert email in out


def test_demo_accounts_can_log_in(client):
    from volunteers.demo import DEMO_PASSWORD

    call_command("seed_demo")

    for email in ("organizer@example.org", "treasurer@example.org", "captain@example.org",
                  "volunteer@example.org"):
        response = client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        assert response["Location"] == "/"
        client.post("/accounts/logout/")
