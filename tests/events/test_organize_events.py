import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Event, EventKind, Rsvp, Shift
from tests.events.conftest import field_errors, field_value, local
from tests.factories import EventFactory, ShiftFactory, SignupFactory, UserFactory
from volunteers.models import Signup, SignupChange

pytestmark = pytest.mark.django_db


def event_form(**overrides) -> dict:
    data = {
        "kind": EventKind.FUNDRAISER,
        "title": "Bucket Drive — Clovis",
        "description": "Sealed buckets at six intersections.",
        "starts_at": "2027-03-06T07:00",
        "ends_at": "2027-03-06T17:00",
        "venue_name": "Peoples Church",
        "address": "7172 N Cedar Ave, Fresno, CA 93720",
        "visibility": Event.Visibility.PUBLIC,
        "cancel_cutoff_hours": 24,
        "reminder_hours": "24, 2",
    }
    data.update(overrides)
    return data


def edit_form(event: Event, **overrides) -> dict:
    data = event_form(
        kind=event.kind, title=event.title, starts_at=field_value(event.starts_at),
        ends_at=field_value(event.ends_at), venue_name=event.venue_name, address=event.address,
        visibility=event.visibility,
    )
    data.update(overrides)
    return data


def test_event_create_saves_a_draft_in_local_time(organizer_client):
    page = organizer_client.get(reverse("organize_event_create"))
    response = organizer_client.post(reverse("organize_event_create"),
                                     event_form(contact=organizer_client.user.pk))

    event = Event.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("organize_event_edit", args=[event.pk])
    assert event.status == Event.Status.DRAFT
    assert event.starts_at == local(2027, 3, 6, 7)
    assert event.starts_at.astimezone(datetime.UTC).hour == 15  # PST is UTC-8
    assert event.reminder_offsets == [24 * 60, 2 * 60]
    assert event.created_by == organizer_client.user
    assert event.contact == organizer_client.user
    assert page.context["form"]["contact"].value() == organizer_client.user.pk


def test_event_create_end_before_start_is_shown_at_the_field(organizer_client):
    response = organizer_client.post(
        reverse("organize_event_create"), event_form(ends_at="2027-03-06T06:00")
    )

    assert response.status_code == 200
    assert field_errors(response, "ends_at") == ["The event must end after it starts."]
    assert Event.objects.count() == 0


def test_event_create_bad_reminder_hours_is_shown_at_the_field(organizer_client):
    response = organizer_client.post(
        reverse("organize_event_create"), event_form(reminder_hours="24, soon")
    )

    assert response.status_code == 200
    assert field_errors(response, "reminder_hours") == ["“soon” is not a number of hours."]
    assert Event.objects.count() == 0


def test_event_edit_form_shows_local_times(organizer_client):
    event = EventFactory(starts_at=local(2027, 7, 10, 7), ends_at=local(2027, 7, 10, 17))

    response = organizer_client.get(reverse("organize_event_edit", args=[event.pk]))

    assert response.status_code == 200
    assert 'value="2027-07-10T07:00"' in response.content.decode()


def test_event_edit_new_time_raises_sequences_of_event_and_shifts(organizer_client):
    event = EventFactory(starts_at=local(2027, 3, 6, 7), ends_at=local(2027, 3, 6, 17))
    shift = ShiftFactory(event=event, starts_at=local(2027, 3, 6, 8), ends_at=local(2027, 3, 6, 10))
    SignupFactory(shift=shift)

    response = organizer_client.post(
        reverse("organize_event_edit", args=[event.pk]),
        edit_form(event, starts_at="2027-03-06T06:30"),
    )

    assert response.status_code == 302
    event.refresh_from_db()
    shift.refresh_from_db()
    assert event.starts_at == local(2027, 3, 6, 6, 30)
    assert event.sequence == 1
    assert shift.sequence == 1
    assert shift.starts_at == local(2027, 3, 6, 8)  # not moved


def test_event_edit_description_only_keeps_sequences(organizer_client):
    event = EventFactory(starts_at=local(2027, 3, 6, 7), ends_at=local(2027, 3, 6, 17))
    shift = ShiftFactory(event=event)

    organizer_client.post(reverse("organize_event_edit", args=[event.pk]),
                          edit_form(event, description="New words."))

    event.refresh_from_db()
    shift.refresh_from_db()
    assert event.description == "New words."
    assert (event.sequence, shift.sequence) == (0, 0)


