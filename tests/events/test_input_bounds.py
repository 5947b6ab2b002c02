"""Values that used to be accepted and then broke pages (issue 7, points 5 and 6), through the
views: each is refused at its field with nothing saved, or answered 400, never 500."""

import datetime
import time

import pytest
from django.urls import reverse

from events import calendar
from events.models import Event, EventSeries, Shift
from tests.events.conftest import field_errors, local
from tests.events.test_organize_events import event_form
from tests.events.test_recurrence import series_form
from tests.factories import EventFactory, ShiftFactory, SignupFactory, UserFactory

pytestmark = pytest.mark.django_db


def create_event(client, **overrides):
    return client.post(reverse("organize_event_create"), event_form(**overrides))


def shift_form(**overrides) -> dict:
    data = {"role": "collector", "starts_at": "2027-03-06T08:00", "ends_at": "2027-03-06T11:00",
            "needed": 2, "capacity": 3}
    data.update(overrides)
    return data


@pytest.mark.parametrize(("starts_at", "ends_at"), [
    ("9999-06-01T07:00", "9999-06-01T09:00"),
    ("9999-12-31T20:00", "9999-12-31T22:00"),
    ("0001-06-01T07:00", "0001-06-01T09:00"),
    ("1999-12-31T07:00", "1999-12-31T09:00"),
])
def test_event_create_year_out_of_range_refused_at_the_field(organizer_client, starts_at,
                                                             ends_at):
    response = create_event(organizer_client, starts_at=starts_at, ends_at=ends_at)

    assert response.status_code == 200
    assert field_errors(response, "starts_at") == [
        "Choose a date between the years 2000 and 2100."]
    assert Event.objects.count() == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("cancel_cutoff_hours", "2147483647",
     "Ensure this value is less than or equal to 1440."),
    ("cancel_cutoff_hours", "99999999999999999999999",
     "That number is too long."),
    ("rsvp_capacity", "2147483648", "Ensure this value is less than or equal to 10000."),
    ("latitude", "999", "Ensure this value is less than or equal to 90."),
    ("longitude", "-181", "Ensure this value is greater than or equal to -180."),
    ("latitude", "1e1000000", "Enter a number, like 36.8081."),
    ("latitude", "Infinity", "Enter a number, like 36.8081."),
    ("latitude", "NaN", "Enter a number, like 36.8081."),
    ("title", "Bucket Drive\nClovis", "Keep this on one line (no line breaks)."),
    ("title", "Bucket\x00Drive", "Remove the NUL character (\\0) from this text."),
    ("venue_name", "Church\x07", "Remove the control characters from this text."),
    ("description", "x" * 10_001,
     "Ensure this value has at most 10000 characters (it has 10001)."),
])
def test_event_create_hostile_value_refused_at_its_field(organizer_client, field, value,
                                                         message):
    response = create_event(organizer_client, **{field: value})

    assert response.status_code == 200
    assert message in field_errors(response, field)
    assert Event.objects.count() == 0


def test_event_create_description_keeps_its_line_breaks(organizer_client):
    response = create_event(organizer_client, description="Line one\r\nLine two")

    assert response.status_code == 302
    assert Event.objects.get().description == "Line one\r\nLine two"


@pytest.mark.parametrize("value", ["Infinity", "NaN", "1e1000000", "1e300000", "-2", "9" * 30,
                                   "337", "24, 2, 1, 3, 4, 5, 6, 7, 8, 9, 10"])
def test_event_create_hostile_reminder_hours_refused_quickly(organizer_client, value):
    started = time.monotonic()
    response = create_event(organizer_client, reminder_hours=value)

    assert response.status_code == 200
    assert field_errors(response, "reminder_hours")
    assert Event.objects.count() == 0
    assert time.monotonic() - started < 1


def test_event_create_reminder_hours_with_a_fraction(organizer_client):
    create_event(organizer_client, reminder_hours="24, 0.5")

    assert Event.objects.get().reminder_offsets == [24 * 60, 30]


def test_event_form_shows_the_limits_to_the_browser(organizer_client):
    page = organizer_client.get(reverse("organize_event_create")).content.decode()

    assert 'name="cancel_cutoff_hours" value="24" min="0" max="1440"' in page \
        or ('max="1440"' in page and 'name="cancel_cutoff_hours"' in page)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("capacity", "2147483648", "Ensure this value is less than or equal to 10000."),
    ("needed", "10001", "Ensure this value is less than or equal to 10000."),
    ("min_age", "2147483648", "Ensure this value is less than or equal to 2147483647."),
    ("starts_at", "9999-03-06T08:00", "Choose a date between the years 2000 and 2100."),
    ("title", "Herndon\r\n& Blackstone", "Keep this on one line (no line breaks)."),
])
def test_shift_create_hostile_value_refused_at_its_field(organizer_client, field, value,
                                                         message):
    event = EventFactory(starts_at=local(2027, 3, 6, 7), ends_at=local(2027, 3, 6, 17))
    response = organizer_client.post(reverse("organize_event_shifts", args=[event.pk]),
                                     shift_form(**{field: value}))

    assert response.status_code == 200
    assert message in field_errors(response, field)
    assert Shift.objects.count() == 0


