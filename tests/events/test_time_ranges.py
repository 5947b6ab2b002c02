"""Time ranges as each language writes them, the same on every page and e-mail:
English "7:00-10:00 AM" / "10:00 AM - 1:00 PM" (never "10:00-1:00 PM"), Spanish 24-hour
"10:00-13:00" (en dashes in the real text)."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from events.dates import date_time_range, time_range
from tests.events.conftest import local
from tests.factories import EventFactory, ShiftFactory, SignupFactory, UserFactory, organizer
from volunteers.messaging import delivery
from volunteers.services.signups import shift_when, signup_create

DASH = "\u2013"


def in_future(hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=10)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.mark.parametrize(("start", "end", "english", "spanish"), [
    # morning
    ((7, 0), (10, 0), f"7:00{DASH}10:00 AM", f"7:00{DASH}10:00"),
    # crossing noon: the period on both ends
    ((10, 0), (13, 0), f"10:00 AM {DASH} 1:00 PM", f"10:00{DASH}13:00"),
    # afternoon
    ((13, 30), (17, 0), f"1:30{DASH}5:00 PM", f"13:30{DASH}17:00"),
    # ending at noon
    ((9, 0), (12, 0), f"9:00 AM {DASH} 12:00 PM", f"9:00{DASH}12:00"),
])
def test_time_range_same_day_in_each_language(start, end, english, spanish):
    starts_at, ends_at = local(2027, 3, 6, *start), local(2027, 3, 6, *end)

    assert time_range(starts_at, ends_at, "en") == english
    assert time_range(starts_at, ends_at, "es") == spanish


def test_time_range_ending_at_midnight_names_both_periods():
    starts_at, ends_at = local(2027, 3, 6, 20), local(2027, 3, 7, 0)

    assert time_range(starts_at, ends_at, "en") == f"8:00 PM {DASH} 12:00 AM"
    assert time_range(starts_at, ends_at, "es") == f"20:00{DASH}0:00"


def test_time_range_across_midnight_within_one_period_names_both_periods():
    starts_at, ends_at = local(2027, 3, 6, 1), local(2027, 3, 7, 2)

    assert time_range(starts_at, ends_at, "en") == f"1:00 AM {DASH} 2:00 AM"


def test_time_range_follows_the_active_language():
    starts_at, ends_at = local(2027, 3, 6, 10), local(2027, 3, 6, 13)

    with translation.override("es"):
        assert time_range(starts_at, ends_at) == f"10:00{DASH}13:00"
    with translation.override("en"):
        assert time_range(starts_at, ends_at) == f"10:00 AM {DASH} 1:00 PM"


def test_time_range_is_in_the_coalition_time_zone():
    # 17:00 UTC on 6 March 2027 is 9:00 in Fresno (PST).
    starts_at = datetime.datetime(2027, 3, 6, 17, tzinfo=datetime.UTC)

    assert time_range(starts_at, starts_at + datetime.timedelta(hours=4), "es") == \
        f"9:00{DASH}13:00"


def test_date_time_range_writes_the_day_once_or_both_days():
    one_day = (local(2027, 3, 6, 7), local(2027, 3, 6, 17))
    two_days = (local(2027, 3, 6, 18), local(2027, 3, 7, 9))

    assert date_time_range(*one_day, "date_long", "en") == \
        f"Saturday 6 March 2027, 7:00 AM {DASH} 5:00 PM"
    assert date_time_range(*one_day, "date_long", "es") == \
        f"sábado 6 de marzo de 2027, 7:00{DASH}17:00"
    assert date_time_range(*two_days, "date_long", "es") == \
        f"sábado 6 de marzo de 2027, 18:00 {DASH} domingo 7 de marzo de 2027, 9:00"


@pytest.mark.django_db
def test_shift_when_uses_the_range():
    shift = ShiftFactory(starts_at=local(2027, 3, 6, 10), ends_at=local(2027, 3, 6, 13))

    with translation.override("es"):
        spanish = shift_when(shift)

    assert shift_when(shift) == f"Sat, March 6, 10:00 AM {DASH} 1:00 PM"
    assert spanish == f"sáb 6 mar, 10:00{DASH}13:00"


# --- Every page and e-mail that shows a shift's times uses the same range ----------------


@pytest.fixture
def noon_shift(db):
    event = EventFactory(starts_at=in_future(7), ends_at=in_future(17))
    return ShiftFactory(event=event, title="Shaw & Cedar", starts_at=in_future(10),
                        ends_at=in_future(13))


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected"), [
    ("en", f"10:00 AM {DASH} 1:00 PM"), ("es", f"10:00{DASH}13:00")])
def test_event_page_board_and_my_shifts_show_the_range(client, noon_shift, language,
                                                      expected):
    person = organizer()
    person.language = language
    person.save()
    SignupFactory(shift=noon_shift, volunteer=person)
    client.force_login(person)

    pages = {
        "event": client.get(reverse("event_detail", args=[noon_shift.event_id])),
        "board": client.get(reverse("event_board", args=[noon_shift.event_id])),
        "my_shifts": client.get(reverse("my_shifts")),
        "roster": client.get(reverse("shift_roster", args=[noon_shift.pk])),
        "shifts": client.get(reverse("organize_event_shifts", args=[noon_shift.event_id])),
    }

    for name, response in pages.items():
        assert response.status_code == 200, name
        html = response.content.decode()
        assert expected in html, name
        assert f"10:00{DASH}1:00 PM" not in html, name


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected"), [
    ("en", f"10:00 AM {DASH} 1:00 PM"), ("es", f"10:00{DASH}13:00")])
def test_confirmation_email_shows_the_range_in_the_recipients_language(
    noon_shift, language, expected, django_capture_on_commit_callbacks
):
    volunteer = UserFactory(language=language)
    signup_create(shift=noon_shift, volunteer=volunteer, by=volunteer)

    with django_capture_on_commit_callbacks(execute=True):
        delivery.messages_dispatch()

    [email] = mail.outbox
    assert expected in email.body
    assert expected in email.alternatives[0].content
