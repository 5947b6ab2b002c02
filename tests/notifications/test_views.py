"""Calendar downloads and feeds, the calendar page, the reminder notice, and the organizers'
message page, through the URLs people and calendar apps use."""

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from events import services as event_services
from events.models import Event, Rsvp
from tests.factories import EventFactory, ShiftFactory, SignupFactory, UserFactory, organizer
from tests.notifications.ical import parse_calendar
from volunteers.messaging.kinds import Kind
from volunteers.models import Message
from volunteers.services.messages import organizer_calendar_token_reset

pytestmark = pytest.mark.django_db


def feed_url(user) -> str:
    return reverse("calendar_personal_feed", kwargs={"token": user.calendar_token})


def uids(response) -> list[str]:
    return [str(e["UID"]) for e in parse_calendar(response.content).events]


# --- Personal feed ----------------------------------------------------------------------


def test_personal_feed_lists_my_shifts_with_invite_uids_and_my_rsvps(client, shift, volunteer):
    mine = SignupFactory(shift=shift, volunteer=volunteer)
    SignupFactory(shift=ShiftFactory(event=shift.event), volunteer=volunteer,
                  status="cancelled")
    SignupFactory(shift=shift)  # someone else's
    meeting = EventFactory(kind="meeting")
    rsvp = Rsvp.objects.create(event=meeting, user=volunteer)

    response = client.get(feed_url(volunteer))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"]
    # RSVPs carry the UID of their e-mailed invites (rsvp-<pk>), as sign-ups do.
    assert uids(response) == [f"signup-{mine.pk}@127.0.0.1", f"rsvp-{rsvp.pk}@127.0.0.1"]


@pytest.mark.parametrize("token", ["not-a-token", "x" * 65, "-"])
def test_unknown_feed_token_is_404(client, volunteer, token):
    response = client.get(reverse("calendar_personal_feed", kwargs={"token": token}))

    assert response.status_code == 404
    assert b"BEGIN:VCALENDAR" not in response.content


def test_reset_token_makes_the_old_address_404(client, volunteer):
    old = feed_url(volunteer)
    client.force_login(volunteer)

    response = client.post(reverse("calendar_token_reset"))

    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert client.get(old).status_code == 404
    assert client.get(feed_url(volunteer)).status_code == 200
    page = client.get(reverse("calendar_settings")).content.decode()
    assert volunteer.calendar_token in page
    assert "webcal://" in page


def test_reset_needs_login_and_post(client, volunteer):
    assert client.post(reverse("calendar_token_reset")).status_code == 302
    client.force_login(volunteer)
    assert client.get(reverse("calendar_token_reset")).status_code == 405


def test_feed_of_an_inactive_account_is_404(client, volunteer):
    volunteer.is_active = False
    volunteer.save()

    assert client.get(feed_url(volunteer)).status_code == 404