def test_event_edit_new_venue_raises_shift_sequence(organizer_client):
    event = EventFactory(starts_at=local(2027, 3, 6, 7), ends_at=local(2027, 3, 6, 17))
    shift = ShiftFactory(event=event)

    organizer_client.post(reverse("organize_event_edit", args=[event.pk]),
                          edit_form(event, venue_name="Clovis Community Church"))

    shift.refresh_from_db()
    assert shift.sequence == 1


def test_event_edit_refuses_leaving_shifts_outside_its_days(organizer_client):
    event = EventFactory(starts_at=local(2027, 3, 6, 7), ends_at=local(2027, 3, 6, 17))
    ShiftFactory(event=event, starts_at=local(2027, 3, 6, 8), ends_at=local(2027, 3, 6, 10))

    response = organizer_client.post(
        reverse("organize_event_edit", args=[event.pk]),
        edit_form(event, starts_at="2027-03-13T07:00", ends_at="2027-03-13T17:00"),
    )

    assert response.status_code == 200
    assert "1 shift(s) would fall outside" in field_errors(response, "starts_at")[0]
    event.refresh_from_db()
    assert event.starts_at == local(2027, 3, 6, 7)
    assert event.sequence == 0


def test_event_edit_moves_shifts_with_the_event_in_wall_time(organizer_client):
    # 6 March 2027 is PST, 20 March is PDT: the 8:00 shift stays at 8:00 local.
    event = EventFactory(starts_at=local(2027, 3, 6, 7), ends_at=local(2027, 3, 6, 17))
    shift = ShiftFactory(event=event, starts_at=local(2027, 3, 6, 8), ends_at=local(2027, 3, 6, 10))

    response = organizer_client.post(
        reverse("organize_event_edit", args=[event.pk]),
        edit_form(event, starts_at="2027-03-20T07:00", ends_at="2027-03-20T17:00",
                  move_shifts="on"),
    )

    assert response.status_code == 302
    shift.refresh_from_db()
    assert shift.starts_at == local(2027, 3, 20, 8)
    assert shift.ends_at == local(2027, 3, 20, 10)
    assert shift.sequence == 1


def test_event_edit_rsvp_places_below_rsvps_refused(organizer_client):
    event = EventFactory(kind=EventKind.AWARENESS, rsvp_capacity=5)
    for _ in range(3):
        Rsvp.objects.create(event=event, user=UserFactory())

    response = organizer_client.post(reverse("organize_event_edit", args=[event.pk]),
                                     edit_form(event, rsvp_capacity=2))

    assert response.status_code == 200
    assert field_errors(response, "rsvp_capacity") == [
        "3 people have already RSVP'd, so there must be at least 3 places."]
    event.refresh_from_db()
    assert event.rsvp_capacity == 5


def test_event_publish_makes_a_draft_public(organizer_client, client):
    event = EventFactory(status=Event.Status.DRAFT)

    response = organizer_client.post(reverse("organize_event_publish", args=[event.pk]))

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED
    organizer_client.logout()
    assert client.get(reverse("event_detail", args=[event.pk])).status_code == 200


def test_event_publish_is_post_only(organizer_client):
    event = EventFactory(status=Event.Status.DRAFT)

    response = organizer_client.get(reverse("organize_event_publish", args=[event.pk]))

    assert response.status_code == 405
    event.refresh_from_db()
    assert event.status == Event.Status.DRAFT


def test_event_cancel_asks_first_with_what_will_happen(organizer_client):
    event = EventFactory()
    shift = ShiftFactory(event=event)
    SignupFactory.create_batch(2, shift=shift)

    response = organizer_client.get(reverse("organize_event_cancel", args=[event.pk]))

    assert response.status_code == 200
    assert "2 volunteer sign-ups are kept, marked cancelled" in response.content.decode()
    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED


def test_event_cancel_keeps_signups_marked_cancelled_with_a_record(organizer_client):
    event = EventFactory()
    shifts = ShiftFactory.create_batch(2, event=event)
    confirmed = SignupFactory(shift=shifts[0])
    waiting = SignupFactory(shift=shifts[1], status=Signup.Status.WAITLISTED,
                            waitlisted_at=timezone.now(), confirmed_at=None)
    already = SignupFactory(shift=shifts[1], status=Signup.Status.CANCELLED)

    response = organizer_client.post(reverse("organize_event_cancel", args=[event.pk]))

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED
    assert Signup.objects.count() == 3
    for signup in (confirmed, waiting):
        signup.refresh_from_db()
        assert signup.status == Signup.Status.CANCELLED
        assert signup.cancelled_at is not None
        change = signup.changes.get()
        assert change.action == SignupChange.Action.EVENT_CANCELLED
        assert change.by == organizer_client.user
    assert already.changes.count() == 0
    assert Shift.objects.filter(event=event).count() == 2


