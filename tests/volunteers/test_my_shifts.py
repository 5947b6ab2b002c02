"""My shifts: add-to-calendar links and the personal feed's subscribe link, RSVPs (upcoming
and past) with their withdraw step, and the "are you sure?" step before a shift is
cancelled (a second page without JavaScript, in place with htmx)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from events import services as event_services
from events.models import EventKind, Rsvp
from tests.factories import EventFactory, UserFactory
from volunteers.messaging.kinds import Kind
from volunteers.models import Message
from volunteers.services.signups import signup_create

from .conftest import hours_from_now, make_shift

pytestmark = pytest.mark.django_db


def training(**fields):
    fields.setdefault("starts_at", hours_from_now(48))
    fields.setdefault("ends_at", fields["starts_at"] + datetime.timedelta(hours=2))
    return EventFactory(kind=EventKind.TRAINING, **fields)


def test_my_shifts_links_each_confirmed_shift_to_its_calendar_file(client, volunteer):
    shift = make_shift()
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    client.force_login(volunteer)

    body = client.get(reverse("my_shifts")).content.decode()

    assert f'<a href="{reverse("shift_ics", args=[shift.pk])}">Add to my calendar' in body


def test_my_shifts_offers_the_personal_feed_as_webcal_and_https(client, volunteer):
    client.force_login(volunteer)

    body = client.get(reverse("my_shifts")).content.decode()

    path = reverse("calendar_personal_feed", kwargs={"token": volunteer.calendar_token})
    assert f'href="webcal://testserver{path}"' in body
    assert f'href="http://testserver{path}"' in body


def test_event_page_box_links_a_confirmed_shift_to_its_calendar_file(client, volunteer):
    shift = make_shift()
    client.force_login(volunteer)

    response = client.post(reverse("shift_signup", args=[shift.pk]), HTTP_HX_REQUEST="true",
                           HTTP_HX_TARGET=f"signup-{shift.pk}")

    body = response.content.decode()
    assert "You are signed up" in body
    assert f'<a href="{reverse("shift_ics", args=[shift.pk])}">Add to my calendar</a>' in body


def test_my_shifts_lists_rsvps_upcoming_and_past(client, volunteer):
    coming = training(title="Bucket Drive Volunteer Training")
    Rsvp.objects.create(event=coming, user=volunteer)
    past = training(title="Quarterly Coalition Meeting", starts_at=hours_from_now(-72))
    Rsvp.objects.create(event=past, user=volunteer, attended=True)
    withdrawn = training(title="Withdrawn Presentation")
    Rsvp.objects.create(event=withdrawn, user=volunteer, status=Rsvp.Status.CANCELLED)
    someone_elses = training(title="Not Mine")
    Rsvp.objects.create(event=someone_elses, user=UserFactory())
    client.force_login(volunteer)

    response = client.get(reverse("my_shifts"))

    body = response.content.decode()
    mine = response.context["mine"]
    assert [r.event for r in mine.rsvps_upcoming] == [coming]
    assert [r.event for r in mine.rsvps_past] == [past]
    assert "Bucket Drive Volunteer Training" in body
    assert "Quarterly Coalition Meeting" in body and "Attended" in body
    assert "Withdrawn Presentation" not in body and "Not Mine" not in body
    rsvp = Rsvp.objects.get(event=coming)
    assert reverse("rsvp_cancel", args=[rsvp.pk]) in body


def test_withdraw_rsvp_asks_first_then_withdraws_and_queues_the_cancellation(client, volunteer):
    event = training(title="Bucket Drive Volunteer Training")
    rsvp = event_services.rsvp_create(event=event, user=volunteer)
    client.force_login(volunteer)
    url = reverse("rsvp_cancel", args=[rsvp.pk])

    asked = client.get(url)
    rsvp.refresh_from_db()
    assert rsvp.status == Rsvp.Status.GOING  # a GET changes nothing
    body = asked.content.decode()
    assert "Withdraw your RSVP?" in body
    assert f'<form method="post" action="{url}"' in body
    assert f'href="{reverse("my_shifts")}">Keep it</a>' in body

    response = client.post(url)

    assert response.status_code == 302 and response["Location"] == reverse("my_shifts")
    rsvp.refresh_from_db()
    assert rsvp.status == Rsvp.Status.CANCELLED
    assert Message.objects.filter(kind=Kind.RSVP_CANCELLED, recipient=volunteer).count() == 1


def test_withdraw_rsvp_with_htmx_swaps_the_card(client, volunteer):
    rsvp = event_services.rsvp_create(event=training(), user=volunteer)
    client.force_login(volunteer)
    url = reverse("rsvp_cancel", args=[rsvp.pk])
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": f"rsvp-{rsvp.pk}"}

    asked = client.get(url, **htmx).content.decode()
    kept = client.get(url + "?keep=1", **htmx).content.decode()
    done = client.post(url, **htmx).content.decode()

    assert asked.startswith(f'<li class="card confirm-cancel" id="rsvp-{rsvp.pk}"')
    assert kept.startswith(f'<li class="card" id="rsvp-{rsvp.pk}">')
    assert done.startswith(f'<li class="card" id="rsvp-{rsvp.pk}">')
    assert "RSVP withdrawn" in done


def test_someone_elses_rsvp_is_not_found(client, volunteer):
    rsvp = event_services.rsvp_create(event=training(), user=UserFactory())
    client.force_login(volunteer)

    assert client.get(reverse("rsvp_cancel", args=[rsvp.pk])).status_code == 404
    assert client.post(reverse("rsvp_cancel", args=[rsvp.pk])).status_code == 404
    rsvp.refresh_from_db()
    assert rsvp.status == Rsvp.Status.GOING


def test_cancel_asks_first_and_says_the_place_goes_to_the_next_person(client, volunteer):
    shift = make_shift(capacity=1, needed=1)
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    waiting = UserFactory()
    signup_create(shift=shift, volunteer=waiting, by=waiting)
    client.force_login(volunteer)
    url = reverse("signup_cancel", args=[signup.pk])

    asked = client.get(url + "?next=" + reverse("my_shifts"))

    body = asked.content.decode()
    assert asked.status_code == 200
    assert "Cancel your shift?" in body
    assert "The place goes at once to the next person waiting" in body
    assert ">Cancel my shift</button>" in body
    assert f'href="{reverse("my_shifts")}">Keep it</a>' in body
    assert "hx-post" not in body  # the second page works as a plain form
    signup.refresh_from_db()
    assert signup.status == "confirmed"

    response = client.post(url, {"next": reverse("my_shifts")})

    assert response["Location"] == reverse("my_shifts")
    signup.refresh_from_db()
    assert signup.status == "cancelled"


def test_cancel_confirmation_without_a_waitlist_says_the_place_opens(client, volunteer):
    shift = make_shift()
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    client.force_login(volunteer)

    body = client.get(reverse("signup_cancel", args=[signup.pk])).content.decode()

    assert "The place opens for someone else to take." in body
    event_page = reverse("event_detail", args=[shift.event_id])
    assert f'name="next" value="{event_page}#shift-{shift.pk}"' in body


def test_cancel_confirmation_after_the_cutoff_shows_whom_to_call(client, volunteer):
    shift = make_shift(starts_in_hours=5)
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    client.force_login(volunteer)

    body = client.get(reverse("signup_cancel", args=[signup.pk])).content.decode()

    assert "too late to cancel here" in body
    card = body.split('class="card confirm-cancel"')[1].split("</section>")[0]
    assert "<form" not in card


def test_cancel_with_htmx_confirms_in_place_and_keep_restores(client, volunteer):
    shift = make_shift()
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    client.force_login(volunteer)
    url = reverse("signup_cancel", args=[signup.pk])
    in_box = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": f"signup-{shift.pk}"}
    in_card = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": f"mine-{signup.pk}"}

    box = client.get(url, **in_box).content.decode()
    card = client.get(url, **in_card).content.decode()
    kept_box = client.get(url + "?keep=1", **in_box).content.decode()
    kept_card = client.get(url + "?keep=1", **in_card).content.decode()

    assert box.startswith(f'<div class="signup-box confirm-cancel" id="signup-{shift.pk}">')
    assert f'hx-post="{url}"' in box
    assert card.startswith(f'<li class="card confirm-cancel" id="mine-{signup.pk}"')
    assert kept_box.startswith(f'<div class="signup-box" id="signup-{shift.pk}">')
    assert "You are signed up." in kept_box
    assert kept_card.startswith(f'<li class="card" id="mine-{signup.pk}">')
    signup.refresh_from_db()
    assert signup.status == "confirmed"


def test_event_page_and_my_shifts_link_to_the_confirmation_not_a_one_tap_post(
    client, volunteer
):
    shift = make_shift()
    signup = signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    client.force_login(volunteer)
    url = reverse("signup_cancel", args=[signup.pk])

    page = client.get(reverse("event_detail", args=[shift.event_id])).content.decode()
    mine = client.get(reverse("my_shifts")).content.decode()

    assert f'<a class="button secondary" href="{url}" hx-get="{url}">Cancel my place' in page
    assert f'action="{url}"' not in page
    assert f'href="{url}?next=/my/shifts/"' in mine
    assert f'action="{url}"' not in mine


def test_my_shifts_query_count_does_not_grow_with_rsvps(
    client, volunteer, django_assert_max_num_queries
):
    for n in range(30):
        event = training(title=f"Training {n}",
                         starts_at=timezone.now() + datetime.timedelta(days=n - 10))
        Rsvp.objects.create(event=event, user=volunteer, attended=n < 10)
        signup_create(shift=make_shift(starts_in_hours=100 + 5 * n), volunteer=volunteer,
                      by=volunteer)
    client.force_login(volunteer)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("my_shifts"))

    assert len(response.context["mine"].rsvps_upcoming) == 20
    assert len(response.context["mine"].upcoming) == 30
