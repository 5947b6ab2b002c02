import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import PASSWORD, SignupFactory, UserFactory, organizer
from volunteers.models import Signup, SignupChange
from volunteers.services.checkin import (
    CheckinError,
    hours_for,
    signup_correct_hours,
    signup_hours,
    signup_mark_attendance,
)

from .conftest import make_shift

attendances = st.sampled_from(Signup.Attendance.values)
durations = st.timedeltas(min_value=datetime.timedelta(minutes=1),
                          max_value=datetime.timedelta(hours=30))
overrides = st.none() | st.decimals(min_value=0, max_value=999, places=2, allow_nan=False)


@given(attendance=attendances, override=overrides, duration=durations)
def test_hours_for_is_never_negative_and_has_two_places(attendance, override, duration):
    hours = hours_for(attendance=attendance, hours_override=override, duration=duration)

    assert hours >= 0
    assert hours.as_tuple().exponent == -2


@given(attendance=attendances, override=st.decimals(min_value=0, max_value=999, places=2),
       duration=durations)
def test_hours_for_override_wins(attendance, override, duration):
    assert hours_for(attendance=attendance, hours_override=override, duration=duration) == override


@given(duration=durations)
def test_hours_for_present_is_the_shift_duration(duration):
    expected = Decimal(int(duration.total_seconds())) / 3600

    hours = hours_for(attendance="present", hours_override=None, duration=duration)

    assert abs(hours - expected) <= Decimal("0.005")


@given(attendance=st.sampled_from(["no_show", "unknown"]), duration=durations)
def test_hours_for_no_show_and_unknown_are_zero(attendance, duration):
    assert hours_for(attendance=attendance, hours_override=None, duration=duration) == 0


def test_hours_for_examples():
    three = datetime.timedelta(hours=3)
    assert hours_for(attendance="present", hours_override=None,
                     duration=datetime.timedelta(hours=2, minutes=20)) == Decimal("2.33")
    assert hours_for(attendance="present", hours_override=None, duration=three) == Decimal("3.00")
    assert hours_for(attendance="no_show", hours_override=Decimal("1.5"),
                     duration=three) == Decimal("1.50")
    assert hours_for(attendance="present", hours_override=Decimal("-2"),
                     duration=three) == Decimal("0.00")


@pytest.fixture
def on_shift(db):
    shift = make_shift(starts_in_hours=-1, length_hours=3)
    return SignupFactory(shift=shift)


@pytest.mark.django_db
def test_signup_mark_attendance_present_gives_the_shift_hours(on_shift):
    boss = organizer()

    signup = signup_mark_attendance(signup=on_shift, attendance="present", by=boss)

    assert signup.attendance == "present"
    assert signup.checked_in_by == boss
    assert signup_hours(signup) == Decimal("3.00")
    change = signup.changes.get()
    assert (change.action, change.by) == (SignupChange.Action.CHECKED_IN, boss)


@pytest.mark.django_db
def test_signup_mark_attendance_no_show_gives_zero_hours(on_shift):
    signup = signup_mark_attendance(signup=on_shift, attendance="no_show", by=organizer())

    assert signup_hours(signup) == Decimal("0.00")
    assert signup.changes.get().action == SignupChange.Action.NO_SHOW


@pytest.mark.django_db
def test_signup_mark_attendance_before_checkin_opens_is_refused():
    signup = SignupFactory(shift=make_shift(starts_in_hours=5))

    with pytest.raises(CheckinError, match="opens an hour before"):
        signup_mark_attendance(signup=signup, attendance="present", by=organizer())


@pytest.mark.django_db
def test_signup_mark_attendance_of_a_waiting_volunteer_is_refused(on_shift):
    Signup.objects.filter(pk=on_shift.pk).update(status="waitlisted")

    with pytest.raises(CheckinError, match="confirmed place"):
        signup_mark_attendance(signup=on_shift, attendance="present", by=organizer())


@pytest.mark.django_db
def test_signup_mark_attendance_by_a_stranger_is_forbidden(on_shift):
    with pytest.raises(PermissionDenied):
        signup_mark_attendance(signup=on_shift, attendance="present", by=UserFactory())


