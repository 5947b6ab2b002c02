"""The organizers' RSVP list: contacts, attended / no-show one tap per person, walk-ins,
the CSV, and the way a marked training lets a new volunteer take collector shifts."""

import csv
import datetime
import io

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from events.models import Event, EventKind, Rsvp
from tests.factories import EventFactory, ShiftFactory, UserFactory, organizer
from volunteers.models import Signup, User

from .conftest import ROLES

pytestmark = pytest.mark.django_db


def training_starting_in(minutes: int, **fields) -> Event:
    start = timezone.now() + datetime.timedelta(minutes=minutes)
    fields.setdefault("title", "Bucket Drive Volunteer Training")
    return EventFactory(kind=EventKind.TRAINING, starts_at=start,
                        ends_at=start + datetime.timedelta(hours=2), **fields)


@pytest.fixture
def training():
    """A training that started half an hour ago: attendance can be marked."""
    return training_starting_in(-30)


@pytest.fixture
def ana():
    return UserFactory(display_name="Ana Gutierrez", email="ana@example.org",
                       phone="(559) 555-0101")


def list_url(event) -> str:
    return reverse("organize_event_rsvps", args=[event.pk])


def mark_url(rsvp) -> str:
    return reverse("organize_event_rsvp_attendance", args=[rsvp.pk])


def walk_in_url(event) -> str:
    return reverse("organize_event_rsvp_walk_in", args=[event.pk])


# --- Who may see and change the list ----------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["organize_event_rsvps", "organize_event_rsvps_csv"])
def test_rsvp_pages_get_only_for_organizers(client, login_as, training, role, name):
    login_as(role)

    response = client.get(reverse(name, args=[training.pk]))

    expected = {"anonymous": 302, "organizer": 200}.get(role, 403)
    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ROLES)
def test_rsvp_mark_post_only_for_organizers(client, login_as, training, ana, role):
    rsvp = Rsvp.objects.create(event=training, user=ana)
    login_as(role)

    response = client.post(mark_url(rsvp), {"attendance": "attended"})

    expected = {"anonymous": 302, "organizer": 302}.get(role, 403)
    assert response.status_code == expected
    rsvp.refresh_from_db()
    assert rsvp.attended is (role == "organizer")


@pytest.mark.parametrize("role", ROLES)
def test_rsvp_walk_in_post_only_for_organizers(client, login_as, training, ana, role):
    login_as(role)

    response = client.post(walk_in_url(training), {"user": ana.pk})

    expected = {"anonymous": 302, "organizer": 302}.get(role, 403)
    assert response.status_code == expected
    assert Rsvp.objects.filter(event=training, user=ana).exists() is (role == "organizer")


def test_rsvp_mark_get_is_not_allowed(organizer_client, training, ana):
    rsvp = Rsvp.objects.create(event=training, user=ana)

    assert organizer_client.get(mark_url(rsvp)).status_code == 405


def test_rsvp_list_of_unknown_event_is_404(organizer_client):
    assert organizer_client.get(reverse("organize_event_rsvps", args=[999999])).status_code == 404


# --- The list ---------------------------------------------------------------------------


def test_rsvp_list_shows_names_status_contacts_and_places(organizer_client, training, ana):
    training.rsvp_capacity = 20
    training.save()
    Rsvp.objects.create(event=training, user=ana)
    gone = UserFactory(display_name="Luis Withdrawn")
    Rsvp.objects.create(event=training, user=gone, status=Rsvp.Status.CANCELLED)

    response = organizer_client.get(list_url(training))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Ana Gutierrez" in page
    assert 'href="mailto:ana@example.org"' in page
    assert 'href="tel:(559) 555-0101"' in page
    assert "1 going" in page
    assert "20 places (19 left)" in page
    assert "Withdrew their RSVP" in page
    assert "Luis Withdrawn" in page
    assert [r.user for r in response.context["rsvps"].going] == [ana]
    assert [r.user for r in response.context["rsvps"].not_going] == [gone]


def test_rsvp_list_runs_a_constant_number_of_queries(organizer_client, training,
                                                     django_assert_max_num_queries):
    people = User.objects.bulk_create([
        User(email=f"rsvp{n}@example.org", display_name=f"Trainee {n}", phone="(559) 555-0100")
        for n in range(200)
    ])
    marker = organizer_client.user
    now = timezone.now()
    Rsvp.objects.bulk_create([
        Rsvp(event=training, user=person,
             status=Rsvp.Status.CANCELLED if n % 10 == 0 else Rsvp.Status.GOING,
             attended=n % 3 == 1, no_show=n % 3 == 2,
             attendance_by=marker if n % 3 else None, attendance_at=now if n % 3 else None,
             added_by=marker if n % 7 == 0 else None)
        for n, person in enumerate(people)
    ])

    with django_assert_max_num_queries(8):
        response = organizer_client.get(list_url(training) + "?q=trainee 1")

    assert response.status_code == 200
    listing = response.context["rsvps"]
    assert len(listing.going) + len(listing.not_going) == 200
    assert len(response.context["candidates"]) == 10


