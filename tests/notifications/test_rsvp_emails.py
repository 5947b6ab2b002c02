"""RSVP e-mails: a confirmation with a calendar invite (REQUEST) when someone says they are
going, a CANCEL when they withdraw, both through the outbox, with the RSVP's own UID, the one
the personal calendar feed uses, and a SEQUENCE that only grows."""

import datetime
from email import message_from_bytes
from email.policy import default as email_policy

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from events import services as event_services
from events.models import EventKind, Rsvp
from tests.factories import EventFactory, UserFactory
from tests.notifications.ical import invite_parts, only_event, parse_calendar
from volunteers.messaging import delivery
from volunteers.messaging.kinds import Kind
from volunteers.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def send_due(django_capture_on_commit_callbacks):
    def run() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return delivery.messages_dispatch()

    return run


@pytest.fixture
def training(contact):
    start = (timezone.now() + datetime.timedelta(days=6)).replace(minute=0, second=0,
                                                                 microsecond=0)
    return EventFactory(kind=EventKind.TRAINING, title="Bucket Drive Volunteer Training",
                        contact=contact, venue_name="Fresno Pacific University",
                        address="1717 S Chestnut Ave, Fresno",
                        starts_at=start, ends_at=start + datetime.timedelta(hours=2))


def parsed(email):
    return message_from_bytes(email.message().as_bytes(), policy=email_policy)


def invite_of(email, method: str):
    alternatives, attachments = invite_parts(parsed(email))
    assert [part.get_param("method") for part in alternatives] == [method]
    assert [part.get_filename() for part in attachments] == ["invite.ics"]
    return only_event(parse_calendar(attachments[0].get_content(), method=method))


def test_rsvp_sends_a_confirmation_with_a_request_invite(training, volunteer, send_due):
    rsvp = event_services.rsvp_create(event=training, user=volunteer)

    assert send_due() == 1
    assert send_due() == 0

    assert len(mail.outbox) == 1
    email = parsed(mail.outbox[0])
    assert email["To"] == volunteer.email
    assert email["Subject"].startswith("You're going: Bucket Drive Volunteer Training")
    text = email.get_body(("plain",)).get_content()
    assert "Fresno Pacific University" in text
    assert "Marta Ruiz" in text
    invite = invite_of(mail.outbox[0], "REQUEST")
    assert str(invite["UID"]) == f"rsvp-{rsvp.pk}@127.0.0.1"
    assert invite["ATTENDEE"] == f"mailto:{volunteer.email}"
    assert invite["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert invite["SEQUENCE"] == 0
    assert Message.objects.get().kind == Kind.RSVP_CONFIRMATION


def test_withdrawing_sends_a_cancel_with_the_same_uid_and_a_higher_sequence(
    training, volunteer, send_due
):
    rsvp = event_services.rsvp_create(event=training, user=volunteer)
    send_due()
    event_services.rsvp_cancel(event=training, user=volunteer)
    send_due()
    event_services.rsvp_create(event=training, user=volunteer)
    send_due()

    first, cancel, again = (invite_of(mail.outbox[0], "REQUEST"),
                            invite_of(mail.outbox[1], "CANCEL"),
                            invite_of(mail.outbox[2], "REQUEST"))
    assert {str(e["UID"]) for e in (first, cancel, again)} == {f"rsvp-{rsvp.pk}@127.0.0.1"}
    assert first["SEQUENCE"] < cancel["SEQUENCE"] < again["SEQUENCE"]
    assert cancel["STATUS"] == "CANCELLED"
    assert parsed(mail.outbox[1])["Subject"].startswith("RSVP withdrawn: Bucket Drive")


def test_rsvp_twice_queues_one_confirmation(training, volunteer):
    event_services.rsvp_create(event=training, user=volunteer)
    event_services.rsvp_create(event=training, user=volunteer)

    assert Message.objects.filter(kind=Kind.RSVP_CONFIRMATION).count() == 1


def test_refused_rsvp_queues_nothing(training, volunteer):
    training.rsvp_capacity = 0
    training.save()

    with pytest.raises(event_services.EventError):
        event_services.rsvp_create(event=training, user=volunteer)

    assert not Message.objects.exists()


def test_rolled_back_rsvp_leaves_no_message(training, volunteer):
    with pytest.raises(RuntimeError), transaction.atomic():
        event_services.rsvp_create(event=training, user=volunteer)
        raise RuntimeError

    assert not Message.objects.exists()


def test_confirmation_for_an_rsvp_withdrawn_before_sending_is_skipped(
    training, volunteer, send_due
):
    event_services.rsvp_create(event=training, user=volunteer)
    event_services.rsvp_cancel(event=training, user=volunteer)

    send_due()

    statuses = dict(Message.objects.values_list("kind", "status"))
    assert statuses == {Kind.RSVP_CONFIRMATION: Message.Status.SKIPPED,
                        Kind.RSVP_CANCELLED: Message.Status.SENT}
    assert len(mail.outbox) == 1


def test_rsvp_email_is_in_the_recipients_language(training, send_due):
    person = UserFactory(language="es")
    event_services.rsvp_create(event=training, user=person)

    send_due()

    assert parsed(mail.outbox[0])["Content-Language"] == "es"


def test_personal_feed_uses_the_uid_of_the_invite(client, training, volunteer, send_due):
    rsvp = event_services.rsvp_create(event=training, user=volunteer)
    send_due()

    feed = client.get(reverse("calendar_personal_feed",
                              kwargs={"token": volunteer.calendar_token}))

    entries = parse_calendar(feed.content).events
    invite = invite_of(mail.outbox[0], "REQUEST")
    assert [str(e["UID"]) for e in entries] == [str(invite["UID"])]
    assert Rsvp.objects.get().pk == rsvp.pk
