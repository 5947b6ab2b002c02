import datetime

import pytest
from django.utils import timezone

from tests.factories import UserFactory, captain, organizer, treasurer

ROLES = ("anonymous", "volunteer", "captain", "organizer", "treasurer")


def local(year, month, day, hour=0, minute=0) -> datetime.datetime:
    """An aware datetime in the coalition's time zone (America/Los_Angeles)."""
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute))


def field_value(moment: datetime.datetime) -> str:
    """How a ``datetime-local`` input sends a time: local wall time, no zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def person(role: str):
    return {
        "volunteer": UserFactory,
        "captain": captain,
        "organizer": organizer,
        "treasurer": treasurer,
    }[role]()


@pytest.fixture
def login_as(client):
    """Log the test client in as a new person with ``role`` ("anonymous" stays out)."""

    def login(role: str):
        if role == "anonymous":
            return None
        user = person(role)
        client.force_login(user)
        return user

    return login


@pytest.fixture
def organizer_client(client):
    client.user = organizer()
    client.force_login(client.user)
    return client


def field_errors(response, field: str) -> list[str]:
    form = response.context["form"]
    return list(form.errors.get(field, []))