def test_rsvp_list_of_a_future_event_says_when_marking_opens(organizer_client, ana):
    later = training_starting_in(60 * 24)
    Rsvp.objects.create(event=later, user=ana)

    page = organizer_client.get(list_url(later)).content.decode()

    assert "Attendance can be marked from an hour before the event starts." in page
    assert mark_url(Rsvp.objects.get()) not in page


def test_rsvp_list_is_linked_from_the_event_header_and_the_board(organizer_client, training):
    edit = organizer_client.get(reverse("organize_event_edit", args=[training.pk]))
    board = organizer_client.get(reverse("event_board", args=[training.pk]))
    events = organizer_client.get(reverse("organize_event_list"))

    for response in (edit, board, events):
        assert list_url(training) in response.content.decode()


# --- Marking ----------------------------------------------------------------------------


def test_rsvp_mark_attended_with_a_plain_form(organizer_client, training, ana):
    rsvp = Rsvp.objects.create(event=training, user=ana)

    response = organizer_client.post(mark_url(rsvp), {"attendance": "attended"})

    assert response.status_code == 302
    assert response["Location"] == f"{list_url(training)}#r{rsvp.pk}"
    rsvp.refresh_from_db()
    assert (rsvp.attended, rsvp.no_show, rsvp.attendance_by) == (
        True, False, organizer_client.user)
    assert rsvp.attendance_at is not None


def test_rsvp_mark_with_htmx_swaps_the_row(organizer_client, training, ana):
    rsvp = Rsvp.objects.create(event=training, user=ana)

    response = organizer_client.post(mark_url(rsvp), {"attendance": "no_show"},
                                     HTTP_HX_REQUEST="true")

    row = response.content.decode()
    assert response.status_code == 200
    assert row.startswith(f'<li class="checkin-row att-no_show" id="r{rsvp.pk}">')
    assert "No-show" in row and "Undo" in row
    assert "<html" not in row
    rsvp.refresh_from_db()
    assert (rsvp.attended, rsvp.no_show) == (False, True)


def test_rsvp_mark_undo_clears_who_and_when(organizer_client, training, ana):
    rsvp = Rsvp.objects.create(event=training, user=ana)
    organizer_client.post(mark_url(rsvp), {"attendance": "attended"})

    organizer_client.post(mark_url(rsvp), {"attendance": "unknown"})

    rsvp.refresh_from_db()
    assert (rsvp.attended, rsvp.no_show, rsvp.attendance_by, rsvp.attendance_at) == (
        False, False, None, None)


def test_rsvp_mark_before_the_event_is_refused(organizer_client, ana):
    later = training_starting_in(60 * 24)
    rsvp = Rsvp.objects.create(event=later, user=ana)

    response = organizer_client.post(mark_url(rsvp), {"attendance": "attended"}, follow=True)

    assert "Attendance can be marked from an hour before the event starts." in (
        response.content.decode())
    rsvp.refresh_from_db()
    assert rsvp.attended is False


def test_rsvp_mark_at_a_cancelled_event_is_refused_with_409(organizer_client, training, ana):
    rsvp = Rsvp.objects.create(event=training, user=ana)
    Event.objects.filter(pk=training.pk).update(status=Event.Status.CANCELLED)

    response = organizer_client.post(mark_url(rsvp), {"attendance": "attended"},
                                     HTTP_HX_REQUEST="true")

    assert response.status_code == 409
    assert "This event was cancelled" in response.content.decode()
    rsvp.refresh_from_db()
    assert rsvp.attended is False


def test_rsvp_mark_with_a_made_up_value_is_refused(organizer_client, training, ana):
    rsvp = Rsvp.objects.create(event=training, user=ana)

    response = organizer_client.post(mark_url(rsvp), {"attendance": "maybe"},
                                     HTTP_HX_REQUEST="true")

    assert response.status_code == 409
    assert "Choose attended or no-show." in response.content.decode()
    rsvp.refresh_from_db()
    assert rsvp.attendance == "unknown"


def test_rsvp_withdrawn_cannot_be_a_no_show(organizer_client, training, ana):
    rsvp = Rsvp.objects.create(event=training, user=ana, status=Rsvp.Status.CANCELLED)

    response = organizer_client.post(mark_url(rsvp), {"attendance": "no_show"}, follow=True)

    assert "Ana Gutierrez withdrew their RSVP, so they cannot be a no-show." in (
        response.content.decode())
    rsvp.refresh_from_db()
    assert (rsvp.no_show, rsvp.status) == (False, "cancelled")


def test_rsvp_withdrawn_who_came_anyway_is_going_again(organizer_client, training, ana):
    rsvp = Rsvp.objects.create(event=training, user=ana, status=Rsvp.Status.CANCELLED)

    organizer_client.post(mark_url(rsvp), {"attendance": "attended"})

    rsvp.refresh_from_db()
    assert (rsvp.attended, rsvp.status) == (True, "going")


def test_rsvp_cannot_be_attended_and_no_show_at_once(training, ana):
    with pytest.raises(IntegrityError):
        Rsvp.objects.create(event=training, user=ana, attended=True, no_show=True)


