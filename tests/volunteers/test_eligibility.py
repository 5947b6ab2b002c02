"""Before any click, the event page tells a logged-in volunteer which shifts they can take,
and for the others why not and what to do: confirm being 18 or older right there, RSVP to
the training, see the shift they already have at that time. What the page offers agrees
with what the sign-up service then does, and the page's query count does not grow with its
shifts."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import EventKind, Rsvp
from tests.factories import EventFactory, UserFactory
from volunteers.models import Signup
from volunteers.services.signups import SignupError, signup_create

from .conftest import attended_training, hours_from_now, make_shift

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def page_of(client, shift) -> str:
    return client.get(reverse("event_detail", args=[shift.event_id])).content.decode()


def box(html: str, shift) -> str:
    start = html.index(f'<div class="signup-box" id="signup-{shift.pk}">')
    return html[start:html.index("</div>", start) + len("</div>")]


def offers_sign_up(html: str, shift) -> bool:
    return f'action="{reverse("shift_signup", args=[shift.pk])}"' in box(html, shift)


def upcoming_training(title="Volunteer Training"):
    return EventFactory(kind=EventKind.TRAINING, title=title, starts_at=hours_from_now(24),
                        ends_at=hours_from_now(26))


def test_training_shift_says_which_training_and_links_to_its_rsvp(client, volunteer):
    training = upcoming_training()
    needs_it = make_shift(required_training=training)
    free = make_shift(event=needs_it.event, starts_in_hours=90)
    client.force_login(volunteer)

    html = page_of(client, needs_it)

    assert not offers_sign_up(html, needs_it)
    assert "This shift needs “Volunteer Training” first." in box(html, needs_it)
    training_link = reverse("event_detail", args=[training.pk]) + "#rsvp"
    assert f'href="{training_link}">RSVP to the training</a>' in box(html, needs_it)
    assert offers_sign_up(html, free)


def test_volunteer_going_to_the_training_is_told_to_wait_for_attendance(client, volunteer):
    training = upcoming_training()
    Rsvp.objects.create(event=training, user=volunteer)
    shift = make_shift(required_training=training)
    make_shift(event=shift.event, starts_in_hours=90)
    client.force_login(volunteer)

    html = page_of(client, shift)

    assert "You are going to “Volunteer Training”. Once an organizer marks you as attended" in (
        box(html, shift))
    assert not offers_sign_up(html, shift)


def test_attended_training_opens_the_shift(client, volunteer):
    training = attended_training(volunteer)
    shift = make_shift(required_training=training)
    client.force_login(volunteer)

    assert offers_sign_up(page_of(client, shift), shift)


def test_what_every_shift_lacks_is_said_once_above_the_list(client, volunteer):
    training = upcoming_training()
    volunteer.confirmed_adult = False
    volunteer.save()
    shifts = [make_shift(min_age=18, required_training=training)]
    shifts += [make_shift(event=shifts[0].event, starts_in_hours=72 + 4 * n, min_age=18,
                          required_training=training) for n in range(1, 4)]
    client.force_login(volunteer)

    html = page_of(client, shifts[0])

    panel = html[html.index('id="can-i-sign-up"'):]
    panel = panel[:panel.index("</div>")]
    assert "Before you can sign up" in panel
    assert "This shift is for volunteers 18 or older." in panel
    assert "I confirm I am 18 or older" in panel
    assert "RSVP to the training" in panel
    assert html.count("RSVP to the training") == 1
    assert html.count("I confirm I am 18 or older") == 1
    for shift in shifts:
        assert 'href="#can-i-sign-up">Not open to you yet: see what to do above' in box(html, shift)
        assert not offers_sign_up(html, shift)


def test_confirm_adult_in_place_without_js_returns_to_the_shift(client, volunteer):
    volunteer.confirmed_adult = False
    volunteer.save()
    adults = make_shift(min_age=18)
    make_shift(event=adults.event, starts_in_hours=90)
    client.force_login(volunteer)
    html = page_of(client, adults)
    assert not offers_sign_up(html, adults)
    form = box(html, adults)
    assert f'action="{reverse("confirm_adult")}"' in form
    next_url = re.search(r'name="next" value="([^"]+)"', form).group(1)

    response = client.post(reverse("confirm_adult"), {"shift": adults.pk, "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == f'{reverse("event_detail", args=[adults.event_id])}' \
                                   f"#shift-{adults.pk}"
    volunteer.refresh_from_db()
    assert volunteer.confirmed_adult is True
    assert offers_sign_up(page_of(client, adults), adults)


def test_confirm_adult_with_htmx_returns_the_shifts_box_ready_to_sign_up(client, volunteer):
    volunteer.confirmed_adult = False
    volunteer.save()
    adults = make_shift(min_age=18)
    client.force_login(volunteer)

    response = client.post(reverse("confirm_adult"), {"shift": adults.pk}, **HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith(f'<div class="signup-box" id="signup-{adults.pk}">')
    assert "Your profile now says you are 18 or older." in body
    assert f'action="{reverse("shift_signup", args=[adults.pk])}"' in body


def test_confirm_adult_needs_a_logged_in_post(client, volunteer):
    assert client.post(reverse("confirm_adult")).status_code == 302  # to the login page
    client.force_login(volunteer)
    assert client.get(reverse("confirm_adult")).status_code == 405


def test_older_age_without_birth_date_links_to_the_profile(client, volunteer):
    shift = make_shift(min_age=21)
    make_shift(event=shift.event, starts_in_hours=90)
    client.force_login(volunteer)

    html = box(page_of(client, shift), shift)

    assert "This shift is for volunteers 21 or older." in html
    assert f'href="{reverse("profile")}">Add your date of birth on your profile</a>' in html


def test_too_young_is_told_without_a_form(client):
    teen = UserFactory(confirmed_adult=False,
                       date_of_birth=datetime.date.today() - datetime.timedelta(days=16 * 365))
    shift = make_shift(min_age=18)
    make_shift(event=shift.event, starts_in_hours=90)
    client.force_login(teen)

    html = box(page_of(client, shift), shift)

    assert "This shift is for volunteers 18 or older." in html
    assert "<form" not in html


def test_overlapping_shift_elsewhere_is_named_with_a_link_to_my_shifts(client, volunteer):
    elsewhere = make_shift(title="Shaw & Cedar")
    signup_create(shift=elsewhere, volunteer=volunteer, by=volunteer)
    shift = make_shift(starts_in_hours=73)
    same_event_later = make_shift(event=shift.event, starts_in_hours=80)
    client.force_login(volunteer)

    html = page_of(client, shift)

    assert "You already have a shift at that time: Shaw &amp; Cedar" in box(html, shift)
    assert f'href="{reverse("my_shifts")}">My shifts</a>' in box(html, shift)
    assert offers_sign_up(html, same_event_later)


def test_overlap_within_the_same_event_is_shown_too(client, volunteer):
    first = make_shift(title="Herndon & Blackstone")
    second = make_shift(event=first.event, starts_in_hours=73, title="Shaw & Blackstone")
    signup_create(shift=first, volunteer=volunteer, by=volunteer)
    client.force_login(volunteer)

    html = page_of(client, first)

    assert "You already have a shift at that time: Herndon &amp; Blackstone" in box(html, second)


@pytest.mark.parametrize("arrange", ["open", "age", "older", "training", "going", "attended",
                                     "overlap", "full"])
def test_page_offers_sign_up_exactly_when_the_service_accepts(client, arrange):
    person = UserFactory()
    training = upcoming_training()
    shift = make_shift(capacity=1, needed=1)
    make_shift(event=shift.event, starts_in_hours=120)
    if arrange == "age":
        person.confirmed_adult = False
        person.save()
        shift.min_age = 18
    elif arrange == "older":
        shift.min_age = 21
    elif arrange in ("training", "going", "attended"):
        shift.required_training = training
        if arrange == "going":
            Rsvp.objects.create(event=training, user=person)
        if arrange == "attended":
            attended_training(person, training)
    elif arrange == "overlap":
        signup_create(shift=make_shift(starts_in_hours=74), volunteer=person, by=person)
    elif arrange == "full":
        someone = UserFactory()
        signup_create(shift=shift, volunteer=someone, by=someone)
    shift.save()
    client.force_login(person)

    offered = offers_sign_up(page_of(client, shift), shift)
    try:
        signup_create(shift=shift, volunteer=person, by=person)
    except SignupError:
        accepted = False
    else:
        accepted = True

    assert offered == accepted


def event_page_queries(client, event_pk: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("event_detail", args=[event_pk]))
    assert response.status_code == 200
    return len(queries)


def test_eligibility_costs_the_same_queries_for_5_or_60_shifts(client, volunteer):
    counts = []
    for size in (5, 60):
        trainings = [upcoming_training(f"Training {n}") for n in range(3)]
        first = make_shift(min_age=21, required_training=trainings[0])
        for n in range(1, size):
            make_shift(event=first.event, starts_in_hours=72 + n % 9,
                       min_age=[0, 18, 21][n % 3], required_training=trainings[n % 3])
        elsewhere = make_shift(starts_in_hours=75)
        signup_create(shift=elsewhere, volunteer=volunteer, by=volunteer)
        Signup.objects.filter(volunteer=volunteer).update(status=Signup.Status.CONFIRMED)
        Rsvp.objects.create(event=trainings[1], user=volunteer, attended=True)
        client.force_login(volunteer)
        counts.append(event_page_queries(client, first.event_id))
        volunteer.signups.all().delete()

    assert counts[0] == counts[1]
