import datetime

import pytest
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