# --- Walk-ins ---------------------------------------------------------------------------


def test_walk_in_search_finds_registered_people_by_name_or_email(organizer_client, training,
                                                                 ana):
    UserFactory(display_name="Someone Else", email="other@example.org")

    by_name = organizer_client.get(list_url(training) + "?q=gutier")
    by_email = organizer_client.get(list_url(training) + "?q=ANA@EXAMPLE")
    too_short = organizer_client.get(list_url(training) + "?q=a")

    # Other people of the fixtures have Faker's random names, which may share "gutier".
    found_by_name = [p.email for p in by_name.context["candidates"]]
    assert "ana@example.org" in found_by_name
    assert "other@example.org" not in found_by_name
    assert [p.email for p in by_email.context["candidates"]] == ["ana@example.org"]
    assert "Type at least two letters" in too_short.content.decode()
    assert f'name="user" value="{ana.pk}"' in by_name.content.decode()


def test_walk_in_search_without_match_says_so(organizer_client, training):
    page = organizer_client.get(list_url(training) + "?q=nobody-here").content.decode()

    assert "Nobody registered matches “nobody-here”." in page


def test_walk_in_is_added_marked_attended(organizer_client, training, ana):
    response = organizer_client.post(walk_in_url(training), {"user": ana.pk}, follow=True)

    rsvp = Rsvp.objects.get(event=training, user=ana)
    assert (rsvp.status, rsvp.attended, rsvp.added_by, rsvp.attendance_by) == (
        "going", True, organizer_client.user, organizer_client.user)
    page = response.content.decode()
    assert "Ana Gutierrez is marked as attended." in page
    assert "Walk-in, added by" in page


def test_walk_in_at_a_full_event_is_still_added(organizer_client, training, ana):
    training.rsvp_capacity = 1
    training.save()
    Rsvp.objects.create(event=training, user=UserFactory())

    organizer_client.post(walk_in_url(training), {"user": ana.pk})

    assert Rsvp.objects.filter(event=training, status="going").count() == 2


def test_walk_in_who_had_withdrawn_is_brought_back(organizer_client, training, ana):
    Rsvp.objects.create(event=training, user=ana, status=Rsvp.Status.CANCELLED)

    organizer_client.post(walk_in_url(training), {"user": ana.pk})

    rsvp = Rsvp.objects.get(event=training, user=ana)
    assert (rsvp.status, rsvp.attended, rsvp.added_by) == ("going", True, None)


def test_walk_in_of_an_unknown_person_is_refused(organizer_client, training):
    response = organizer_client.post(walk_in_url(training), {"user": "999999"}, follow=True)

    assert response.status_code == 200
    assert "Choose a person from the search." in response.content.decode()
    assert not Rsvp.objects.exists()


def test_walk_in_before_the_event_is_refused(organizer_client, ana):
    later = training_starting_in(60 * 24)

    response = organizer_client.post(walk_in_url(later), {"user": ana.pk}, follow=True)

    assert "Attendance can be marked from an hour before the event starts." in (
        response.content.decode())
    assert not Rsvp.objects.exists()


# --- CSV --------------------------------------------------------------------------------


def test_rsvp_csv_has_the_columns_and_rows(organizer_client, training, ana):
    Rsvp.objects.create(event=training, user=ana, attended=True,
                        attendance_by=organizer_client.user, attendance_at=timezone.now())
    sneaky = UserFactory(display_name="=HYPERLINK(1)", email="sneaky@example.org")
    Rsvp.objects.create(event=training, user=sneaky, status=Rsvp.Status.CANCELLED)

    response = organizer_client.get(reverse("organize_event_rsvps_csv", args=[training.pk]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["name", "email", "phone", "status", "attendance", "marked_by",
                       "marked_at", "rsvp_at", "added_by"]
    assert rows[1][:5] == ["Ana Gutierrez", "ana@example.org", "(559) 555-0101", "going",
                           "attended"]
    assert rows[1][5] == organizer_client.user.name
    assert rows[2][:5] == ["'=HYPERLINK(1)", "sneaky@example.org", "", "cancelled",
                           "unknown"]


# --- The whole way from new volunteer to bucket collector ------------------------------


def test_new_volunteer_becomes_a_collector_after_being_marked_at_the_training(client, ana):
    training = training_starting_in(30)
    drive = EventFactory()
    collector_shift = ShiftFactory(event=drive, required_training=training)
    signup_url = reverse("shift_signup", args=[collector_shift.pk])
    client.force_login(ana)
    client.post(reverse("event_rsvp", args=[training.pk]))
    client.post(signup_url)
    assert not Signup.objects.filter(volunteer=ana).exists()

    boss = organizer()
    client.force_login(boss)
    page = client.get(list_url(training)).content.decode()
    assert "Ana Gutierrez" in page
    client.post(mark_url(Rsvp.objects.get(event=training, user=ana)), {"attendance": "attended"})

    client.force_login(ana)
    client.post(signup_url)
    assert Signup.objects.get(volunteer=ana).status == "confirmed"
