"""A big bucket drive: 300 shifts, about a thousand sign-ups. Pages must not run more
queries as rows grow, and the detail page must stay small enough for a phone."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Event, EventKind, Shift, ShiftRole
from tests.factories import EventFactory, UserFactory, organizer
from volunteers.models import Signup, User

pytestmark = pytest.mark.django_db

CORNERS = [
    "Herndon & Blackstone", "Shaw & Cedar", "Shaw & Blackstone", "Herndon & Willow",
    "Nees & Blackstone", "Bullard & First", "Ashlan & Cedar", "Shields & Chestnut",
    "Kings Canyon & Clovis", "Clovis & Shaw", "Herndon & Fowler", "Friant & Shepherd",
    "Palm & Herndon", "Fresno & Shaw", "Blackstone & Olive", "Ventura & Chestnut",
    "Peach & Kings Canyon", "Cedar & Nees", "Willow & Nees", "First & Shields",
    "Marks & Shaw", "West & Herndon", "Brawley & Shaw", "Polk & Herndon",
    "Milburn & Bullard", "Fowler & Ashlan", "Temperance & Shaw", "Minnewawa & Herndon",
    "Sunnyside & Kings Canyon", "Maple & Shields",
]
SLOTS = [(7, 8), (8, 9), (9, 10), (10, 11), (11, 12), (12, 13), (13, 14), (14, 15),
         (15, 16), (16, 17)]


def at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def big_drive():
    """300 collector shifts at 30 corners, 3 confirmed on each, 1 waiting on every fifth,
    and a volunteer holding places on 12 of them."""
    day = timezone.localdate() + datetime.timedelta(days=10)
    training = EventFactory(kind=EventKind.TRAINING, title="Bucket Drive Volunteer Training")
    drive = EventFactory(
        title="Pledge 2 Stop Trafficking Bucket Drive — Fresno",
        description="Volunteers stand at Fresno and Clovis intersections with sealed buckets.",
        what_to_bring="Closed-toe shoes, a hat, water and sunscreen.",
        starts_at=at(day, 6), ends_at=at(day, 19),
    )
    Shift.objects.bulk_create(
        Shift(event=drive, role=ShiftRole.COLLECTOR, title=corner, starts_at=at(day, start),
              ends_at=at(day, end), needed=3, capacity=4, min_age=18,
              required_training=training,
              notes="Stay on the sidewalk; never step into traffic." if n % 3 == 0 else "")
        for n, corner in enumerate(CORNERS) for start, end in SLOTS
    )
    shifts = list(drive.shifts.order_by("pk"))
    User.objects.bulk_create(
        User(email=f"crowd{n}@example.org", display_name=f"Volunteer {n}") for n in range(160)
    )
    crowd = list(User.objects.filter(email__startswith="crowd").order_by("pk"))
    now = timezone.now()
    signups = []
    for index, shift in enumerate(shifts):
        for k in range(3):
            volunteer = crowd[(index * 3 + k) % len(crowd)]
            signups.append(Signup(shift=shift, volunteer=volunteer,
                                  status=Signup.Status.CONFIRMED, confirmed_at=now))
        if index % 5 == 0:
            signups.append(Signup(shift=shift, volunteer=crowd[(index * 3 + 3) % len(crowd)],
                                  status=Signup.Status.WAITLISTED, waitlisted_at=now))
    me = UserFactory()
    for index in range(1, 300, 25):
        status = Signup.Status.WAITLISTED if index % 2 else Signup.Status.CONFIRMED
        signups.append(Signup(shift=shifts[index], volunteer=me, status=status,
                              confirmed_at=now, waitlisted_at=now))
    Signup.objects.bulk_create(signups, ignore_conflicts=True)
    return drive, me


@pytest.mark.parametrize("viewer", ["anonymous", "volunteer", "organizer"])
def test_event_detail_with_300_shifts_has_constant_queries_and_stays_small(
    client, big_drive, django_assert_max_num_queries, viewer
):
    drive, me = big_drive
    if viewer == "volunteer":
        client.force_login(me)
    elif viewer == "organizer":
        client.force_login(organizer())

    with django_assert_max_num_queries(8):
        response = client.get(reverse("event_detail", args=[drive.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<li id="shift-') == 300
    assert "Herndon &amp; Blackstone" in html
    print(f"\n{viewer}: {len(response.content)} bytes")
    assert len(response.content) < 150 * 1024


def test_event_list_with_many_events_has_constant_queries(client, django_assert_max_num_queries):
    start = timezone.now() + datetime.timedelta(days=1)
    Event.objects.bulk_create(
        Event(kind=EventKind.AWARENESS, title=f"Presentation {n}",
              venue_name="Clovis Veterans Memorial Building",
              starts_at=start + datetime.timedelta(days=n),
              ends_at=start + datetime.timedelta(days=n, hours=2), status=Event.Status.PUBLISHED)
        for n in range(150)
    )
    client.force_login(UserFactory())

    with django_assert_max_num_queries(6):
        response = client.get(reverse("event_list"))
    with django_assert_max_num_queries(6):
        home = client.get(reverse("home"))

    assert len(response.context["page"].object_list) == 30
    assert len(home.context["upcoming"]) == 6


def test_organizer_pages_with_many_rows_have_constant_queries(
    client, big_drive, django_assert_max_num_queries
):
    drive, _me = big_drive
    client.force_login(organizer())

    with django_assert_max_num_queries(8):
        shifts = client.get(reverse("organize_event_shifts", args=[drive.pk]))
    with django_assert_max_num_queries(8):
        listing = client.get(reverse("organize_event_list"))

    assert shifts.content.decode().count(reverse("organize_shift_edit", args=[0])[:-2]) >= 300
    assert listing.status_code == 200
