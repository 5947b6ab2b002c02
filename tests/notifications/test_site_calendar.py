"""A shift at a street site: the e-mailed invite and the personal feed carry the site's
LOCATION and GEO (Shift.place comes from the site); a site whose address is private keeps
it in what goes to the person signed up, and leaves it out of what anyone may download."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import EventFactory, ShiftFactory, SiteFactory, UserFactory, in_days
from tests.notifications.ical import only_event, parse_calendar
from volunteers.messaging.kinds import Kind
from volunteers.messaging.render import message_email
from volunteers.models import Message
from volunteers.services.signups import signup_create

pytestmark = pytest.mark.django_db


def site_shift(**site_fields):
    site = SiteFactory(
        name="Blackstone & Shaw, NE corner", address="N Blackstone Ave & E Shaw Ave, Fresno",
        latitude=Decimal("36.808100"), longitude=Decimal("-119.790400"), **site_fields,
    )
    event = EventFactory(starts_at=in_days(5, 7), ends_at=in_days(5, 17))
    return ShiftFactory(event=event, site=site, starts_at=in_days(5, 7),
                        ends_at=in_days(5, 9))


def invite_of(signup):
    message = Message.objects.get(signup=signup, kind=Kind.CONFIRMATION)
    email = message_email(message, now=timezone.now())
    ics = next(content for content, mimetype in email.alternatives
               if mimetype.startswith("text/calendar"))
    return only_event(parse_calendar(ics, method="REQUEST"))


@pytest.mark.parametrize("private", [False, True])
def test_invite_for_a_site_shift_carries_location_and_geo(private):
    shift = site_shift(address_private=private)
    person = UserFactory()

    invite = invite_of(signup_create(shift=shift, volunteer=person, by=person))

    assert invite["LOCATION"] == (
        "Blackstone & Shaw, NE corner, N Blackstone Ave & E Shaw Ave, Fresno")
    assert (invite["GEO"].latitude, invite["GEO"].longitude) == (36.8081, -119.7904)


@pytest.mark.parametrize("private", [False, True])
def test_personal_feed_carries_the_sites_location_and_geo(client, private):
    shift = site_shift(address_private=private)
    person = UserFactory()
    signup_create(shift=shift, volunteer=person, by=person)

    response = client.get(
        reverse("calendar_personal_feed", kwargs={"token": person.calendar_token}))

    entry = only_event(parse_calendar(response.content))
    assert entry["LOCATION"] == (
        "Blackstone & Shaw, NE corner, N Blackstone Ave & E Shaw Ave, Fresno")
    assert (entry["GEO"].latitude, entry["GEO"].longitude) == (36.8081, -119.7904)


def test_shift_download_for_someone_not_signed_up_carries_a_public_sites_place(client):
    shift = site_shift()

    entry = only_event(parse_calendar(
        client.get(reverse("shift_ics", args=[shift.pk])).content))

    assert entry["LOCATION"] == (
        "Blackstone & Shaw, NE corner, N Blackstone Ave & E Shaw Ave, Fresno")
    assert (entry["GEO"].latitude, entry["GEO"].longitude) == (36.8081, -119.7904)


def test_shift_download_names_a_private_site_without_address_or_geo(client):
    shift = site_shift(address_private=True)
    client.force_login(UserFactory())

    entry = only_event(parse_calendar(
        client.get(reverse("shift_ics", args=[shift.pk])).content))

    assert entry["LOCATION"] == "Blackstone & Shaw, NE corner"
    assert "GEO" not in entry


def test_shift_download_for_the_person_signed_up_keeps_a_private_address(client):
    shift = site_shift(address_private=True)
    person = UserFactory()
    signup_create(shift=shift, volunteer=person, by=person)
    client.force_login(person)

    entry = only_event(parse_calendar(
        client.get(reverse("shift_ics", args=[shift.pk])).content))

    assert entry["LOCATION"] == (
        "Blackstone & Shaw, NE corner, N Blackstone Ave & E Shaw Ave, Fresno")
    assert "GEO" in entry