@pytest.mark.parametrize(("overrides", "field"), [
    ({"first_date": "9999-01-01"}, "first_date"),
    ({"first_date": "10000-01-01"}, "first_date"),
    ({"until": "9999-12-31"}, "until"),
    ({"rrule": "FREQ=DAILY;BYSETPOS=366"}, "rrule"),
    ({"rrule": "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31;COUNT=1"}, "rrule"),
])
def test_series_create_hostile_value_refused_at_its_field(organizer_client, overrides, field):
    started = time.monotonic()
    response = organizer_client.post(reverse("organize_series_create"),
                                     series_form(**overrides))

    assert response.status_code == 200
    assert field_errors(response, field)
    assert EventSeries.objects.count() == 0
    assert time.monotonic() - started < 2


def test_duplicate_to_year_9999_refused_at_the_field(organizer_client):
    drive = EventFactory()
    response = organizer_client.post(reverse("organize_event_duplicate", args=[drive.pk]),
                                     {"starts_on": "9999-12-31"})

    assert response.status_code == 200
    assert field_errors(response, "starts_on") == [
        "Choose a date between the years 2000 and 2100."]
    assert Event.objects.count() == 1


# --- NUL bytes and control characters in addresses ------------------------------------------


@pytest.mark.parametrize("url", [
    "/calendar/%00/shifts.ics",
    "/calendar/abc%00def/events/1.ics",
    "/events/?kind=%00",
    "/events/?kind=meeting%01",
    "/organize/events/?kind=%00",
    "/organize/roles/?q=%00",
    "/organize/roles/?q=a%0Ab",
])
@pytest.mark.parametrize("who", ["anonymous", "organizer"])
def test_control_character_in_address_is_400(client, login_as, url, who):
    login_as(who)

    response = client.get(url)

    assert response.status_code == 400
    assert "control character" in response.content.decode()


def test_ordinary_filters_still_work(organizer_client):
    assert organizer_client.get("/organize/roles/?q=Ana+Mar%C3%ADa").status_code == 200
    assert organizer_client.get("/events/?kind=meeting").status_code == 200


# --- Pages with older out-of-range rows -----------------------------------------------------


def test_event_ics_of_a_year_one_event_is_a_file():
    # Rows from before the bounds, written past the database constraint by a raw update.
    event = EventFactory()
    event.starts_at = datetime.datetime(1, 6, 1, tzinfo=datetime.UTC)
    event.ends_at = datetime.datetime(1, 6, 1, 2, tzinfo=datetime.UTC)

    ics = calendar.calendar_bytes(calendar.event_download(event)).decode()

    assert "BEGIN:VEVENT" in ics


def test_organizer_feed_of_a_title_with_line_breaks_is_one_line_per_property():
    event = EventFactory(title="Line one\nLine two\r\nthree", description="a\x01b\nc")
    shift = ShiftFactory(event=event, starts_at=event.starts_at, ends_at=event.ends_at,
                         title="Herndon\n& Blackstone")
    shift.confirmed_count = shift.waitlist_count = 0

    ics = calendar.calendar_bytes(calendar.organizer_feed(event=event, shifts=[shift])).decode()

    assert "SUMMARY:Line one Line two three\r\n" in ics
    assert "NAME:Line one Line two three: shifts" in ics
    assert "\x01" not in ics


def test_invite_leaves_out_coordinates_off_the_globe():
    event = EventFactory(latitude="36.837500", longitude="-119.790200")
    Event.objects.filter(pk=event.pk).update()  # the row is fine; the object is not
    event.latitude = 999
    shift = ShiftFactory(event=event, starts_at=event.starts_at, ends_at=event.ends_at)

    ics = calendar.calendar_bytes(calendar.shift_download(shift)).decode()

    assert "GEO" not in ics
    assert calendar.geo_uri(shift.place) == ""


