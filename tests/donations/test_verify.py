"""The public badge verification page (/verify/<code>/): anyone may open it; it says "valid
collector for <drive>, <date>, badge <n>" or "not valid", and nothing about the person."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from donations.badges import badge_issue_all, badge_return, badge_revoke
from donations.models import Badge
from events.models import Event
from tests.factories import (
    EventFactory,
    ShiftFactory,
    SignupFactory,
    SiteFactory,
    UserFactory,
    organizer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def badge():
    event = EventFactory(title="Pledge 2 Stop Trafficking")
    shift = ShiftFactory(event=event, site=SiteFactory())
    collector = UserFactory(display_name="Rosa Martinez", phone="(559) 555-0199",
                            email="rosa.martinez@example.org")
    SignupFactory(shift=shift, volunteer=collector)
    badge_issue_all(event=event, by=organizer())
    return Badge.objects.select_related("event", "volunteer").get(volunteer=collector)


def verify(client, code):
    return client.get(reverse("badge_verify", args=[code]))


def test_verify_valid_badge_names_the_drive_date_and_number(client, badge):
    response = verify(client, badge.code)

    page = response.content.decode()
    assert response.status_code == 200
    day = timezone.localdate(badge.event.starts_at)
    assert (f"Valid collector for Pledge 2 Stop Trafficking, {day:%A, %B} {day.day}, "
            f"{day.year}, badge 1.") in page


def test_verify_shows_nothing_about_the_person(client, badge):
    page = verify(client, badge.code).content.decode()

    for private in ("Rosa", "Martinez", "555-0199", "rosa.martinez"):
        assert private not in page


def test_verify_unknown_code_says_not_valid_with_200(client, badge):
    response = verify(client, "no-such-code")

    page = response.content.decode()
    assert response.status_code == 200
    assert "This is not a valid collector&#x27;s badge." in page or "not a valid" in page
    assert "Valid collector for" not in page


def test_verify_revoked_badge_says_not_valid(client, badge):
    badge_revoke(badge=badge, by=organizer())

    page = verify(client, badge.code).content.decode()

    assert "not a valid collector" in page
    assert "Pledge 2 Stop Trafficking" not in page


def test_verify_returned_badge_says_not_valid(client, badge):
    badge_return(badge=badge, by=organizer())

    assert "not a valid collector" in verify(client, badge.code).content.decode()


def test_verify_badge_of_a_cancelled_drive_says_not_valid(client, badge):
    Event.objects.filter(pk=badge.event_id).update(status=Event.Status.CANCELLED)

    assert "not a valid collector" in verify(client, badge.code).content.decode()


def test_verify_badge_after_the_drive_day_says_not_valid(client, badge):
    past = timezone.now() - datetime.timedelta(days=2)
    Event.objects.filter(pk=badge.event_id).update(starts_at=past - datetime.timedelta(hours=8),
                                                   ends_at=past)

    assert "not a valid collector" in verify(client, badge.code).content.decode()


def test_verify_badge_later_on_the_drive_day_is_still_valid(client, badge):
    now = timezone.localtime()
    start = now.replace(hour=0, minute=1, second=0, microsecond=0)
    Event.objects.filter(pk=badge.event_id).update(starts_at=start,
                                                   ends_at=start + datetime.timedelta(minutes=1))

    assert "Valid collector for" in verify(client, badge.code).content.decode()


def test_verify_answer_is_not_cached_and_sets_no_cookie(client, badge):
    response = verify(client, badge.code)

    assert "no-store" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    assert not response.cookies
    assert response["X-Robots-Tag"] == "noindex"


def test_verify_reads_the_same_for_logged_in_people(client, badge):
    client.force_login(UserFactory())

    assert "Valid collector for" in verify(client, badge.code).content.decode()


def test_verify_revocation_shows_at_once(client, badge):
    assert "Valid collector for" in verify(client, badge.code).content.decode()
    badge_revoke(badge=badge, by=organizer())

    assert "not a valid collector" in verify(client, badge.code).content.decode()


@pytest.mark.parametrize("code", ["x" * 300, "%00", "' OR 1=1 --", "ü", "..", "a.b"])
def test_verify_hostile_codes_say_not_valid(client, code):
    response = client.get(f"/verify/{code}/")

    assert response.status_code in (200, 400, 404)
    assert "Valid collector for" not in response.content.decode()
