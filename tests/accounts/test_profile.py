import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROFILE = {
    "display_name": "Sam Patel",
    "phone": "(559) 555-0199",
    "emergency_contact_name": "Priya Patel",
    "emergency_contact_phone": "(559) 555-0198",
    "confirmed_adult": "on",
    "date_of_birth": "",
    "language": "en",
    "reminders_enabled": "on",
}


def test_profile_needs_login(client):
    response = client.get(reverse("profile"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_volunteer_edits_own_profile(client):
    user = UserFactory(confirmed_adult=False)
    client.force_login(user)

    response = client.post(reverse("profile"), {**PROFILE, "reminders_enabled": ""})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "Sam Patel"
    assert user.phone == "(559) 555-0199"
    assert user.emergency_contact_name == "Priya Patel"
    assert user.confirmed_adult is True
    assert user.reminders_enabled is False
    follow = client.get(response["Location"])
    assert "Your profile is saved." in follow.content.decode()


def test_future_birth_date_is_refused_at_the_field_and_nothing_is_saved(client):
    user = UserFactory(display_name="Before")
    client.force_login(user)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = client.post(
        reverse("profile"), {**PROFILE, "date_of_birth": tomorrow.isoformat()}
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["date_of_birth"]
    assert "id_date_of_birth_error" in response.content.decode()
    user.refresh_from_db()
    assert user.display_name == "Before"


def test_empty_name_is_refused(client):
    client.force_login(UserFactory())

    response = client.post(reverse("profile"), {**PROFILE, "display_name": "  "})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["display_name"]


def test_date_of_birth_decides_adulthood_over_the_checkbox():
    today = timezone.localdate()
    seventeen = today.replace(year=today.year - 17)
    user = UserFactory.build(confirmed_adult=True, date_of_birth=seventeen)

    assert user.is_adult_on(today) is False
    assert UserFactory.build(confirmed_adult=True).is_adult_on(today) is True
    assert UserFactory.build(confirmed_adult=False).is_adult_on(today) is False


@pytest.mark.parametrize("page", ["profile", "my_shifts"])
def test_unverified_volunteer_is_told_why_no_reminders_come(client, page):
    client.force_login(UserFactory(verified=False))

    html = client.get(reverse(page)).content.decode()

    assert "You will get no shift reminders until you confirm your email address" in html


@pytest.mark.parametrize("page", ["profile", "my_shifts"])
def test_volunteer_with_reminders_off_is_told_so(client, page):
    client.force_login(UserFactory(reminders_enabled=False))

    html = client.get(reverse(page)).content.decode()

    assert "You will get no shift reminders: you turned them off." in html
