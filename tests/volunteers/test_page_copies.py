"""Per-person copies of My shifts and a team's page (volunteers.page_copies), with the
production cache (a real Redis): the second request is served from the copy with fewer
queries, and every change the page shows (committed, so its version is bumped) or a moment
the page reads differently after (a cancellation cut-off passing) shows on the very next
request. Copies are per person: nobody is ever served another person's page."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import TeamMembershipFactory, UserFactory
from volunteers.models import Signup
from volunteers.services.signups import signup_cancel, signup_create
from volunteers.services.teams import team_invite, team_member_add

from .conftest import log_in, make_shift

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("production_cache")]


def without_tokens(body: bytes) -> str:
    body = body.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "TOKEN", body)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "TOKEN", body)


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def volunteer_with_shifts(commit):
    person = UserFactory(display_name="Viewer Person")
    shifts = [make_shift(starts_in_hours=48 + hours * 5) for hours in range(3)]
    with commit():
        for shift in shifts:
            signup_create(shift=shift, volunteer=person, by=person)
    return person, shifts


# --- My shifts ---------------------------------------------------------------------------

def test_my_shifts_second_request_is_the_same_page_from_fewer_queries(
        client, volunteer_with_shifts, django_assert_max_num_queries):
    person, _shifts = volunteer_with_shifts
    client.force_login(person)
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first_queries:
        first = client.get(reverse("my_shifts"))
    with django_assert_max_num_queries(len(first_queries) - 3):
        second = client.get(reverse("my_shifts"))

    assert without_tokens(second.content) == without_tokens(first.content)
    assert second["Cache-Control"] == first["Cache-Control"]
    assert "no-store" in second["Cache-Control"] and "private" in second["Cache-Control"]


def test_my_shifts_shows_a_new_sign_up_and_a_cancellation_at_once(
        client, volunteer_with_shifts, commit):
    person, shifts = volunteer_with_shifts
    client.force_login(person)
    page(client, reverse("my_shifts"))
    new = make_shift(starts_in_hours=100)

    with commit():
        signup_create(shift=new, volunteer=person, by=person)
    assert f'href="{reverse("shift_ics", args=[new.pk])}"' in page(client, reverse("my_shifts"))

    signup = Signup.objects.get(shift=shifts[0], volunteer=person)
    with commit():
        signup_cancel(signup=signup, by=person)
    assert f'id="mine-{signup.pk}"' not in page(client, reverse("my_shifts"))


def test_my_shifts_shows_a_teammate_joining_the_same_shift_at_once(
        client, volunteer_with_shifts, commit):
    person, shifts = volunteer_with_shifts
    client.force_login(person)
    assert "Zelda" not in page(client, reverse("my_shifts"))
    other = UserFactory(display_name="Zelda Other")

    with commit():
        signup_create(shift=shifts[1], volunteer=other, by=other)

    assert "Zelda" in page(client, reverse("my_shifts"))


def test_my_shifts_shows_a_new_shift_time_at_once(client, volunteer_with_shifts, commit):
    person, shifts = volunteer_with_shifts
    client.force_login(person)
    page(client, reverse("my_shifts"))
    shift = shifts[2]
    shift.starts_at = shift.starts_at.replace(minute=0) + datetime.timedelta(days=1)
    shift.starts_at = timezone.localtime(shift.starts_at).replace(hour=5, minute=17)
    shift.ends_at = shift.starts_at + datetime.timedelta(hours=1)

    with commit():
        shift.save()

    assert "5:17" in page(client, reverse("my_shifts"))


def test_my_shifts_says_too_late_to_cancel_once_the_cut_off_has_passed(
        client, commit, monkeypatch):
    person = UserFactory()
    shift = make_shift(starts_in_hours=30)
    shift.event.cancel_cutoff_hours = 24
    with commit():
        shift.event.save()
        signup_create(shift=shift, volunteer=person, by=person)
    client.force_login(person)
    assert "Cancel my place" in page(client, reverse("my_shifts"))
    assert "Cancel my place" in page(client, reverse("my_shifts"))  # from the copy

    later = timezone.now() + datetime.timedelta(hours=7)  # 23 hours before the shift
    monkeypatch.setattr(timezone, "now", lambda: later)

    body = page(client, reverse("my_shifts"))
    assert "Cancel my place" not in body
    assert "too late to cancel here" in body


def test_my_shifts_copies_are_per_person(client, volunteer_with_shifts):
    person, _shifts = volunteer_with_shifts
    other = UserFactory(display_name="Someone Else")
    client.force_login(person)
    mine = page(client, reverse("my_shifts"))
    client.force_login(other)

    theirs = page(client, reverse("my_shifts"))

    assert "You have no upcoming shifts." in theirs
    assert "mine-" not in theirs
    assert person.calendar_token not in theirs
    assert other.calendar_token in theirs and other.calendar_token not in mine


def test_my_shifts_is_not_served_from_a_copy_with_a_message(client, volunteer_with_shifts):
    person, shifts = volunteer_with_shifts
    client.force_login(person)
    page(client, reverse("my_shifts"))
    signup = Signup.objects.get(shift=shifts[0], volunteer=person)

    response = client.post(reverse("signup_cancel", args=[signup.pk]),
                           {"next": reverse("my_shifts")}, follow=True)

    assert response.redirect_chain
    assert f"mine-{signup.pk}" not in response.content.decode()


def test_my_shifts_renders_while_redis_is_down(client, volunteer_with_shifts, production_cache):
    person, _shifts = volunteer_with_shifts
    client.force_login(person)
    production_cache.stop()

    for _ in range(2):
        assert 'id="mine-' in page(client, reverse("my_shifts"))


# --- A team's page -----------------------------------------------------------------------

def team_url(people) -> str:
    return reverse("team_detail", args=[people["team"].pk])


def test_team_page_second_request_is_the_same_page_from_fewer_queries(
        client, people, django_assert_max_num_queries):
    client.force_login(people["organizer"])
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first_queries:
        first = client.get(team_url(people))
    with django_assert_max_num_queries(len(first_queries) - 2):
        second = client.get(team_url(people))

    assert without_tokens(second.content) == without_tokens(first.content)
    assert second["Cache-Control"] == first["Cache-Control"]


def test_team_page_shows_a_member_added_and_removed_at_once(client, people, commit):
    client.force_login(people["organizer"])
    newcomer = UserFactory(display_name="Newcomer Person")
    assert "Newcomer Person" not in page(client, team_url(people))

    with commit():
        membership = TeamMembershipFactory(team=people["team"], user=newcomer)
    assert "Newcomer Person" in page(client, team_url(people))

    with commit():
        membership.delete()
    assert "Newcomer Person" not in page(client, team_url(people))


def test_team_page_shows_an_invitation_and_its_acceptance_at_once(client, people, commit):
    client.force_login(people["own_captain"])
    invited = UserFactory(email="invited.person@example.org")
    page(client, team_url(people))

    with commit():
        team_invite(team=people["team"], email=invited.email, by=people["own_captain"])
    assert "invited.person@example.org" in page(client, team_url(people))

    # An organizer adding the person closes the invitation (a bulk update: no signal).
    with commit():
        team_member_add(team=people["team"], email=invited.email, by=people["organizer"])
    body = page(client, team_url(people))
    assert "No invitations waiting." in body


def test_team_page_copies_show_each_viewer_their_own_contact_details(client, people):
    people["member"].emergency_contact_name = "Emergency Contact Person"
    people["member"].save()
    client.force_login(people["organizer"])
    for _ in range(2):
        assert "Emergency Contact Person" in page(client, team_url(people))
        assert "(559) 555-0111" in page(client, team_url(people))

    client.force_login(people["member"])
    for _ in range(2):
        body = page(client, team_url(people))
        assert "(559) 555-0111" not in body
        assert "Emergency Contact Person" not in body
        assert "Leave this team" in body


def test_team_page_copy_carries_each_requests_own_csrf_token(people):
    tokens = []
    for _ in range(2):
        client = Client(enforce_csrf_checks=True)
        client.force_login(people["member"])
        client.get(team_url(people))  # the first client's request stores the copy
        body = page(client, team_url(people))
        assert "PageCopyCsrfTokenPlaceholder" not in body
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        tokens.append(token)
    assert tokens[0] != tokens[1]
    # The second copy's token is accepted: the member leaves through the copy's form.
    response = client.post(reverse("team_leave", args=[people["team"].pk]),
                           {"csrfmiddlewaretoken": tokens[1]})
    assert response.status_code in (200, 302)


# --- The event page, logged in (events.views.event_detail) -------------------------------

def event_url(shift) -> str:
    return reverse("event_detail", args=[shift.event_id])


def test_event_page_second_visit_is_the_same_page_without_a_query_beyond_the_session(
        client, volunteer_with_shifts):
    from django.test.utils import CaptureQueriesContext

    person, shifts = volunteer_with_shifts
    client.force_login(person)
    first = client.get(event_url(shifts[0]))
    with CaptureQueriesContext(connection) as queries:
        second = client.get(event_url(shifts[0]))

    assert without_tokens(second.content) == without_tokens(first.content)
    assert "You are signed up." in second.content.decode()
    assert [q["sql"] for q in queries if "django_session" not in q["sql"]] == []
    assert "no-store" in second["Cache-Control"] and "private" in second["Cache-Control"]


def test_event_page_shows_someone_else_taking_the_last_place_at_once(client, commit):
    with commit():
        shift = make_shift(capacity=1)
        viewer, other = UserFactory(), UserFactory()
    log_in(client, viewer, commit)
    assert ">Sign up</button>" in page(client, event_url(shift))
    assert ">Sign up</button>" in page(client, event_url(shift))  # from the copy

    with commit():
        signup_create(shift=shift, volunteer=other, by=other)

    body = page(client, event_url(shift))
    assert ">Sign up</button>" not in body
    assert "Join the waitlist" in body


def test_event_page_shows_a_role_granted_and_taken_back_at_once(client, commit):
    from volunteers.models import Role, RoleGrant

    with commit():
        shift = make_shift()
        person = UserFactory()
    log_in(client, person, commit)
    edit = f'href="{reverse("organize_event_edit", args=[shift.event_id])}"'
    assert edit not in page(client, event_url(shift))

    with commit():
        grant = RoleGrant.objects.create(user=person, role=Role.ORGANIZER)
    assert edit in page(client, event_url(shift))

    with commit():
        grant.delete()
    assert edit not in page(client, event_url(shift))


def test_event_page_shows_a_clash_when_the_persons_other_shift_moves_onto_it(
        client, volunteer_with_shifts, commit):
    person, shifts = volunteer_with_shifts
    with commit():
        here = make_shift(starts_in_hours=200)
    log_in(client, person, commit)
    assert "You already have a shift at that time" not in page(client, event_url(here))
    assert "You already have a shift at that time" not in page(client, event_url(here))

    elsewhere = shifts[0]  # another event's shift the person holds a place on
    elsewhere.starts_at, elsewhere.ends_at = here.starts_at, here.ends_at
    with commit():
        elsewhere.save()

    assert "You already have a shift at that time" in page(client, event_url(here))


def test_event_page_opens_a_training_shift_once_the_training_is_attended(client, commit):
    from .conftest import attended_training

    with commit():
        training = make_shift(starts_in_hours=10).event
        shift = make_shift(required_training=training)
        person = UserFactory()
    log_in(client, person, commit)
    assert ">Sign up</button>" not in page(client, event_url(shift))
    assert ">Sign up</button>" not in page(client, event_url(shift))

    with commit():
        attended_training(person, training)

    assert ">Sign up</button>" in page(client, event_url(shift))


def test_event_page_closes_a_shift_once_it_has_started(client, monkeypatch):
    shift = make_shift(starts_in_hours=5)
    client.force_login(UserFactory())
    assert ">Sign up</button>" in page(client, event_url(shift))
    assert ">Sign up</button>" in page(client, event_url(shift))

    later = timezone.now() + datetime.timedelta(hours=6)
    monkeypatch.setattr(timezone, "now", lambda: later)

    body = page(client, event_url(shift))
    assert ">Sign up</button>" not in body
    assert "already started" in body


def test_event_page_copies_are_per_person(client, volunteer_with_shifts):
    person, shifts = volunteer_with_shifts
    client.force_login(person)
    assert "You are signed up." in page(client, event_url(shifts[0]))
    client.force_login(UserFactory())

    theirs = page(client, event_url(shifts[0]))

    assert "You are signed up." not in theirs
    assert ">Sign up</button>" in theirs


def test_event_page_renders_while_redis_is_down(client, volunteer_with_shifts,
                                                production_cache):
    person, shifts = volunteer_with_shifts
    client.force_login(person)
    production_cache.stop()

    for _ in range(2):
        assert "You are signed up." in page(client, event_url(shifts[0]))