@pytest.mark.postgres
def test_old_rows_migration_parks_unreadable_events_so_pages_render(organizer_client):
    """A year-10000 (UTC) time saved before the bounds made the organizer list and admin
    answer 500 on PostgreSQL; the migration moves such rows to a draft in 2199."""
    import importlib

    from django.apps import apps as global_apps
    from django.db import connection

    event = EventFactory(cancel_cutoff_hours=24)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE events_event DROP CONSTRAINT event_times_in_range")
        cursor.execute("ALTER TABLE events_event DROP CONSTRAINT event_cancel_cutoff_range")
        cursor.execute("UPDATE events_event SET starts_at = '9999-12-31 23:00:00-08', "
                       "ends_at = '9999-12-31 23:30:00-08', cancel_cutoff_hours = 2147483647 "
                       "WHERE id = %s", [event.pk])
    migration = importlib.import_module("events.migrations.0005_input_bounds_old_rows")

    migration.park_out_of_range_rows(global_apps, None)

    event.refresh_from_db()
    assert event.starts_at.year == 2199
    assert event.status == Event.Status.DRAFT
    assert event.cancel_cutoff_hours == 60 * 24
    assert organizer_client.get(reverse("organize_event_list") + "?when=all").status_code == 200


def test_cancel_cutoff_at_its_largest_keeps_volunteer_pages_working(client):
    event = EventFactory(cancel_cutoff_hours=60 * 24, status=Event.Status.PUBLISHED)
    shift = ShiftFactory(event=event, starts_at=event.starts_at, ends_at=event.ends_at)
    volunteer = UserFactory()
    signup = SignupFactory(shift=shift, volunteer=volunteer)
    client.force_login(volunteer)

    assert client.get(reverse("event_detail", args=[event.pk])).status_code == 200
    assert client.get(reverse("my_shifts")).status_code == 200
    assert client.post(reverse("signup_cancel", args=[signup.pk])).status_code in (200, 302, 409)


# --- One-time form tokens ------------------------------------------------------------------


def form_token(client, url: str) -> str:
    return client.get(url).context["form"]["form_token"].value()


def test_event_create_sent_twice_creates_once(organizer_client):
    url = reverse("organize_event_create")
    token = form_token(organizer_client, url)

    first = organizer_client.post(url, event_form(form_token=token))
    second = organizer_client.post(url, event_form(form_token=token), follow=True)

    event = Event.objects.get()
    assert first["Location"] == reverse("organize_event_edit", args=[event.pk])
    assert second.redirect_chain[-1][0] == first["Location"]
    assert "This form was already saved; here is what it created." in second.content.decode()


def test_event_create_refused_then_corrected_with_the_same_token_saves(organizer_client):
    url = reverse("organize_event_create")
    token = form_token(organizer_client, url)

    refused = organizer_client.post(url, event_form(form_token=token,
                                                    ends_at="2027-03-06T06:00"))
    saved = organizer_client.post(url, event_form(form_token=token))

    assert refused.status_code == 200
    assert saved.status_code == 302
    assert Event.objects.count() == 1


def test_each_form_page_gets_its_own_token(organizer_client):
    url = reverse("organize_event_create")

    assert form_token(organizer_client, url) != form_token(organizer_client, url)


def test_series_create_sent_twice_creates_once(organizer_client):
    url = reverse("organize_series_create")
    page = organizer_client.get(url)
    token = page.context["form"]["form_token"].value()
    assert f'value="{token}"' in page.content.decode()

    organizer_client.post(url, series_form(form_token=token))
    organizer_client.post(url, series_form(form_token=token))

    assert EventSeries.objects.count() == 1
    assert Event.objects.count() == 4


def test_shift_create_sent_twice_creates_once(organizer_client):
    event = EventFactory(starts_at=local(2027, 3, 6, 7), ends_at=local(2027, 3, 6, 17))
    url = reverse("organize_event_shifts", args=[event.pk])
    token = form_token(organizer_client, url)

    organizer_client.post(url, shift_form(form_token=token))
    second = organizer_client.post(url, shift_form(form_token=token))

    assert second.status_code == 302
    assert Shift.objects.count() == 1


def test_duplicate_sent_twice_creates_once(organizer_client):
    drive = EventFactory()
    ShiftFactory(event=drive, starts_at=drive.starts_at, ends_at=drive.ends_at)
    url = reverse("organize_event_duplicate", args=[drive.pk])
    token = form_token(organizer_client, url)
    day = (drive.starts_at + datetime.timedelta(weeks=52)).date().isoformat()

    first = organizer_client.post(url, {"starts_on": day, "form_token": token})
    second = organizer_client.post(url, {"starts_on": day, "form_token": token})

    assert Event.objects.count() == 2
    assert Shift.objects.count() == 2
    assert second["Location"] == first["Location"]


def test_a_token_is_per_person(organizer_client, client):
    from tests.factories import organizer

    url = reverse("organize_event_create")
    token = form_token(organizer_client, url)
    organizer_client.post(url, event_form(form_token=token))
    client.force_login(organizer())

    client.post(url, event_form(form_token=token))

    assert Event.objects.count() == 2
