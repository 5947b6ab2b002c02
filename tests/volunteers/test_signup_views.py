"""The sign-up rules as a volunteer meets them: the event page's partial, its buttons (htmx
and plain form posts), the messages, and My shifts."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from events.models import Event
from tests.factories import EventFactory, UserFactory, organizer
from volunteers.models import Signup, SignupChange
from volunteers.services.signups import signup_cancel, signup_create

from .conftest import attended_training, make_shift

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "signup-1"}


def signup_url(shift) -> str:
    return reverse("shift_signup", args=[shift.pk])


def event_url(shift) -> str:
    return reverse("event_detail", args=[shift.event_id])


def flash(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_event_page_partial_offers_sign_up_to_a_volunteer(client, volunteer, shift):
    client.force_login(volunteer)

    body = client.get(event_url(shift)).content.decode()

    assert f'id="signup-{shift.pk}"' in body
    assert f'action="{signup_url(shift)}"' in body
    assert f'hx-post="{signup_url(shift)}"' in body
    assert "0 of 2 places taken" in body


def test_event_page_partial_asks_anonymous_visitors_to_log_in(client, shift):
    body = client.get(event_url(shift)).content.decode()

    assert "Log in to sign up" in body
    assert signup_url(shift) not in body


def test_sign_up_anonymous_post_goes_to_login(client, shift):
    response = client.post(signup_url(shift))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert Signup.objects.count() == 0


def test_sign_up_without_js_redirects_back_with_a_message(client, volunteer, shift):
    client.force_login(volunteer)

    response = client.post(signup_url(shift), HTTP_REFERER="http://testserver" + event_url(shift))

    assert response.status_code == 302
    assert response["Location"] == "http://testserver" + event_url(shift)
    assert flash(response) == [
        f"You are signed up: Bucket collector, {shift.event.title}. "
        "A confirmation is on its way."]
    signup = Signup.objects.get()
    assert (signup.volunteer, signup.status) == (volunteer, "confirmed")
    page = client.get(event_url(shift)).content.decode()
    assert "You are signed up." in page
    assert "Cancel my place" in page


def test_sign_up_refuses_a_foreign_referer(client, volunteer, shift):
    client.force_login(volunteer)

    response = client.post(signup_url(shift), HTTP_REFERER="https://evil.example/")

    assert response["Location"] == reverse("my_shifts")


def test_sign_up_with_htmx_returns_the_partial(client, volunteer, shift):
    client.force_login(volunteer)

    response = client.post(signup_url(shift), **HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith(f'<div class="signup-box" id="signup-{shift.pk}">')
    assert "1 of 2 places taken" in body
    assert "You are signed up." in body
    assert "A confirmation is on its way." in body
    assert reverse("signup_cancel", args=[Signup.objects.get().pk]) in body
    assert not flash(response)


def test_full_shift_offers_the_waitlist_and_shows_the_position(client, shift):
    for _ in range(shift.capacity):
        person = UserFactory()
        signup_create(shift=shift, volunteer=person, by=person)
    first, second = UserFactory(), UserFactory()
    signup_create(shift=shift, volunteer=first, by=first)
    client.force_login(second)
    assert "Join the waitlist" in client.get(event_url(shift)).content.decode()

    body = client.post(signup_url(shift), **HTMX).content.decode()

    assert "The shift is full, so you are on its waitlist" in body
    assert "You are number 2 on the waitlist." in body
    assert "Leave the waitlist" in body
    assert "2 waiting" in body


@pytest.mark.parametrize(
    ("arrange", "reason"),
    [
        ("overlap", "You already have a shift at that time: Bucket collector"),
        ("age", "This shift is for volunteers 18 or older."),
        ("training", "This shift needs the “Volunteer Training” first."),
        ("started", "This shift has already started, so sign-ups are closed."),
        ("event_cancelled", "This event has been cancelled."),
    ],
)
def test_sign_up_refusals_are_explained_and_nothing_is_saved(client, volunteer, arrange, reason):
    shift = make_shift()
    if arrange == "overlap":
        other = make_shift(starts_in_hours=73)
        signup_create(shift=other, volunteer=volunteer, by=volunteer)
    elif arrange == "age":
        shift.min_age = 18
        shift.save()
        volunteer.confirmed_adult = False
        volunteer.save()
    elif arrange == "training":
        shift.required_training = EventFactory(kind="training", title="Volunteer Training")
        shift.save()
    elif arrange == "started":
        shift.starts_at = timezone.now() - datetime.timedelta(minutes=5)
        shift.save()
    else:
        Event.objects.filter(pk=shift.event_id).update(status=Event.Status.CANCELLED)
    client.force_login(volunteer)
    before = Signup.objects.count()

    plain = client.post(signup_url(shift))
    htmx = client.post(signup_url(shift), **HTMX)

    assert plain.status_code == 302
    assert any(message.startswith(reason) for message in flash(plain))
    assert htmx.status_code == 200
    assert reason in htmx.content.decode().replace("&#x27;", "'")
    assert 'role="alert"' in htmx.content.decode()
    assert Signup.objects.count() == before
    assert not Signup.objects.filter(shift=shift).exists()


def test_sign_up_after_training_attended_succeeds(client, volunteer):
    training = attended_training(volunteer)
    shift = make_shift(required_training=training)
    client.force_login(volunteer)

    client.post(signup_url(shift))

    assert Signup.objects.get(shift=shift).status == "confirmed"


def test_cancel_through_the_partial_frees_the_place_and_promotes(client, volunteer):
    shift = make_shift(capacity=1, needed=1)
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    waiting_person = UserFactory()
    waiting = signup_create(shift=shift, volunteer=waiting_person, by=waiting_person)
    client.force_login(volunteer)

    response = client.post(reverse("signup_cancel", args=[signup.pk]), **HTMX)

    body = response.content.decode()
    assert "Your place on Bucket collector is cancelled." in body
    assert "1 of 1 places taken" in body
    assert "Join the waitlist" in body
    signup.refresh_from_db()
    waiting.refresh_from_db()
    assert (signup.status, waiting.status) == ("cancelled", "confirmed")
    assert waiting.changes.order_by("pk").last().action == SignupChange.Action.PROMOTED


def test_cancel_after_cutoff_shows_whom_to_call_instead_of_the_button(client, volunteer):
    contact = UserFactory(display_name="Maria Delgado", phone="(559) 555-0142")
    shift = make_shift(starts_in_hours=5)
    Event.objects.filter(pk=shift.event_id).update(contact=contact)
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    client.force_login(volunteer)

    page = client.get(event_url(shift)).content.decode()
    response = client.post(reverse("signup_cancel", args=[signup.pk]))

    assert "too late to cancel here. Please contact Maria Delgado ((559) 555-0142)." in page
    assert reverse("signup_cancel", args=[signup.pk]) not in page
    assert "too late to cancel here" in flash(response)[0]
    signup.refresh_from_db()
    assert signup.status == "confirmed"


def test_cancel_someone_elses_signup_is_not_found(client, volunteer, shift):
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    client.force_login(UserFactory())

    posted = client.post(reverse("signup_cancel", args=[signup.pk]))
    asked = client.get(reverse("signup_cancel", args=[signup.pk]))

    assert posted.status_code == 404
    assert asked.status_code == 404
    assert "Ana Gutierrez" not in posted.content.decode() + asked.content.decode()
    signup.refresh_from_db()
    assert signup.status == "confirmed"


@pytest.mark.parametrize("htmx", [False, True])
def test_cancel_someone_elses_cancelled_signup_leaks_nothing(client, volunteer, shift, htmx):
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    signup_cancel(signup=signup, by=volunteer)
    client.force_login(UserFactory())
    headers = HTMX if htmx else {}

    posted = client.post(reverse("signup_cancel", args=[signup.pk]), **headers)
    asked = client.get(reverse("signup_cancel", args=[signup.pk]), **headers)
    missing = client.post(reverse("signup_cancel", args=[signup.pk + 1000]), **headers)

    for response in (posted, asked, missing):
        assert response.status_code == 404
        body = response.content.decode()
        assert "Ana Gutierrez" not in body
        assert shift.event.title not in body
        assert shift.label not in body


def test_sign_up_requires_post(client, volunteer, shift):
    client.force_login(volunteer)

    assert client.get(signup_url(shift)).status_code == 405


# --- My shifts ---------------------------------------------------------------------------


def test_my_shifts_shows_place_time_status_and_cancel(client, volunteer):
    shift = make_shift(starts_in_hours=72)
    full = make_shift(starts_in_hours=200, capacity=1, needed=1)
    other = UserFactory()
    signup_create(shift=full, volunteer=other, by=other)
    mine = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    waiting = signup_create(shift=full, volunteer=volunteer, by=volunteer)
    client.force_login(volunteer)

    response = client.get(reverse("my_shifts"))

    body = response.content.decode()
    assert response.context["mine"].upcoming == [mine, waiting]
    assert shift.event.venue_name in body
    assert "7172 N Cedar Ave, Fresno, CA 93720" in body
    assert "Confirmed" in body
    assert "Waitlist: number 1" in body
    assert reverse("signup_cancel", args=[mine.pk]) in body
    assert 'href="/my/shifts/"' in body  # the nav link


def test_my_shifts_cancel_with_htmx_replaces_the_card(client, volunteer, shift):
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    client.force_login(volunteer)

    response = client.post(reverse("signup_cancel", args=[signup.pk]),
                           HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"mine-{signup.pk}")

    body = response.content.decode()
    assert body.startswith(f'<li class="card" id="mine-{signup.pk}">')
    assert "Cancelled" in body


def test_my_shifts_query_count_does_not_grow(client, volunteer, django_assert_max_num_queries):
    for hours in range(10):
        shift = make_shift(starts_in_hours=30 + hours * 5)
        signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    client.force_login(volunteer)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("my_shifts"))

    assert len(response.context["mine"].upcoming) == 10


def test_nav_teams_link_for_organizers_and_captains_only(client, volunteer, people):
    nav_link = '<li><a href="/teams/">Teams</a></li>'
    client.force_login(volunteer)
    assert nav_link not in client.get(reverse("home")).content.decode()

    for person in (organizer(), people["own_captain"]):
        client.force_login(person)
        assert nav_link in client.get(reverse("home")).content.decode()
