import pytest
from django.urls import reverse

from events.models import Event, EventSeries
from tests.events.conftest import ROLES
from tests.factories import EventFactory, ShiftFactory

pytestmark = pytest.mark.django_db

EXPECTED = {"anonymous": 302, "volunteer": 403, "captain": 403, "treasurer": 403}


def organizer_pages() -> list[tuple[str, str, str]]:
    """(method, url, name) for every organizer page, against fresh rows."""
    event = EventFactory(status=Event.Status.DRAFT)
    shift = ShiftFactory(event=event)
    series = EventSeries.objects.create(
        kind=event.kind, title="Meeting", rrule="FREQ=MONTHLY", first_start=event.starts_at,
        duration=event.duration,
    )
    return [
        ("get", reverse("organize_event_list"), "list"),
        ("get", reverse("organize_event_create"), "create"),
        ("get", reverse("organize_event_edit", args=[event.pk]), "edit"),
        ("post", reverse("organize_event_publish", args=[event.pk]), "publish"),
        ("get", reverse("organize_event_cancel", args=[event.pk]), "cancel"),
        ("post", reverse("organize_event_cancel", args=[event.pk]), "cancel-post"),
        ("get", reverse("organize_event_duplicate", args=[event.pk]), "duplicate"),
        ("get", reverse("organize_event_shifts", args=[event.pk]), "shifts"),
        ("get", reverse("organize_shift_edit", args=[shift.pk]), "shift-edit"),
        ("get", reverse("organize_shift_cancel", args=[shift.pk]), "shift-cancel"),
        ("post", reverse("organize_shift_cancel", args=[shift.pk]), "shift-cancel-post"),
        ("get", reverse("organize_series_create"), "series-create"),
        ("get", reverse("organize_series_detail", args=[series.pk]), "series"),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_organizer_pages_are_for_organizers_only(client, login_as, role):
    pages = organizer_pages()
    login_as(role)

    for method, url, name in pages:
        response = getattr(client, method)(url)
        if role == "organizer":
            assert response.status_code == (302 if method == "post" else 200), name
        else:
            assert response.status_code == EXPECTED[role], name
            if role == "anonymous":
                assert response["Location"].startswith(reverse("account_login")), name

    changed = Event.objects.get()
    assert (changed.status != Event.Status.DRAFT) == (role == "organizer")


@pytest.mark.parametrize("role", ROLES)
def test_public_pages_answer_everyone(client, login_as, role):
    event = EventFactory()
    login_as(role)

    assert client.get(reverse("event_list")).status_code == 200
    assert client.get(reverse("event_detail", args=[event.pk])).status_code == 200
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_can_see_event_rule_agrees_with_the_visible_events_selector(login_as, role):
    from django.contrib.auth.models import AnonymousUser

    from events.rules import can_see_event
    from events.selectors import visible_events

    events = [
        EventFactory(**fields) for fields in (
            {}, {"status": Event.Status.DRAFT}, {"status": Event.Status.CANCELLED},
            {"visibility": Event.Visibility.MEMBERS},
            {"visibility": Event.Visibility.MEMBERS, "status": Event.Status.DRAFT},
        )
    ]
    user = login_as(role) or AnonymousUser()

    visible = set(visible_events(user=user).values_list("pk", flat=True))
    assert {event.pk for event in events if can_see_event(user, event)} == visible
