"""Organizers write to the volunteers of a shift or an event: preview the number of people,
send through the outbox (one copy each, in each person's language), see what was sent."""

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from events.models import Rsvp
from tests.factories import (
    EventFactory,
    ShiftFactory,
    SignupFactory,
    UserFactory,
    captain,
    organizer,
)
from volunteers.messaging import delivery
from volunteers.messaging.kinds import Kind
from volunteers.models import Message, OrganizerMessage, Signup
from volunteers.services.organizer_messages import (
    Audience,
    OrganizerMessageError,
    audience_count,
    audience_recipients,
    organizer_message_send,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def drive():
    start = (timezone.now() + datetime.timedelta(days=5)).replace(minute=0, second=0,
                                                                 microsecond=0)
    return EventFactory(title="Bucket Drive", title_es="Colecta con botes", starts_at=start,
                        ends_at=start + datetime.timedelta(hours=10))


@pytest.fixture
def shifts(drive):
    morning = ShiftFactory(event=drive, title="Morning", starts_at=drive.starts_at,
                           ends_at=drive.starts_at + datetime.timedelta(hours=3))
    afternoon = ShiftFactory(event=drive, title="Afternoon",
                             starts_at=drive.starts_at + datetime.timedelta(hours=5),
                             ends_at=drive.starts_at + datetime.timedelta(hours=8))
    return morning, afternoon


@pytest.fixture
def organizer_client(client):
    person = organizer()
    person.display_name = "Maria Delgado"
    person.save()
    client.force_login(person)
    client.person = person
    return client


@pytest.fixture
def send_due(django_capture_on_commit_callbacks):
    def run() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return delivery.messages_dispatch()

    return run


def url(event) -> str:
    return reverse("event_messages", args=[event.pk])


def form(**overrides) -> dict:
    data = {"shift": "", "include_rsvps": "on", "subject": "Staging moved",
            "body": "Meet at the north lot.", "subject_es": "", "body_es": ""}
    data.update(overrides)
    return data


# --- Who receives it ---------------------------------------------------------------------


def test_audience_of_a_shift_is_its_confirmed_volunteers(drive, shifts):
    morning, afternoon = shifts
    confirmed = SignupFactory(shift=morning).volunteer
    SignupFactory(shift=morning, status=Signup.Status.WAITLISTED,
                  waitlisted_at=timezone.now())
    SignupFactory(shift=morning, status=Signup.Status.CANCELLED)
    SignupFactory(shift=afternoon)

    people = list(audience_recipients(Audience(event=drive, shift=morning)))

    assert people == [confirmed]
    assert audience_count(Audience(event=drive, shift=morning, include_waitlisted=True)) == 2


def test_audience_of_an_event_counts_each_person_once_with_rsvps(drive, shifts):
    morning, afternoon = shifts
    both = UserFactory()
    SignupFactory(shift=morning, volunteer=both)
    SignupFactory(shift=afternoon, volunteer=both)
    SignupFactory(shift=afternoon)
    Rsvp.objects.create(event=drive, user=both)
    Rsvp.objects.create(event=drive, user=UserFactory())
    Rsvp.objects.create(event=drive, user=UserFactory(), status=Rsvp.Status.CANCELLED)

    assert audience_count(Audience(event=drive)) == 2
    assert audience_count(Audience(event=drive, include_rsvps=True)) == 3
    # RSVPs belong to the event, not to one shift.
    assert audience_count(Audience(event=drive, shift=morning, include_rsvps=True)) == 1


def test_cancelled_shift_is_not_written_to(drive, shifts):
    morning, _afternoon = shifts
    SignupFactory(shift=morning)
    morning.is_cancelled = True
    morning.save()

    assert audience_count(Audience(event=drive)) == 0


# --- Sending -------------------------------------------------------------------------------


def test_send_queues_one_copy_per_person_and_records_it(drive, shifts):
    morning, afternoon = shifts
    both = UserFactory()
    SignupFactory(shift=morning, volunteer=both)
    SignupFactory(shift=afternoon, volunteer=both)
    other = SignupFactory(shift=afternoon).volunteer
    author = organizer()

    written = organizer_message_send(audience=Audience(event=drive), by=author,
                                     subject="Rain", body="Bring a raincoat.")

    assert (written.author, written.recipient_count, written.shift) == (author, 2, None)
    rows = Message.objects.filter(kind=Kind.ORGANIZER_MESSAGE)
    assert sorted(rows.values_list("recipient_id", flat=True)) == sorted([both.pk, other.pk])
    assert set(rows.values_list("organizer_message_id", "event_id")) == {
        (written.pk, drive.pk)}


def test_send_refusals_save_nothing(drive, shifts):
    morning, _afternoon = shifts
    SignupFactory(shift=morning)
    other_event_shift = ShiftFactory()
    cases = [
        ({"by": organizer(), "subject": " ", "body": "x"}, "subject"),
        ({"by": organizer(), "subject": "x", "body": ""}, "body"),
        ({"by": organizer(), "subject": "x", "body": "y", "subject_es": "Lluvia"}, "body_es"),
        ({"by": UserFactory(), "subject": "x", "body": "y"}, None),
    ]
    for kwargs, field in cases:
        with pytest.raises(OrganizerMessageError) as refused:
            organizer_message_send(audience=Audience(event=drive), **kwargs)
        assert refused.value.field == field
    with pytest.raises(OrganizerMessageError) as refused:
        organizer_message_send(audience=Audience(event=drive, shift=other_event_shift),
                               by=organizer(), subject="x", body="y")
    assert refused.value.field == "shift"

    assert OrganizerMessage.objects.count() == 0
    assert not Message.objects.filter(kind=Kind.ORGANIZER_MESSAGE).exists()


def test_each_copy_is_in_the_recipients_language(drive, shifts, send_due):
    morning, _afternoon = shifts
    english = SignupFactory(shift=morning, volunteer=UserFactory(language="en")).volunteer
    spanish = SignupFactory(shift=morning, volunteer=UserFactory(language="es")).volunteer

    organizer_message_send(
        audience=Audience(event=drive, shift=morning), by=organizer(),
        subject="Staging moved", body="Meet at the north lot.",
        subject_es="Cambio de lugar", body_es="Nos vemos en el lote norte.")
    send_due()

    by_address = {email.to[0]: email for email in mail.outbox}
    assert by_address[english.email].subject == "Staging moved"
    assert "Meet at the north lot." in by_address[english.email].body
    assert "Bucket Drive" in by_address[english.email].body
    assert by_address[spanish.email].subject == "Cambio de lugar"
    assert "Nos vemos en el lote norte." in by_address[spanish.email].body
    assert "Colecta con botes" in by_address[spanish.email].body
    assert "Meet at the north lot." not in by_address[spanish.email].body


def test_spanish_reader_gets_english_when_no_spanish_was_written(drive, shifts, send_due):
    morning, _afternoon = shifts
    SignupFactory(shift=morning, volunteer=UserFactory(language="es"))

    organizer_message_send(audience=Audience(event=drive), by=organizer(),
                           subject="Rain", body="Bring a raincoat.")
    send_due()

    [email] = mail.outbox
    assert email.subject == "Rain" and "Bring a raincoat." in email.body
    assert email.body.startswith("Hola")


# --- The page ------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("volunteer", 403),
                                             ("captain", 403)])
