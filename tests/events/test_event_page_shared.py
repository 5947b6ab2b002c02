"""The event page for a logged-in visitor, and the organizers' shift board, keep what everyone
sees in the cache (events.views.shared_detail, volunteers.views.board.board) and add what is
the visitor's own on each request: their places, what stops them, the time."""

import datetime
import re

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from config.cache import redis_cache
from events.models import Event
from events.selectors import viewer_places
from tests.factories import (
    EventFactory,
    ShiftFactory,
    SignupFactory,
    SiteFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
    captain,
    organizer,
)
from volunteers.models import Signup
from volunteers.selectors import with_waitlist_position
from volunteers.services.signups import signup_create

pytestmark = pytest.mark.django_db


def page(client, event) -> str:
    return client.get(reverse("event_detail", args=[event.pk])).content.decode()


def box(html: str, shift) -> str:
    start = html.index(f'<div class="signup-box" id="signup-{shift.pk}">')
    return html[start:html.index("</div>", start)]


def test_each_viewer_gets_their_own_boxes_on_the_kept_shared_part(client):
    site = SiteFactory(name="Shaw & Cedar", address="4 E Shaw Ave", address_private=True)
    taken = ShiftFactory(site=site, capacity=5)
    event = taken.event
    other = ShiftFactory(event=event, starts_at=taken.ends_at,
                         ends_at=taken.ends_at + datetime.timedelta(hours=2))
    holder, newcomer = UserFactory(), UserFactory()
    signup_create(shift=taken, volunteer=holder, by=holder)

    written, kept = Statements(), Statements()
    client.force_login(newcomer)
    with connection.execute_wrapper(written):
        first = page(client, event)
    client.force_login(holder)
    with connection.execute_wrapper(kept):
        held = page(client, event)
    client.force_login(newcomer)
    again = page(client, event)

    assert written.shift_lists == 1 and kept.shift_lists == 0
    assert "You are signed up." in box(held, taken)
    assert "4 E Shaw Ave" in held
    assert "Sign up</button>" in box(held, other)
    assert "You are signed up." not in first and "4 E Shaw Ave" not in first
    assert "Sign up</button>" in box(first, taken)
    assert without_tokens(again) == without_tokens(first)


class Statements:
    """Counts the statements that read the shifts table itself (the shared part's query)."""

    def __init__(self):
        self.shift_lists = 0

    def __call__(self, execute, sql, params, many, context):
        if sql.split(" FROM ", 1)[-1].startswith('"events_shift"'):
            self.shift_lists += 1
        return execute(sql, params, many, context)


def without_tokens(html: str) -> str:
    return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")\w+', "", html)


@pytest.mark.django_db(transaction=True)  # the change's bump runs after its commit
def test_a_sign_up_shows_at_once_to_the_next_logged_in_viewer(client):
    shift = ShiftFactory(capacity=5, needed=2)
    viewer, volunteer = UserFactory(), UserFactory()
    client.force_login(viewer)
    before = page(client, shift.event)

    signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    after = page(client, shift.event)

    assert "0 of 5 places taken" in before
    assert "1 of 5 places taken" in after


def test_a_shift_that_starts_after_the_shared_part_was_kept_is_closed(client, monkeypatch):
    shift = ShiftFactory(starts_at=timezone.now() + datetime.timedelta(hours=1))
    client.force_login(UserFactory())
    before = page(client, shift.event)

    later = timezone.now() + datetime.timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    after = page(client, shift.event)

    assert "Sign up</button>" in box(before, shift)
    assert "Sign up</button>" not in box(after, shift)
    assert "already started" in box(after, shift)


def test_a_draft_kept_for_an_organizer_is_still_hidden_from_volunteers(client):
    shift = ShiftFactory(event=EventFactory(status=Event.Status.DRAFT))
    members_only = ShiftFactory(event=EventFactory(visibility=Event.Visibility.MEMBERS))
    client.force_login(organizer())
    assert client.get(reverse("event_detail", args=[shift.event_id])).status_code == 200
    client.get(reverse("event_detail", args=[members_only.event_id]))

    client.force_login(UserFactory())
    draft = client.get(reverse("event_detail", args=[shift.event_id]))
    client.logout()
    anonymous = client.get(reverse("event_detail", args=[members_only.event_id]))

    assert draft.status_code == 404
    assert anonymous.status_code == 404


def test_pages_are_written_for_each_request_while_the_cache_is_down(client, settings):
    settings.CACHES = {"default": redis_cache("redis://127.0.0.1:1/0", retry_after=60)}
    shift = ShiftFactory(capacity=5)
    client.force_login(UserFactory())
    before = page(client, shift.event)
    volunteer = UserFactory()
    signup_create(shift=shift, volunteer=volunteer, by=volunteer)
    client.force_login(organizer())
    board = client.get(reverse("event_board", args=[shift.event_id]))
    client.force_login(volunteer)

    after = page(client, shift.event)

    assert "0 of 5 places taken" in before
    assert "1 of 5 places taken" in after and "You are signed up." in after
    assert board.status_code == 200 and volunteer.name in board.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_board_kept_for_organizers_never_reaches_a_captain(client):
    shift = ShiftFactory(capacity=5)
    team = TeamFactory()
    own_captain, member, stranger = captain(), UserFactory(), UserFactory()
    TeamMembershipFactory(team=team, user=own_captain, is_captain=True)
    TeamMembershipFactory(team=team, user=member)
    signup_create(shift=shift, volunteer=member, by=own_captain, team=team)
    signup_create(shift=shift, volunteer=stranger, by=stranger)
    url = reverse("event_board", args=[shift.event_id])
    client.force_login(organizer())
    kept = client.get(url).content.decode()

    client.force_login(own_captain)
    seen = client.get(url).content.decode()
    client.force_login(organizer())
    signup_create(shift=shift, volunteer=own_captain, by=own_captain)
    refreshed = client.get(url).content.decode()

    assert member.name in kept and stranger.name in kept
    assert member.name in seen and stranger.name not in seen
    assert own_captain.name not in kept and own_captain.name in refreshed


def test_the_page_counts_places_in_line_as_the_waitlist_does():
    shift = ShiftFactory(capacity=1, needed=1)
    first_in = timezone.now()
    waiting = [SignupFactory(shift=shift, status=Signup.Status.WAITLISTED,
                             waitlisted_at=first_in + datetime.timedelta(minutes=n // 2))
               for n in range(5)]  # two by two at the same moment: ties go by id
    SignupFactory(shift=shift)
    SignupFactory(shift=ShiftFactory(), status=Signup.Status.WAITLISTED, waitlisted_at=first_in)

    on_page = {signup.volunteer_id: viewer_places(user=signup.volunteer, event=shift.event)[0]
               [shift.pk].waitlist_position for signup in waiting}
    in_line = dict(with_waitlist_position(Signup.objects.filter(shift=shift, status="waitlisted"))
                   .values_list("volunteer_id", "waitlist_position"))

    assert on_page == in_line
    assert sorted(on_page.values()) == [1, 2, 3, 4, 5]
