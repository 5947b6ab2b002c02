import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Event, EventKind, Shift, ShiftRole
from tests.events.conftest import field_errors, field_value, local
from tests.factories import EventFactory, ShiftFactory, SignupFactory
from volunteers.models import Signup, SignupChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def drive():
    return EventFactory(title="Bucket Drive", starts_at=local(2027, 3, 6, 7),
                        ends_at=local(2027, 3, 6, 17))


def shift_form(**overrides) -> dict:
    data = {
        "role": ShiftRole.COLLECTOR,
        "title": "Herndon & Blackstone",
        "starts_at": "2027-03-06T07:00",
        "ends_at": "2027-03-06T10:00",
        "needed": 4,
        "capacity": 6,
        "min_age": 18,
        "notes": "Stay on the sidewalk.",
    }
    data.update(overrides)
    return data


def edit_data(shift: Shift, **overrides) -> dict:
    data = shift_form(role=shift.role, title=shift.title, starts_at=field_value(shift.starts_at),
                      ends_at=field_value(shift.ends_at), needed=shift.needed,
                      capacity=shift.capacity, min_age=shift.min_age or "", notes=shift.notes)
    data.update(overrides)
    return data


def test_shift_add_creates_it_and_lists_it(organizer_client, drive):
    training = EventFactory(kind=EventKind.TRAINING, title="Volunteer Training")
    url = reverse("organize_event_shifts", args=[drive.pk])

    response = organizer_client.post(url, shift_form(required_training=training.pk))
    page = organizer_client.get(url)

    assert response.status_code == 302
    shift = Shift.objects.get()
    assert (shift.event, shift.starts_at, shift.ends_at) == (
        drive, local(2027, 3, 6, 7), local(2027, 3, 6, 10))
    assert (shift.needed, shift.capacity, shift.min_age) == (4, 6, 18)
    assert shift.required_training == training
    assert list(page.context["shifts"]) == [shift]
    assert "Herndon &amp; Blackstone" in page.content.decode()


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"ends_at": "2027-03-06T06:00"}, "ends_at", "The shift must end after it starts."),
    ({"starts_at": "2027-03-07T07:00", "ends_at": "2027-03-07T09:00"}, "starts_at",
     "The shift must lie within the event's days (2027-03-06 to 2027-03-06)."),
    ({"starts_at": "2027-03-05T23:00"}, "starts_at",
     "The shift must lie within the event's days (2027-03-06 to 2027-03-06)."),
    ({"capacity": 3}, "capacity",
     "The most volunteers must be at least the number needed (4)."),
    ({"needed": 0}, "needed", "At least one volunteer must be needed."),
    ({"min_age": 150}, "min_age", "Enter a minimum age between 1 and 99."),
])
def test_shift_add_bad_input_is_shown_at_the_field(organizer_client, drive, overrides, field,
                                                    message):
    response = organizer_client.post(reverse("organize_event_shifts", args=[drive.pk]),
                                     shift_form(**overrides))

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert Shift.objects.count() == 0


def test_shift_may_fill_the_whole_local_day_of_the_event(organizer_client, drive):
    url = reverse("organize_event_shifts", args=[drive.pk])

    early = organizer_client.post(url, shift_form(starts_at="2027-03-06T00:00",
                                                  ends_at="2027-03-06T02:00"))
    late = organizer_client.post(url, shift_form(starts_at="2027-03-06T22:00",
                                                 ends_at="2027-03-07T00:00"))

    assert (early.status_code, late.status_code) == (302, 302)
    assert Shift.objects.count() == 2


def test_shift_add_to_a_cancelled_event_is_refused(organizer_client, drive):
    drive.status = Event.Status.CANCELLED
    drive.save()

    response = organizer_client.post(reverse("organize_event_shifts", args=[drive.pk]),
                                     shift_form())

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "This event is cancelled; shifts cannot be added."]
    assert Shift.objects.count() == 0