def test_event_cancel_twice_records_once(organizer_client):
    event = EventFactory()
    SignupFactory(shift=ShiftFactory(event=event))
    url = reverse("organize_event_cancel", args=[event.pk])

    organizer_client.post(url)
    organizer_client.post(url)

    assert SignupChange.objects.count() == 1


def test_cancelled_event_cannot_be_edited(organizer_client):
    event = EventFactory(status=Event.Status.CANCELLED)

    response = organizer_client.post(reverse("organize_event_edit", args=[event.pk]),
                                     edit_form(event, title="Back on"))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "This event is cancelled. Duplicate it to plan it again."]
    event.refresh_from_db()
    assert event.title != "Back on"


def test_event_duplicate_copies_shifts_to_the_new_date_as_a_draft(organizer_client):
    # 14 March 2026 is PDT, 13 March 2027 is PST: wall times are kept.
    training = EventFactory(kind=EventKind.TRAINING)
    drive = EventFactory(title="Bucket Drive 2026", starts_at=local(2026, 3, 14, 7),
                         ends_at=local(2026, 3, 14, 17), what_to_bring="Water")
    ShiftFactory(event=drive, title="Herndon & Blackstone", starts_at=local(2026, 3, 14, 6, 15),
                 ends_at=local(2026, 3, 14, 7, 15), needed=2, capacity=3, min_age=18,
                 required_training=training, notes="Vests provided")
    ShiftFactory(event=drive, starts_at=local(2026, 3, 14, 17), ends_at=local(2026, 3, 14, 19))
    ShiftFactory(event=drive, is_cancelled=True)
    SignupFactory(shift=drive.shifts.first())

    page = organizer_client.get(reverse("organize_event_duplicate", args=[drive.pk]))
    response = organizer_client.post(reverse("organize_event_duplicate", args=[drive.pk]),
                                     {"starts_on": "2027-03-13"})

    assert page.context["form"].initial["starts_on"] == datetime.date(2027, 3, 13)
    copy = Event.objects.get(duplicated_from=drive)
    assert response["Location"] == reverse("organize_event_edit", args=[copy.pk])
    assert copy.status == Event.Status.DRAFT
    assert (copy.title, copy.what_to_bring) == ("Bucket Drive 2026", "Water")
    assert (copy.starts_at, copy.ends_at) == (local(2027, 3, 13, 7), local(2027, 3, 13, 17))
    shifts = list(copy.shifts.order_by("starts_at"))
    assert [(s.starts_at, s.ends_at) for s in shifts] == [
        (local(2027, 3, 13, 6, 15), local(2027, 3, 13, 7, 15)),
        (local(2027, 3, 13, 17), local(2027, 3, 13, 19)),
    ]
    first = shifts[0]
    assert (first.title, first.needed, first.capacity, first.min_age) == (
        "Herndon & Blackstone", 2, 3, 18)
    assert (first.required_training, first.notes) == (training, "Vests provided")
    assert Signup.objects.filter(shift__event=copy).count() == 0
    drive.refresh_from_db()
    assert drive.shifts.count() == 3


def test_organizer_list_shows_every_status_with_shift_counts(organizer_client):
    EventFactory(title="A draft", status=Event.Status.DRAFT)
    cancelled = EventFactory(title="Called off", status=Event.Status.CANCELLED)
    ShiftFactory.create_batch(2, event=cancelled)

    response = organizer_client.get(reverse("organize_event_list"))

    rows = {event.title: event.shift_count for event in response.context["page"].object_list}
    assert rows == {"A draft": 0, "Called off": 2}


def test_organizer_list_filters_past_events(organizer_client):
    EventFactory(title="Last year", starts_at=local(2025, 3, 1, 7), ends_at=local(2025, 3, 1, 17))
    EventFactory(title="Next week")

    past = organizer_client.get(reverse("organize_event_list"), {"when": "past"})
    upcoming = organizer_client.get(reverse("organize_event_list"))

    assert [e.title for e in past.context["page"].object_list] == ["Last year"]
    assert [e.title for e in upcoming.context["page"].object_list] == ["Next week"]
