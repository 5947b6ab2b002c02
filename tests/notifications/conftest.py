import datetime
from decimal import Decimal

import pytest
from django.test.signals import template_rendered
from django.utils import timezone

from tests.factories import EventFactory, ShiftFactory, UserFactory, organizer


@pytest.fixture
def contact(db):
    person = organizer()
    person.display_name = "Marta Ruiz"
    person.phone = "(559) 555-0100"
    person.save()
    return person


@pytest.fixture
def event(contact):
    start = (timezone.now() + datetime.timedelta(days=5)).replace(minute=0, second=0,
                                                                 microsecond=0)
    return EventFactory(
        contact=contact,
        latitude=Decimal("36.837500"),
        longitude=Decimal("-119.772000"),
        what_to_bring="Water, a hat, sunscreen",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=10),
    )


@pytest.fixture
def shift(event):
    return ShiftFactory(event=event, starts_at=event.starts_at, capacity=2, needed=2)


@pytest.fixture
def volunteer(db):
    return UserFactory(display_name="Ana Gómez")


@pytest.fixture
def renders():
    """The names of the templates rendered while the test runs, in order."""
    names = []

    def note(sender, template, context, **kwargs):
        names.append(template.name)

    template_rendered.connect(note)
    yield names
    template_rendered.disconnect(note)