def test_shift_edit_capacity_below_confirmed_is_refused(organizer_client, drive):
    shift = ShiftFactory(event=drive, needed=1, capacity=5)
    SignupFactory.create_batch(3, shift=shift)

    response = organizer_client.post(reverse("organize_shift_edit", args=[shift.pk]),
                                     edit_data(shift, capacity=2))

    assert response.status_code == 200
    assert field_errors(response, "capacity") == [
        "3 volunteers are already confirmed for this shift, so it needs room for at least 3. "
        "Move or remove volunteers first."]
    shift.refresh_from_db()
    assert shift.capacity == 5


def test_shift_edit_capacity_down_to_confirmed_is_allowed(organizer_client, drive):
    shift = ShiftFactory(event=drive, needed=1, capacity=5)
    SignupFactory.create_batch(3, shift=shift)

    response = organizer_client.post(reverse("organize_shift_edit", args=[shift.pk]),
                                     edit_data(shift, capacity=3))

    assert response.status_code == 302
    shift.refresh_from_db()
    assert (shift.capacity, shift.sequence) == (3, 0)


def test_shift_edit_new_time_raises_its_sequence(organizer_client, drive):
    shift = ShiftFactory(event=drive, starts_at=local(2027, 3, 6, 7), ends_at=local(2027, 3, 6, 10))
    signup = SignupFactory(shift=shift)

    response = organizer_client.post(reverse("organize_shift_edit", args=[shift.pk]),
                                     edit_data(shift, starts_at="2027-03-06T08:00",
                                               ends_at="2027-03-06T11:00"))

    assert response.status_code == 302
    shift.refresh_from_db()
    assert (shift.starts_at, shift.sequence) == (local(2027, 3, 6, 8), 1)
    signup.refresh_from_db()
    assert signup.status == Signup.Status.CONFIRMED


def test_shift_edit_more_places_promotes_the_waitlist(organizer_client, drive):
    shift = ShiftFactory(event=drive, starts_at=timezone.now() + datetime.timedelta(days=3),
                         ends_at=timezone.now() + datetime.timedelta(days=3, hours=2),
                         needed=1, capacity=1)
    drive.starts_at = shift.starts_at
    drive.ends_at = shift.ends_at
    drive.save()
    SignupFactory(shift=shift)
    waiting = SignupFactory(shift=shift, status=Signup.Status.WAITLISTED, confirmed_at=None,
                            waitlisted_at=timezone.now())

    organizer_client.post(reverse("organize_shift_edit", args=[shift.pk]),
                          edit_data(shift, capacity=2))

    waiting.refresh_from_db()
    assert waiting.status == Signup.Status.CONFIRMED


def test_shift_cancel_asks_then_keeps_signups_marked_cancelled(organizer_client, drive):
    shift = ShiftFactory(event=drive)
    signup = SignupFactory(shift=shift)
    url = reverse("organize_shift_cancel", args=[shift.pk])

    page = organizer_client.get(url)
    response = organizer_client.post(url)

    assert "1 sign-up is kept, marked cancelled" in page.content.decode()
    assert response["Location"] == reverse("organize_event_shifts", args=[drive.pk])
    shift.refresh_from_db()
    assert (shift.is_cancelled, shift.sequence) == (True, 1)
    signup.refresh_from_db()
    assert signup.status == Signup.Status.CANCELLED
    assert signup.changes.get().action == SignupChange.Action.EVENT_CANCELLED
    drive.refresh_from_db()
    assert drive.status == Event.Status.PUBLISHED


def test_cancelled_shift_cannot_be_edited(organizer_client, drive):
    shift = ShiftFactory(event=drive, is_cancelled=True, capacity=5)

    response = organizer_client.post(reverse("organize_shift_edit", args=[shift.pk]),
                                     edit_data(shift, capacity=9))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "This shift is cancelled and cannot be changed."]
    shift.refresh_from_db()
    assert shift.capacity == 5


def test_shift_requirement_must_be_a_training(organizer_client, drive):
    other_drive = EventFactory()

    response = organizer_client.post(reverse("organize_event_shifts", args=[drive.pk]),
                                     shift_form(required_training=other_drive.pk))

    assert response.status_code == 200
    assert field_errors(response, "required_training")
    assert Shift.objects.count() == 0