def test_page_is_for_organizers_only(client, drive, shifts, who, status):
    SignupFactory(shift=shifts[0])
    if who != "anonymous":
        client.force_login(UserFactory() if who == "volunteer" else captain())

    got = client.get(url(drive))
    posted = client.post(url(drive), form(action="send", previewed_count="1"))

    assert (got.status_code, posted.status_code) == (status, status)
    assert OrganizerMessage.objects.count() == 0


def test_preview_shows_the_count_and_sends_nothing(organizer_client, drive, shifts):
    morning, afternoon = shifts
    SignupFactory.create_batch(2, shift=morning)
    SignupFactory(shift=afternoon, status=Signup.Status.WAITLISTED,
                  waitlisted_at=timezone.now())

    response = organizer_client.post(url(drive), form(action="preview"))
    with_waitlist = organizer_client.post(url(drive), form(action="preview",
                                                           include_waitlisted="on"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "This message will go to 2 people." in html
    assert 'name="previewed_count" value="2"' in html
    assert "Send to 2 people" in html
    assert "Send to 3 people" in with_waitlist.content.decode()
    assert OrganizerMessage.objects.count() == 0 and Message.objects.count() == 0


def test_send_after_preview_queues_and_lists_the_message(organizer_client, drive, shifts,
                                                         send_due):
    morning, _afternoon = shifts
    reader, unverified = SignupFactory(shift=morning).volunteer, UserFactory()
    SignupFactory(shift=morning, volunteer=unverified)
    EmailAddress.objects.filter(user=unverified).update(verified=False)

    response = organizer_client.post(url(drive), form(
        action="send", previewed_count="2", shift=str(morning.pk)), follow=True)
    send_due()
    listing = organizer_client.get(url(drive)).content.decode()

    assert response.status_code == 200
    assert "Your message is on its way to 2 people." in response.content.decode()
    written = OrganizerMessage.objects.get()
    assert (written.shift, written.recipient_count, written.author) == (
        morning, 2, organizer_client.person)
    assert [email.to for email in mail.outbox] == [[reader.email]]
    assert "Staging moved" in listing and "1 sent, 1 failed" in listing
    assert "Maria Delgado" in listing and "Morning" in listing


def test_send_with_a_changed_count_shows_the_preview_again(organizer_client, drive, shifts):
    SignupFactory.create_batch(3, shift=shifts[0])

    response = organizer_client.post(url(drive), form(action="send", previewed_count="2"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "The number of people changed since your preview." in html
    assert "Send to 3 people" in html
    assert OrganizerMessage.objects.count() == 0


def test_bad_input_is_shown_at_the_field_with_400(organizer_client, drive, shifts):
    SignupFactory(shift=shifts[0])

    empty = organizer_client.post(url(drive), form(action="preview", body=""))
    half_spanish = organizer_client.post(url(drive), form(action="send", previewed_count="1",
                                                          subject_es="Lluvia"))
    foreign_shift = organizer_client.post(url(drive), form(action="preview",
                                                           shift=str(ShiftFactory().pk)))

    assert empty.status_code == half_spanish.status_code == foreign_shift.status_code == 400
    assert "This field is required." in empty.content.decode()
    assert 'id="id_body_es_error"' in half_spanish.content.decode()
    assert 'id="id_shift_error"' in foreign_shift.content.decode()
    assert OrganizerMessage.objects.count() == 0


def test_nobody_to_write_to_offers_no_send_button(organizer_client, drive, shifts):
    response = organizer_client.post(url(drive), form(action="preview"))

    html = response.content.decode()
    assert "Nobody would receive this message" in html
    assert 'value="send"' not in html


def test_roster_link_preselects_the_shift(organizer_client, drive, shifts):
    morning, _afternoon = shifts

    html = organizer_client.get(url(drive) + f"?shift={morning.pk}").content.decode()

    assert f'<option value="{morning.pk}" selected>' in html


def test_sending_to_300_volunteers_takes_a_fixed_number_of_queries(
    organizer_client, drive, django_assert_max_num_queries
):
    shifts = ShiftFactory.create_batch(30, event=drive, capacity=10, needed=10)
    people = UserFactory.create_batch(300, verified=False)
    Signup.objects.bulk_create(
        Signup(shift=shifts[i % 30], volunteer=person, status=Signup.Status.CONFIRMED,
               confirmed_at=timezone.now())
        for i, person in enumerate(people)
    )

    with django_assert_max_num_queries(20):
        preview = organizer_client.post(url(drive), form(action="preview"))
    with django_assert_max_num_queries(25):
        sent = organizer_client.post(url(drive), form(action="send", previewed_count="300"))
    with django_assert_max_num_queries(20):
        listing = organizer_client.get(url(drive))

    assert preview.status_code == listing.status_code == 200
    assert sent.status_code == 302
    assert Message.objects.filter(kind=Kind.ORGANIZER_MESSAGE).count() == 300
    assert "To 300 people:" in listing.content.decode()
