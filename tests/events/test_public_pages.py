import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Event, EventKind
from tests.events.conftest import local
from tests.factories import EventFactory, ShiftFactory, SignupFactory, UserFactory, organizer
from volunteers.models import Signup

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return [event.title for event in response.context["page"].object_list]


def test_event_list_shows_upcoming_published_events_in_order(client):
    later = EventFactory(title="Later", starts_at=timezone.now() + datetime.timedelta(days=20),
                         ends_at=timezone.now() + datetime.timedelta(days=20, hours=2))
    sooner = EventFactory(title="Sooner")
    EventFactory(title="Draft", status=Event.Status.DRAFT)
    EventFactory(title="Over", starts_at=local(2025, 1, 1, 9), ends_at=local(2025, 1, 1, 11))
    EventFactory(title="Called off", status=Event.Status.CANCELLED)

    response = client.get(reverse("event_list"))

    assert response.status_code == 200
    assert titles(response) == [sooner.title, "Called off", later.title]
    html = response.content.decode()
    assert reverse("event_detail", args=[sooner.pk]) in html
    assert "Cancelled" in html


def test_event_list_filters_by_kind(client):
    EventFactory(title="Drive", kind=EventKind.FUNDRAISER)
    EventFactory(title="Talk", kind=EventKind.AWARENESS)

    response = client.get(reverse("event_list"), {"kind": "awareness"})
    unknown = client.get(reverse("event_list"), {"kind": "picnic"})

    assert titles(response) == ["Talk"]
    assert sorted(titles(unknown)) == ["Drive", "Talk"]


def test_event_list_members_only_events_need_a_login(client):
    EventFactory(title="Members meeting", visibility=Event.Visibility.MEMBERS)

    anonymous = client.get(reverse("event_list"))
    client.force_login(UserFactory())
    member = client.get(reverse("event_list"))

    assert titles(anonymous) == []
    assert titles(member) == ["Members meeting"]


def test_event_list_hides_drafts_even_from_organizers(client):
    EventFactory(title="Draft", status=Event.Status.DRAFT)
    client.force_login(organizer())

    assert titles(client.get(reverse("event_list"))) == []


@pytest.mark.parametrize(("fields", "role", "status"), [
    ({"status": Event.Status.DRAFT}, "anonymous", 404),
    ({"status": Event.Status.DRAFT}, "volunteer", 404),
    ({"status": Event.Status.DRAFT}, "captain", 404),
    ({"status": Event.Status.DRAFT}, "treasurer", 404),
    ({"status": Event.Status.DRAFT}, "organizer", 200),
    ({"visibility": Event.Visibility.MEMBERS}, "anonymous", 404),
    ({"visibility": Event.Visibility.MEMBERS}, "volunteer", 200),
    ({"status": Event.Status.CANCELLED}, "anonymous", 200),
    ({}, "anonymous", 200),
])
def test_event_detail_hidden_events_answer_404(client, login_as, fields, role, status):
    event = EventFactory(**fields)
    login_as(role)

    response = client.get(reverse("event_detail", args=[event.pk]))

    assert response.status_code == status


