"""events/calendar.py: invites (RFC 5546) and calendar files (RFC 5545), read back."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from events import calendar
from events.models import Event, Place
from events.selectors import shifts_with_fill
from tests.factories import EventFactory, ShiftFactory, SignupFactory, UserFactory
from tests.notifications.ical import only_event, parse_calendar
from volunteers.models import Signup

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def signup(shift, volunteer):
    return SignupFactory(shift=shift, volunteer=volunteer, sequence=3)


def test_request_invite_has_everything_a_calendar_needs(signup, shift, contact):
    ics = calendar.calendar_bytes(calendar.signup_invite(signup, method="REQUEST"))

    invite = only_event(parse_calendar(ics, method="REQUEST"))
    assert str(invite["UID"]) == f"signup-{signup.pk}@127.0.0.1"
    assert invite["SEQUENCE"] == 3
    assert invite["STATUS"] == "CONFIRMED"
    assert invite.start == shift.starts_at.astimezone(LA)
    assert invite.start.tzinfo.key == "America/Los_Angeles"
    assert invite.end == shift.ends_at
    assert str(invite["ORGANIZER"]) == f"mailto:{contact.email}"
    assert invite["ORGANIZER"].params["CN"] == "Marta Ruiz"
    attendee = invite["ATTENDEE"]
    assert str(attendee) == f"mailto:{signup.volunteer.email}"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert attendee.params["RSVP"] == "FALSE"
    assert invite["LOCATION"] == "Peoples Church, 7172 N Cedar Ave, Fresno, CA 93720"
    assert (invite["GEO"].latitude, invite["GEO"].longitude) == (36.8375, -119.772)
    assert "What to bring: Water, a hat, sunscreen" in invite["DESCRIPTION"]
    assert invite["URL"] == f"http://127.0.0.1:8000/events/{shift.event_id}/"


def test_cancel_invite_keeps_uid_and_cancels(signup):
    request = only_event(parse_calendar(
        calendar.calendar_bytes(calendar.signup_invite(signup, method="REQUEST")),
        method="REQUEST"))
    signup.sequence += 1

    cancel = only_event(parse_calendar(
        calendar.calendar_bytes(calendar.signup_invite(signup, method="CANCEL")),
        method="CANCEL"))

    assert cancel["UID"] == request["UID"]
    assert cancel["SEQUENCE"] > request["SEQUENCE"]
    assert cancel["STATUS"] == "CANCELLED"
    assert cancel["ATTENDEE"].params["PARTSTAT"] == "DECLINED"


def test_organizer_is_the_coalition_without_an_event_contact(signup, event):
    event.contact = None
    event.save()
    signup.shift.event = event

    invite = only_event(parse_calendar(
        calendar.calendar_bytes(calendar.signup_invite(signup, method="REQUEST")),
        method="REQUEST"))

    assert str(invite["ORGANIZER"]) == "mailto:hello@example.org"
    assert invite["ORGANIZER"].params["CN"] == "Central Valley Justice Coalition"


def test_place_without_coordinates_has_no_geo_and_maps_the_address(signup, event):
    event.latitude = event.longitude = None
    event.save()

    invite = only_event(parse_calendar(
        calendar.calendar_bytes(calendar.signup_invite(signup, method="REQUEST"))))

    assert "GEO" not in invite
    assert calendar.map_url(signup.shift.place) == (
        "https://maps.google.com/?q=7172%20N%20Cedar%20Ave%2C%20Fresno%2C%20CA%2093720")
    assert calendar.geo_uri(signup.shift.place) == ""


def test_map_links_prefer_coordinates():
    place = Place("Tower Theatre", "815 E Olive Ave", Decimal("36.757"), Decimal("-119.8"))

    assert calendar.map_url(place) == "https://maps.google.com/?q=36.757%2C-119.8"
    assert calendar.geo_uri(place).startswith("geo:36.757,-119.8?q=Tower%20Theatre")


@pytest.mark.parametrize("month", [1, 7])
def test_local_wall_time_survives_daylight_saving(month, volunteer):
    start = datetime.datetime(2027, month, 16, 9, 0, tzinfo=LA)
    event = EventFactory(starts_at=start, ends_at=start + datetime.timedelta(hours=8))
    signup = SignupFactory(shift=ShiftFactory(event=event), volunteer=volunteer)

    ics = calendar.calendar_bytes(calendar.signup_invite(signup, method="REQUEST"))

    assert b"DTSTART;TZID=America/Los_Angeles:2027%02d16T090000" % month in ics
    parsed = parse_calendar(ics)
    assert only_event(parsed).start.utcoffset() == start.utcoffset()
    assert parsed.timezones[0].tz_name == "America/Los_Angeles"


def test_shift_download_uses_the_signup_uid_for_its_holder(signup, shift):
    mine = only_event(parse_calendar(calendar.calendar_bytes(
        calendar.shift_download(shift, signup=signup)), method="PUBLISH"))
    anyone = only_event(parse_calendar(calendar.calendar_bytes(
        calendar.shift_download(shift)), method="PUBLISH"))

    assert str(mine["UID"]) == calendar.signup_uid(signup.pk)
    assert mine["SEQUENCE"] == signup.sequence
    assert str(anyone["UID"]) == f"shift-{shift.pk}@127.0.0.1"


def test_event_download_and_cancelled_event(event):
    vevent = only_event(parse_calendar(calendar.calendar_bytes(calendar.event_download(event)),
                                       method="PUBLISH"))
    assert str(vevent["UID"]) == f"event-{event.pk}@127.0.0.1"
    assert vevent["STATUS"] == "CONFIRMED"

    event.status = Event.Status.CANCELLED
    event.sequence = 1
    cancelled = only_event(parse_calendar(
        calendar.calendar_bytes(calendar.event_download(event))))
    assert (cancelled["STATUS"], cancelled["SEQUENCE"]) == ("CANCELLED", 1)


def test_feeds_parse_and_are_byte_for_byte_stable(signup, event, shift, volunteer):
    def build():
        signups = list(Signup.objects.select_related("shift__event__contact"))
        shifts = list(shifts_with_fill(event.shifts.all()))
        return [
            calendar.calendar_bytes(calendar.personal_feed(user=volunteer, signups=signups,
                                                           rsvps=[])),
            calendar.calendar_bytes(calendar.public_feed(events=[event])),
            calendar.calendar_bytes(calendar.organizer_feed(event=event, shifts=shifts)),
        ]

    first = build()
    assert build() == first
    personal, public, organizer = (parse_calendar(ics) for ics in first)
    assert [str(e["UID"]) for e in personal.events] == [calendar.signup_uid(signup.pk)]
    assert [str(e["UID"]) for e in public.events] == [calendar.event_uid(event.pk)]
    assert [str(e["UID"]) for e in organizer.events] == [
        calendar.event_uid(event.pk), calendar.shift_uid(shift.pk)]
    assert organizer.events[1]["SUMMARY"].startswith("[1/2] Bucket collector")
    assert "METHOD" not in personal
    assert personal.calendar_name == "Rally: my shifts"


def test_empty_feed_still_parses(volunteer):
    ics = calendar.calendar_bytes(calendar.personal_feed(user=volunteer, signups=[], rsvps=[]))

    parsed = parse_calendar(ics)
    assert parsed.events == []


def test_invite_for_a_past_year_has_a_timezone_for_it(volunteer):
    start = timezone.make_aware(datetime.datetime(2019, 3, 10, 12))
    event = EventFactory(starts_at=start, ends_at=start + datetime.timedelta(hours=3))
    signup = SignupFactory(shift=ShiftFactory(event=event), volunteer=UserFactory())

    parse_calendar(calendar.calendar_bytes(calendar.signup_invite(signup, method="CANCEL")),
                   method="CANCEL")


def test_public_files_do_not_carry_the_organizers_own_phone_or_address(signup, event, contact):
    public = calendar.calendar_bytes(calendar.public_feed(events=[event]))
    download = calendar.calendar_bytes(calendar.shift_download(signup.shift))
    invite = calendar.calendar_bytes(calendar.signup_invite(signup, method="REQUEST"))

    for ics in (public, download):
        text = parse_calendar(ics).events[0]["DESCRIPTION"]
        assert "Marta Ruiz" in text
        assert contact.phone not in text and contact.email not in text
    assert contact.phone in only_event(parse_calendar(invite))["DESCRIPTION"]
