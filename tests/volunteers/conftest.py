import datetime
from contextlib import contextmanager

import pytest
from django.db import connection
from django.utils import timezone

from events.models import Event, EventKind, Rsvp
from tests.factories import (
    EventFactory,
    ShiftFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
    captain,
    organizer,
    treasurer,
)


def hours_from_now(hours: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(hours=hours)


def make_shift(*, starts_in_hours: float = 72, length_hours: float = 3, **fields):
    starts_at = hours_from_now(starts_in_hours)
    if "capacity" in fields:
        fields.setdefault("needed", min(3, fields["capacity"]))
    event = fields.pop("event", None) or EventFactory(
        starts_at=starts_at - datetime.timedelta(hours=1),
        ends_at=starts_at + datetime.timedelta(hours=length_hours + 1),
    )
    return ShiftFactory(
        event=event,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=length_hours),
        **fields,
    )


def attended_training(person, training: Event | None = None) -> Event:
    training = training or EventFactory(kind=EventKind.TRAINING, title="Volunteer Training")
    Rsvp.objects.create(event=training, user=person, attended=True)
    return training


@pytest.fixture
def volunteer():
    return UserFactory(display_name="Ana Gutierrez", phone="(559) 555-0101",
                       emergency_contact_name="Luis Gutierrez",
                       emergency_contact_phone="(559) 555-0199")


@pytest.fixture
def shift():
    return make_shift(capacity=2, needed=1)


@pytest.fixture
def people():
    """One of each kind of person the permission tests ask about."""
    team = TeamFactory(name="Peoples Church Team")
    other_team = TeamFactory(name="Rotary Team", partner_organization="Rotary Club of Fresno")
    own_captain = captain()
    TeamMembershipFactory(team=team, user=own_captain, is_captain=True)
    other_captain = captain()
    TeamMembershipFactory(team=other_team, user=other_captain, is_captain=True)
    member = UserFactory(display_name="Member Person", phone="(559) 555-0111")
    TeamMembershipFactory(team=team, user=member)
    return {
        "team": team,
        "other_team": other_team,
        "own_captain": own_captain,
        "other_captain": other_captain,
        "member": member,
        "volunteer": UserFactory(display_name="Plain Volunteer"),
        "organizer": organizer(),
        "treasurer": treasurer(),
    }


# --- What is kept in Redis: the page copies and the person (test_page_copies, test_viewer_cache)


@pytest.fixture
def production_cache(settings, spare_redis):
    """The production cache on a redis-server of the test's own, with the person kept
    (volunteers.viewer_cache) as in production."""
    from config.cache import redis_cache

    settings.CACHES = {"default": redis_cache(spare_redis.url, retry_after=0.2)}
    settings.VIEWER_CACHE = True
    from django.core.cache import cache

    cache.clear()
    return spare_redis


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run a change's after-commit work (the version bumps) as a real commit would. The
    test's transaction never commits, and events.receivers adds a change to the after-commit
    work already pending, so what is pending is first run and forgotten, as if committed."""

    @contextmanager
    def committed():
        pending, connection.run_on_commit[:] = list(connection.run_on_commit), []
        for _savepoints, callback, _robust in pending:
            callback()
        with django_capture_on_commit_callbacks(execute=True):
            yield
        connection.run_on_commit[:] = []

    return committed


def log_in(client, person, commit) -> None:
    """Log in, and run what the login leaves for after its commit (its last_login stamp
    drops the person's kept entry), so that only the change a test makes follows."""
    client.force_login(person)
    with commit():
        pass