@pytest.mark.django_db
def test_signup_correct_hours_overrides_and_records(on_shift):
    boss = organizer()
    signup_mark_attendance(signup=on_shift, attendance="present", by=boss)

    signup = signup_correct_hours(signup=on_shift, hours=Decimal("2.5"), by=boss)

    assert signup.hours_override == Decimal("2.50")
    assert signup_hours(signup) == Decimal("2.50")
    change = signup.changes.order_by("pk").last()
    assert (change.action, change.by, change.detail) == (
        SignupChange.Action.HOURS_CORRECTED, boss, "3.00 h → 2.50 h")


@pytest.mark.django_db
def test_signup_correct_hours_refuses_negative_and_only_organizers(on_shift):
    with pytest.raises(CheckinError, match="cannot be negative"):
        signup_correct_hours(signup=on_shift, hours=Decimal("-1"), by=organizer())
    with pytest.raises(PermissionDenied):
        signup_correct_hours(signup=on_shift, hours=Decimal("1"), by=UserFactory())
    on_shift.refresh_from_db()
    assert on_shift.hours_override is None


@pytest.mark.django_db
def test_signup_correct_hours_back_to_the_checkin(on_shift):
    boss = organizer()
    signup_correct_hours(signup=on_shift, hours=Decimal("1"), by=boss)

    signup = signup_correct_hours(signup=on_shift, hours=None, by=boss)

    assert signup.hours_override is None
    assert signup_hours(signup) == Decimal("0.00")


# --- Through the pages -------------------------------------------------------------------


@pytest.mark.django_db
def test_checkin_page_lists_confirmed_volunteers_for_organizer(client, on_shift):
    waiting = SignupFactory(shift=on_shift.shift, status="waitlisted", confirmed_at=None)
    client.force_login(organizer())

    response = client.get(reverse("shift_checkin", args=[on_shift.shift_id]))

    assert response.status_code == 200
    body = response.content.decode()
    assert on_shift.volunteer.name in body
    assert waiting.volunteer.name not in body
    assert "Present" in body


@pytest.mark.django_db
def test_checkin_post_without_js_marks_present_and_redirects(client, on_shift):
    client.force_login(organizer())

    response = client.post(reverse("signup_attendance", args=[on_shift.pk]),
                           {"attendance": "present"})

    assert response.status_code == 302
    assert response["Location"].endswith(f"/checkin/#c{on_shift.pk}")
    on_shift.refresh_from_db()
    assert on_shift.attendance == "present"


@pytest.mark.django_db
def test_checkin_post_with_htmx_returns_the_row(client, on_shift):
    client.force_login(organizer())

    response = client.post(reverse("signup_attendance", args=[on_shift.pk]),
                           {"attendance": "no_show"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith('<li class="checkin-row att-no_show"')
    assert "0.00 h" in body


@pytest.mark.django_db
def test_checkin_too_early_shows_the_reason(client):
    signup = SignupFactory(shift=make_shift(starts_in_hours=5))
    client.force_login(organizer())

    response = client.post(reverse("signup_attendance", args=[signup.pk]),
                           {"attendance": "present"}, follow=True)

    assert "Check-in opens an hour before the shift starts." in response.content.decode()
    signup.refresh_from_db()
    assert signup.attendance == "unknown"


@pytest.mark.django_db
def test_hours_form_corrects_hours(client, on_shift):
    client.force_login(organizer())

    response = client.post(reverse("signup_hours", args=[on_shift.pk]), {"hours": "1.25"})

    assert response.status_code == 302
    on_shift.refresh_from_db()
    assert on_shift.hours_override == Decimal("1.25")


@pytest.mark.django_db
def test_hours_form_refuses_negative_at_the_field(client, on_shift):
    client.force_login(organizer())

    response = client.post(reverse("signup_hours", args=[on_shift.pk]), {"hours": "-1"})

    assert response.status_code == 422
    assert "greater than or equal to 0" in response.content.decode()
    on_shift.refresh_from_db()
    assert on_shift.hours_override is None


@pytest.mark.django_db
def test_my_shifts_totals_hours(client, on_shift):
    volunteer = on_shift.volunteer
    boss = organizer()
    past = make_shift(starts_in_hours=-30, length_hours=2)
    SignupFactory(shift=past, volunteer=volunteer, attendance="present")
    signup_correct_hours(signup=on_shift, hours=Decimal("1.5"), by=boss)
    Signup.objects.filter(pk=on_shift.pk).update()
    # The current shift is still running: it counts once it has ended.
    assert client.login(email=volunteer.email, password=PASSWORD)

    response = client.get(reverse("my_shifts"))

    assert response.context["mine"].total_hours == Decimal("2.00")
