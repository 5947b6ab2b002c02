
import pytest
from django.urls import reverse

from events.models import Event, EventKind, Rsvp
from events.services import EventError, rsvp_create
from tests.concurrency import run_at_once
from tests.factories import EventFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def talk():
    return EventFactory(kind=EventKind.AWARENESS, title="Community Presentation",
                        rsvp_capacity=2)


def rsvp_url(event) -> str:
    return reverse("event_rsvp", args=[event.pk])


def test_rsvp_plain_post_records_it_and_returns_to_the_event(client, talk):
    volunteer = UserFactory()
    client.force_login(volunteer)

    response = client.post(rsvp_url(talk), {"action": "going"})
    page = client.get(response["Location"])

    assert response.status_code == 302
    assert response["Location"] == reverse("event_detail", args=[talk.pk])
    assert Rsvp.objects.get().user == volunteer
    html = page.content.decode()
    assert "You are going. See you there!" in html
    assert "1 of 2 places taken" in html
    assert "Withdraw my RSVP" in html


def test_rsvp_twice_keeps_one(client, talk):
    client.force_login(UserFactory())

    client.post(rsvp_url(talk))
    client.post(rsvp_url(talk))

    assert Rsvp.objects.count() == 1


def test_rsvp_when_full_is_refused_with_a_message(client, talk):
    for _ in range(2):
        Rsvp.objects.create(event=talk, user=UserFactory())
    client.force_login(UserFactory())

    response = client.post(rsvp_url(talk))

    assert response.status_code == 409
    assert "Sorry, this event is full." in response.content.decode()
    assert Rsvp.objects.count() == 2


def test_rsvp_by_htmx_swaps_the_box(client, talk):
    client.force_login(UserFactory())

    response = client.post(rsvp_url(talk), {"action": "going"}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section id="rsvp"')
    assert "You are going." in html
    assert "<html" not in html


def test_rsvp_by_htmx_when_full_shows_the_refusal_in_the_box(client, talk):
    talk.rsvp_capacity = 0
    talk.save()
    client.force_login(UserFactory())

    response = client.post(rsvp_url(talk), **HTMX)

    assert response.status_code == 409
    assert '<p class="msg msg-error" role="alert">Sorry, this event is full.</p>' in (
        response.content.decode())


def test_rsvp_withdraw_keeps_the_row_and_frees_the_place(client, talk):
    volunteer = UserFactory()
    client.force_login(volunteer)
    client.post(rsvp_url(talk))

    response = client.post(rsvp_url(talk), {"action": "cancel"}, **HTMX)

    assert "Your RSVP is withdrawn." in response.content.decode()
    assert Rsvp.objects.get().status == Rsvp.Status.CANCELLED
    client.post(rsvp_url(talk))
    assert Rsvp.objects.get().status == Rsvp.Status.GOING


def test_rsvp_anonymous_is_sent_to_log_in(client, talk):
    response = client.post(rsvp_url(talk))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert Rsvp.objects.count() == 0


def test_rsvp_page_offers_anonymous_a_login_link(client, talk):
    html = client.get(reverse("event_detail", args=[talk.pk])).content.decode()

    assert "Log in to RSVP" in html


@pytest.mark.parametrize(("fields", "message"), [
    ({"kind": EventKind.FUNDRAISER}, "This event takes sign-ups by shift, not RSVPs."),
    ({"status": Event.Status.CANCELLED}, "This event is cancelled."),
])
def test_rsvp_refused_for_drives_and_cancelled_events(client, fields, message):
    event = EventFactory(**{"kind": EventKind.AWARENESS, **fields})
    client.force_login(UserFactory())

    response = client.post(rsvp_url(event))

    assert response.status_code == 409
    assert message in response.content.decode()
    assert Rsvp.objects.count() == 0


def test_rsvp_to_a_hidden_draft_answers_404(client):
    event = EventFactory(kind=EventKind.AWARENESS, status=Event.Status.DRAFT)
    client.force_login(UserFactory())

    assert client.post(rsvp_url(event)).status_code == 404
    assert Rsvp.objects.count() == 0


def test_rsvp_unlimited_when_no_capacity(client):
    event = EventFactory(kind=EventKind.MEETING, rsvp_capacity=None)
    client.force_login(UserFactory())

    client.post(rsvp_url(event))
    html = client.get(reverse("event_detail", args=[event.pk])).content.decode()

    assert "1 person going" in html


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rsvp_concurrent_never_passes_capacity():
    event = EventFactory(kind=EventKind.AWARENESS, rsvp_capacity=5)
    people = UserFactory.create_batch(16)
    outcomes: list[str] = []

    def attempt(person):
        def job():
            try:
                rsvp_create(event=event, user=person)
                outcomes.append("going")
            except EventError:
                outcomes.append("full")

        return job

    assert run_at_once([attempt(p) for p in people]) == []
    assert sorted(outcomes) == ["full"] * 11 + ["going"] * 5
    assert Rsvp.objects.filter(event=event, status=Rsvp.Status.GOING).count() == 5
