"""The shift lists written in Python (volunteers.shift_rows): the event page's sign-up boxes
are the htmx partial's, byte for byte; people's text is escaped; the one CSRF token a page
writes into every form is accepted."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from events.models import Event
from tests.factories import UserFactory, organizer
from volunteers.models import Signup
from volunteers.selectors import shift_for_partial, signups_by_shift
from volunteers.services.signups import signup_create

from .conftest import make_shift

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def box_in_page(html: str, shift) -> str:
    start = html.index(f'<div class="signup-box" id="signup-{shift.pk}">')
    return html[start:html.index("</div>", start) + len("</div>")]


def partial(client, user, shift) -> str:
    request = RequestFactory().get(reverse("event_detail", args=[shift.event_id]))
    request.user = user
    request.session = client.session
    shift = shift_for_partial(shift.pk)
    mine = signups_by_shift(user=user, shifts=[shift]).get(shift.pk)
    return render_to_string("volunteers/partials/_shift_signup.html",
                            {"shift": shift, "my_signup": mine}, request=request).strip()


def same_tokens(html: str) -> str:
    return TOKEN.sub('name="csrfmiddlewaretoken" value="…"', html)


def test_event_page_boxes_are_the_htmx_partial(client):
    event_contact = UserFactory(display_name="Maria Delgado", phone="(559) 555-0142")
    open_shift = make_shift(capacity=2, needed=1)
    event = open_shift.event
    Event.objects.filter(pk=event.pk).update(contact=event_contact)
    full = make_shift(event=event, starts_in_hours=80, capacity=1, needed=1)
    waiting = make_shift(event=event, starts_in_hours=90, capacity=1, needed=1)
    too_late = make_shift(event=event, starts_in_hours=5)
    cancelled = make_shift(event=event, starts_in_hours=100, is_cancelled=True)
    me, others = UserFactory(), [UserFactory() for _ in range(3)]
    signup_create(shift=full, volunteer=me, by=me)
    signup_create(shift=waiting, volunteer=others[0], by=others[0])
    signup_create(shift=waiting, volunteer=others[1], by=others[1])
    signup_create(shift=waiting, volunteer=me, by=me)
    signup_create(shift=too_late, volunteer=me, by=me)
    shifts = [open_shift, full, waiting, too_late, cancelled]

    client.force_login(me)
    page = client.get(reverse("event_detail", args=[event.pk])).content.decode()
    for shift in shifts:
        assert same_tokens(box_in_page(page, shift)) == same_tokens(partial(client, me, shift))
    assert "You are number 2 on the waitlist." in box_in_page(page, waiting)
    assert "too late to cancel here" in box_in_page(page, too_late)

    client.logout()
    page = client.get(reverse("event_detail", args=[event.pk])).content.decode()
    for shift in shifts:
        assert box_in_page(page, shift) == partial(client, AnonymousUser(), shift)


def test_event_page_forms_carry_a_token_the_server_accepts(volunteer):
    shift = make_shift(capacity=2, needed=1)
    other = make_shift(event=shift.event, starts_in_hours=90)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(volunteer)
    page = browser.get(reverse("event_detail", args=[shift.event_id])).content.decode()

    tokens = set(TOKEN.findall(box_in_page(page, shift) + box_in_page(page, other)))
    response = browser.post(reverse("shift_signup", args=[shift.pk]),
                            {"csrfmiddlewaretoken": tokens.pop()})

    assert not tokens  # one token for every form of the page
    assert response.status_code == 302
    assert Signup.objects.get().volunteer == volunteer


def test_event_page_and_board_escape_what_people_typed(client):
    shift = make_shift(title="<script>alert(1)</script>", notes='Bring "water" & <shade>')
    person = UserFactory(display_name="<b>Bold</b> O'Neil")
    signup_create(shift=shift, volunteer=person, by=person)
    client.force_login(person)

    page = client.get(reverse("event_detail", args=[shift.event_id])).content.decode()
    client.force_login(organizer())
    board = client.get(reverse("event_board", args=[shift.event_id])).content.decode()

    assert "<script>alert" not in page and "<script>alert" not in board
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<small>Bring &quot;water&quot; &amp; &lt;shade&gt;</small>" in page
    assert '<span class="visually-hidden">: &lt;script&gt;alert(1)&lt;/script&gt;, ' in page
    assert "<li>&lt;b&gt;Bold&lt;/b&gt; O&#x27;Neil</li>" in board


def test_board_names_a_volunteer_without_a_display_name_by_email(client):
    shift = make_shift()
    person = UserFactory(display_name="", email="quiet.helper@example.org")
    waiting = make_shift(event=shift.event, starts_in_hours=90, capacity=1, needed=1)
    first = UserFactory(display_name="First In")
    signup_create(shift=shift, volunteer=person, by=person)
    signup_create(shift=waiting, volunteer=first, by=first)
    signup_create(shift=waiting, volunteer=person, by=person)
    client.force_login(organizer())

    board = client.get(reverse("event_board", args=[shift.event_id])).content.decode()

    assert f'<details id="s{shift.pk}"' in board
    assert "<ol><li>quiet.helper</li></ol>" in board
    assert '<ol><li>First In</li></ol><small>Waiting</small><ol class="w"><li>quiet.helper</li>' \
        in board
    assert timezone.localtime(shift.starts_at).strftime("%A") in board
