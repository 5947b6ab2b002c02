"""Organizer-entered text in Spanish: shown to Spanish readers on every page, e-mail and
calendar file, English where no Spanish was written."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from events import services
from events.models import Event, EventSeries, Shift
from events.translated import localized
from tests.events.conftest import field_value
from tests.factories import EventFactory, ShiftFactory, SignupFactory, UserFactory, organizer
from volunteers.messaging import delivery
from volunteers.services.signups import signup_create

pytestmark = pytest.mark.django_db


def in_future(days: int, hour: int) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def drive():
    event = EventFactory(
        title="Bucket Drive", title_es="Colecta con botes",
        description="Sealed buckets only.", description_es="Solo botes sellados.",
        what_to_bring="A hat and water", what_to_bring_es="Gorra y agua",
        starts_at=in_future(10, 7), ends_at=in_future(10, 17),
    )
    ShiftFactory(event=event, title="Shaw & Cedar", title_es="Shaw y Cedar",
                 notes="Stay on the sidewalk.", notes_es="Quédate en la banqueta.",
                 starts_at=in_future(10, 7), ends_at=in_future(10, 10))
    return event


def test_localized_falls_back_to_english_when_spanish_is_empty():
    event = Event(title="Bucket Drive", title_es="  ", description="Sealed buckets.",
                  description_es="Botes sellados.")

    assert localized(event, "title", "es") == "Bucket Drive"
    assert localized(event, "description", "es") == "Botes sellados."
    assert localized(event, "description", "en") == "Sealed buckets."
    with translation.override("es"):
        assert event.localized.description == "Botes sellados."
        assert event.localized.title == "Bucket Drive"


def test_shift_label_is_the_title_in_the_readers_language_else_the_role():
    shift = Shift(role="collector", title="Shaw & Cedar", title_es="Shaw y Cedar")
    untitled = Shift(role="collector")

    with translation.override("es"):
        assert shift.label == "Shaw y Cedar"
        assert untitled.label == untitled.get_role_display()
    assert shift.label == "Shaw & Cedar"


@pytest.mark.parametrize(("headers", "expected", "absent"), [
    ({"HTTP_ACCEPT_LANGUAGE": "es"},
     ["Colecta con botes", "Solo botes sellados.", "Gorra y agua", "Shaw y Cedar",
      "Quédate en la banqueta."],
     ["Sealed buckets only.", "A hat and water", "Stay on the sidewalk."]),
    ({"HTTP_ACCEPT_LANGUAGE": "en"},
     ["Bucket Drive", "Sealed buckets only.", "A hat and water", "Shaw &amp; Cedar",
      "Stay on the sidewalk."],
     ["Colecta con botes", "Gorra y agua", "Quédate en la banqueta."]),
])
def test_event_page_shows_the_text_in_the_readers_language(client, drive, headers, expected,
                                                           absent):
    html = client.get(reverse("event_detail", args=[drive.pk]), **headers).content.decode()

    for text in expected:
        assert text in html
    for text in absent:
        assert text not in html


def test_cached_public_page_is_kept_per_language(client, drive):
    url = reverse("event_detail", args=[drive.pk])

    spanish = client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    spanish_again = client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "Colecta con botes" in spanish and "Colecta con botes" in spanish_again
    assert "Colecta con botes" not in english


def test_event_list_and_my_shifts_follow_the_profile_language(client, drive):
    volunteer = UserFactory(language="es")
    SignupFactory(shift=drive.shifts.get(), volunteer=volunteer)
    client.force_login(volunteer)

    listing = client.get(reverse("event_list")).content.decode()
    mine = client.get(reverse("my_shifts")).content.decode()

    assert "Colecta con botes" in listing
    assert "Colecta con botes" in mine and "Shaw y Cedar" in mine


def test_board_shows_spanish_titles_to_a_spanish_organizer(client, drive):
    person = organizer()
    person.language = "es"
    person.save()
    client.force_login(person)

    html = client.get(reverse("event_board", args=[drive.pk])).content.decode()

    assert "Colecta con botes" in html and "Shaw y Cedar" in html


@pytest.mark.parametrize(("language", "expected", "absent"), [
    ("es", ["Colecta con botes", "Shaw y Cedar", "Gorra y agua", "Quédate en la banqueta."],
     ["A hat and water", "Stay on the sidewalk."]),
    ("en", ["Bucket Drive", "Shaw & Cedar", "A hat and water", "Stay on the sidewalk."],
     ["Gorra y agua", "Quédate en la banqueta."]),
])
def test_confirmation_email_and_invite_in_the_recipients_language(
    drive, language, expected, absent, django_capture_on_commit_callbacks
):
    volunteer = UserFactory(language=language)
    signup_create(shift=drive.shifts.get(), volunteer=volunteer, by=volunteer)

    with django_capture_on_commit_callbacks(execute=True):
        delivery.messages_dispatch()

    [email] = mail.outbox
    invite = email.attachments[0][1].decode()
    unfolded = invite.replace("\r\n ", "")
    for text in expected:
        assert text in email.body
        assert text.replace("&", "&amp;") in email.alternatives[0].content
    for text in absent:
        assert text not in email.body
        assert text not in unfolded
    assert f"SUMMARY:{drive.shifts.get().label if language == 'en' else 'Shaw y Cedar'}" \
        in unfolded


def test_spanish_email_uses_english_where_no_spanish_was_written(
    django_capture_on_commit_callbacks
):
    event = EventFactory(title="Bucket Drive", what_to_bring="A hat and water",
                         starts_at=in_future(10, 7), ends_at=in_future(10, 17))
    shift = ShiftFactory(event=event, notes="Stay on the sidewalk.",
                         starts_at=in_future(10, 7), ends_at=in_future(10, 10))
    volunteer = UserFactory(language="es")
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)

    with django_capture_on_commit_callbacks(execute=True):
        delivery.messages_dispatch()

    [email] = mail.outbox
    assert "A hat and water" in email.body and "Stay on the sidewalk." in email.body
    assert "Hola" in email.body


def test_personal_feed_is_in_the_volunteers_language(client, drive):
    volunteer = UserFactory(language="es")
    SignupFactory(shift=drive.shifts.get(), volunteer=volunteer)

    ics = client.get(reverse("calendar_personal_feed", args=[volunteer.calendar_token]))

    text = ics.content.decode().replace("\r\n ", "")
    assert "Colecta con botes" in text and "Gorra y agua" in text


def test_organizer_form_groups_the_spanish_fields_and_saves_them(client):
    person = organizer()
    client.force_login(person)

    form = client.get(reverse("organize_event_create")).content.decode()
    response = client.post(reverse("organize_event_create"), {
        "kind": "fundraiser", "title": "Bucket Drive", "title_es": "Colecta con botes",
        "description": "", "description_es": "Solo botes sellados.",
        "what_to_bring": "Water", "what_to_bring_es": "Agua",
        "starts_at": field_value(in_future(20, 7)), "ends_at": field_value(in_future(20, 17)),
        "visibility": "public", "cancel_cutoff_hours": 24, "reminder_hours": "24",
    })

    assert '<span lang="es">En español</span>' in form
    assert form.index('name="title"') < form.index("En español") < form.index(
        'name="title_es"')
    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.title_es, event.description_es, event.what_to_bring_es) == (
        "Colecta con botes", "Solo botes sellados.", "Agua")


def test_shift_form_saves_spanish_title_and_notes(client, drive):
    client.force_login(organizer())

    response = client.post(reverse("organize_event_shifts", args=[drive.pk]), {
        "role": "collector", "title": "Blackstone", "title_es": "Blackstone (norte)",
        "starts_at": field_value(in_future(10, 10)), "ends_at": field_value(in_future(10, 13)),
        "needed": 2, "capacity": 3, "notes": "Bring a chair.", "notes_es": "Trae una silla.",
    })

    assert response.status_code == 302
    shift = drive.shifts.get(title="Blackstone")
    assert (shift.title_es, shift.notes_es) == ("Blackstone (norte)", "Trae una silla.")


def test_duplicate_keeps_the_spanish_text(drive):
    copy = services.event_duplicate(event=drive, starts_on=timezone.localdate()
                                    + datetime.timedelta(days=40), by=None)

    assert (copy.title_es, copy.what_to_bring_es) == ("Colecta con botes", "Gorra y agua")
    assert copy.shifts.get().notes_es == "Quédate en la banqueta."


def test_series_gives_its_spanish_text_to_every_date():
    series = services.series_create(
        by=organizer(), kind="meeting", title="Coalition Meeting",
        title_es="Reunión de la coalición", description="", description_es="Informes.",
        venue_name="", address="", visibility="public", rrule="FREQ=MONTHLY;COUNT=3",
        first_start=in_future(5, 9), duration=datetime.timedelta(minutes=90),
    )

    assert EventSeries.objects.get().title_es == "Reunión de la coalición"
    assert set(series.occurrences.values_list("title_es", "description_es")) == {
        ("Reunión de la coalición", "Informes.")}


def test_demo_events_have_spanish_text_even_when_seeded_before_it(client):
    from events.demo import seed_events
    from volunteers.demo import seed_people

    people = seed_people()
    demo = seed_events(people)
    Event.objects.update(title_es="", what_to_bring_es="")  # a database seeded earlier
    Shift.objects.update(notes_es="")
    seed_events(people)

    drive = Event.objects.get(pk=demo["drive"].pk)
    html = client.get(reverse("event_detail", args=[drive.pk]),
                      HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert drive.title_es.startswith("Colecta con botes")
    assert "Quédate en la banqueta" in html and "Nosotros te damos el chaleco" in html
    assert demo["meeting"].title_es == "Reunión trimestral de la coalición"