def test_event_detail_shows_shifts_with_their_fill(client):
    event = EventFactory(starts_at=local(2027, 3, 6, 7), ends_at=local(2027, 3, 6, 17))
    full = ShiftFactory(event=event, title="Herndon & Blackstone", needed=2, capacity=2,
                        starts_at=local(2027, 3, 6, 7), ends_at=local(2027, 3, 6, 10))
    short = ShiftFactory(event=event, title="Shaw & Cedar", needed=3, capacity=5,
                         starts_at=local(2027, 3, 6, 10), ends_at=local(2027, 3, 6, 13))
    SignupFactory.create_batch(2, shift=full)
    SignupFactory(shift=full, status=Signup.Status.WAITLISTED, waitlisted_at=timezone.now())
    SignupFactory(shift=short)
    SignupFactory(shift=short, status=Signup.Status.CANCELLED)

    response = client.get(reverse("event_detail", args=[event.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    [day] = response.context["days"]
    assert day.day == datetime.date(2027, 3, 6)
    shifts = [shift for shift, _mine in day.rows]
    assert [(s.label, s.confirmed_count, s.waitlist_count) for s in shifts] == [
        ("Herndon & Blackstone", 2, 1), ("Shaw & Cedar", 1, 0)]
    assert "Saturday 6 March" in html
    assert "7:00\u201310:00 AM" in html
    assert '<span class="badge badge-full">Full</span>' in html
    assert "needs 2 more" in html


def test_event_detail_pairs_each_shift_with_my_signup(client):
    event = EventFactory()
    mine, other = ShiftFactory.create_batch(2, event=event)
    volunteer = UserFactory()
    signup = SignupFactory(shift=mine, volunteer=volunteer)
    SignupFactory(shift=other)
    client.force_login(volunteer)

    response = client.get(reverse("event_detail", args=[event.pk]))

    rows = response.context["days"][0].rows
    assert [(shift.pk, my_signup) for shift, my_signup in rows] == [
        (mine.pk, signup), (other.pk, None)]


def test_event_detail_says_once_what_every_shift_needs(client):
    training = EventFactory(kind=EventKind.TRAINING, title="Bucket Drive Volunteer Training")
    event = EventFactory()
    ShiftFactory.create_batch(3, event=event, required_training=training, min_age=18)

    html = client.get(reverse("event_detail", args=[event.pk])).content.decode()

    assert "Every shift is for volunteers aged 18 or older." in html
    assert "Every shift needs “Bucket Drive Volunteer Training” first." in html
    assert " · 18+" not in html
    assert f'href="#training-{training.pk}"' not in html


def test_event_detail_marks_the_shifts_that_need_something(client):
    training = EventFactory(kind=EventKind.TRAINING, title="Bucket Drive Volunteer Training")
    event = EventFactory()
    ShiftFactory(event=event, required_training=training, min_age=18)
    ShiftFactory(event=event, role="setup")

    html = client.get(reverse("event_detail", args=[event.pk])).content.decode()

    assert "Shifts marked “training” need “Bucket Drive Volunteer Training” first." in html
    assert html.count(f'<a href="#training-{training.pk}">training</a>') == 1
    assert html.count(" · 18+") == 1


def test_event_detail_for_anonymous_is_publicly_cacheable(client):
    event = EventFactory()

    detail = client.get(reverse("event_detail", args=[event.pk]))
    listing = client.get(reverse("event_list"))

    for response in (detail, listing):
        assert response["Cache-Control"] == "public, max-age=60"
        assert "Cookie" in response["Vary"]


def test_event_detail_for_a_volunteer_is_never_cached(client):
    event = EventFactory()
    client.force_login(UserFactory())

    response = client.get(reverse("event_detail", args=[event.pk]))

    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_event_detail_shows_organizers_their_edit_links(client):
    event = EventFactory()
    client.force_login(organizer())

    html = client.get(reverse("event_detail", args=[event.pk])).content.decode()

    assert reverse("organize_event_edit", args=[event.pk]) in html


def test_home_lists_upcoming_events_linking_to_details(client):
    event = EventFactory(title="Bucket Drive — Clovis")

    response = client.get(reverse("home"))

    html = response.content.decode()
    assert f'<a href="{reverse("event_detail", args=[event.pk])}">Bucket Drive — Clovis</a>' in html
    assert "1-888-373-7888" in html
    assert reverse("event_list") in html


def test_nav_shows_organize_only_to_organizers(client):
    client.force_login(UserFactory())
    volunteer_html = client.get(reverse("home")).content.decode()
    client.force_login(organizer())
    organizer_html = client.get(reverse("home")).content.decode()

    link = f'href="{reverse("organize_event_list")}"'
    assert link not in volunteer_html
    assert link in organizer_html