def test_feed_answers_304_until_something_changes(client, shift, volunteer,
                                                  django_capture_on_commit_callbacks):
    SignupFactory(shift=shift, volunteer=volunteer)
    first = client.get(feed_url(volunteer))
    etag = first["ETag"]
    assert first["Last-Modified"]

    again = client.get(feed_url(volunteer), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""

    later = shift.starts_at + datetime.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):  # committed, as in production
        event_services.shift_update(shift=shift, by=None, starts_at=later,
                                    ends_at=later + datetime.timedelta(hours=2))
    changed = client.get(feed_url(volunteer), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_feed_queries_do_not_grow_with_shifts(client, event, volunteer,
                                              django_assert_num_queries):
    for hour in range(2):
        SignupFactory(volunteer=volunteer, shift=ShiftFactory(
            event=event, starts_at=event.starts_at + datetime.timedelta(hours=hour)))
    # The owner with the version of their lists, the shifts, their events, the RSVPs.
    with django_assert_num_queries(4):
        client.get(feed_url(volunteer))
    for hour in range(2, 30):
        SignupFactory(volunteer=volunteer, shift=ShiftFactory(
            event=EventFactory(contact=organizer()),
            starts_at=event.starts_at + datetime.timedelta(hours=hour)))
        Rsvp.objects.create(event=EventFactory(), user=volunteer)

    with django_assert_num_queries(4):
        response = client.get(feed_url(volunteer))
    assert len(uids(response)) == 58


# --- Public and organizer feeds, downloads ------------------------------------------


def test_public_feed_has_only_published_public_events(client, event):
    draft = EventFactory(status=Event.Status.DRAFT)
    members = EventFactory(visibility=Event.Visibility.MEMBERS)
    cancelled = EventFactory(status=Event.Status.CANCELLED)

    response = client.get(reverse("calendar_public_feed"))

    assert set(uids(response)) == {f"event-{event.pk}@127.0.0.1",
                                   f"event-{cancelled.pk}@127.0.0.1"}
    assert f"event-{draft.pk}@" not in response.content.decode()
    assert f"event-{members.pk}@" not in response.content.decode()
    assert "public" in response["Cache-Control"]
    assert client.get(reverse("calendar_public_feed"),
                      HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_public_feed_queries_are_constant(client, django_assert_num_queries,
                                          django_capture_on_commit_callbacks):
    EventFactory.create_batch(2)
    with django_assert_num_queries(1):
        client.get(reverse("calendar_public_feed"))
    with django_capture_on_commit_callbacks(execute=True):  # the cached feed goes stale
        EventFactory.create_batch(30, contact=organizer())
    with django_assert_num_queries(1):
        client.get(reverse("calendar_public_feed"))


def test_organizer_feed_for_organizer_tokens_only(client, event, shift, contact, volunteer,
                                                  django_assert_max_num_queries):
    url = reverse("calendar_organizer_feed",
                  kwargs={"token": organizer_calendar_token_reset(user=contact), "pk": event.pk})
    SignupFactory(shift=shift)

    with django_assert_max_num_queries(4):
        response = client.get(url)

    assert response.status_code == 200
    assert uids(response) == [f"event-{event.pk}@127.0.0.1", f"shift-{shift.pk}@127.0.0.1"]
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    ShiftFactory.create_batch(25, event=event)
    with django_assert_max_num_queries(4):
        assert len(uids(client.get(url))) == 27
    volunteer_url = reverse("calendar_organizer_feed",
                            kwargs={"token": volunteer.calendar_token, "pk": event.pk})
    assert client.get(volunteer_url).status_code == 404
    personal_url = reverse("calendar_organizer_feed",
                           kwargs={"token": contact.calendar_token, "pk": event.pk})
    assert client.get(personal_url).status_code == 404


def test_event_download_respects_visibility(client, event):
    draft = EventFactory(status=Event.Status.DRAFT)
    members = EventFactory(visibility=Event.Visibility.MEMBERS)

    response = client.get(reverse("event_ics", args=[event.pk]))
    assert response.status_code == 200
    assert uids(response) == [f"event-{event.pk}@127.0.0.1"]
    assert client.get(reverse("event_ics", args=[draft.pk])).status_code == 404
    assert client.get(reverse("event_ics", args=[members.pk])).status_code == 404
    client.force_login(UserFactory())
    assert client.get(reverse("event_ics", args=[members.pk])).status_code == 200


def test_shift_download_matches_my_invite(client, shift, volunteer):
    signup = SignupFactory(shift=shift, volunteer=volunteer)

    anonymous = client.get(reverse("shift_ics", args=[shift.pk]))
    client.force_login(volunteer)
    mine = client.get(reverse("shift_ics", args=[shift.pk]))

    assert uids(anonymous) == [f"shift-{shift.pk}@127.0.0.1"]
    assert uids(mine) == [f"signup-{signup.pk}@127.0.0.1"]
    hidden = ShiftFactory(event=EventFactory(status=Event.Status.DRAFT))
    assert client.get(reverse("shift_ics", args=[hidden.pk])).status_code == 404


# --- Reminder notice --------------------------------------------------------------------


def test_reminder_notice_says_why_there_are_no_reminders(volunteer):
    assert "reminder-notice" not in render_to_string(
        "volunteers/partials/_reminder_notice.html", {"user": volunteer})

    EmailAddress.objects.filter(user=volunteer).update(verified=False)
    unverified = render_to_string("volunteers/partials/_reminder_notice.html",
                                  {"user": volunteer})
    assert "until you confirm your email address" in unverified

    volunteer.reminders_enabled = False
    off = render_to_string("volunteers/partials/_reminder_notice.html", {"user": volunteer})
    assert "you turned them off" in off


# --- Organizers' message page -----------------------------------------------------------


def failed_message(**fields) -> Message:
    recipient = fields.pop("recipient", None) or UserFactory()
    fields.setdefault("status", Message.Status.FAILED)
    return Message.objects.create(
        kind=Kind.CONFIRMATION, recipient=recipient, last_error="550 5.1.1 No such user",
        attempts=1, dedupe_key=f"test:{recipient.pk}:{Message.objects.count()}", **fields)


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("volunteer", 403),
                                             ("organizer", 200)])
def test_message_page_is_for_organizers(client, who, status):
    if who != "anonymous":
        client.force_login(organizer() if who == "organizer" else UserFactory())

    assert client.get(reverse("message_list")).status_code == status
    assert client.post(reverse("message_retry", args=[failed_message().pk])).status_code == (
        status if status != 200 else 302)


def test_message_page_lists_failed_and_stuck_with_constant_queries(
    client, shift, django_assert_num_queries
):
    client.force_login(organizer())
    signup = SignupFactory(shift=shift)
    failed_message(signup=signup, event=shift.event)
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    stuck = failed_message(status=Message.Status.IN_FLIGHT, claimed_at=long_ago)
    Message.objects.create(kind=Kind.WELCOME, recipient=UserFactory(), dedupe_key="fine",
                           status=Message.Status.SENT, sent_at=long_ago)

    with django_assert_num_queries(6):
        response = client.get(reverse("message_list"))
    html = response.content.decode()
    assert "550 5.1.1 No such user" in html
    assert f'id="message-{stuck.pk}"' in html
    assert html.count('class="card message-row"') == 2
    assert "Need attention (2)" in html

    for _ in range(30):
        failed_message(signup=SignupFactory(shift=ShiftFactory(event=shift.event)),
                       event=shift.event)
    with django_assert_num_queries(6):
        response = client.get(reverse("message_list"))
    assert response.content.decode().count('class="card message-row"') == 32
    sent = client.get(reverse("message_list") + "?view=sent").content.decode()
    assert sent.count('class="card message-row"') == 1


def test_retry_puts_a_failed_message_back_in_the_queue(client):
    client.force_login(organizer())
    message = failed_message()

    response = client.post(reverse("message_retry", args=[message.pk]))

    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempts, message.claimed_at) == ("pending", 0, None)
    assert message.due_at <= timezone.now()


def test_retry_with_htmx_swaps_the_row_and_refuses_a_sent_message(client):
    client.force_login(organizer())
    message = failed_message()

    ok = client.post(reverse("message_retry", args=[message.pk]), HTTP_HX_REQUEST="true")
    again = client.post(reverse("message_retry", args=[message.pk]), HTTP_HX_REQUEST="true")

    assert ok.status_code == 200
    assert f'id="message-{message.pk}"' in ok.content.decode()
    assert "Queued again." in ok.content.decode()
    assert again.status_code == 200
    assert "not waiting for a retry" in again.content.decode()
    assert "<html" not in again.content.decode()
