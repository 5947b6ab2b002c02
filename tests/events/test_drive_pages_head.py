"""The sites board and the drive-day view keep their heading and the organizer's header of the
event in the cache with the rest of the shared part: the same for every organizer, always the
event as it stands (however its row was written), and never for a draft, whose header carries
a form with the reader's own CSRF token."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from events.models import Event
from tests.factories import EventFactory, organizer, treasurer

pytestmark = pytest.mark.django_db

PAGES = {"site_board": "Sites board: ", "drive_day": "Drive day: "}


def opened(client, page, event):
    response = client.get(reverse(page, args=[event.pk]))
    assert response.status_code == 200
    return response


def heading(response) -> str:
    return re.search(r"<h1>(.*?)</h1>", response.content.decode()).group(1)


@pytest.mark.parametrize("page", PAGES)
def test_header_is_kept_for_every_organizer(page, django_assert_max_num_queries):
    event = EventFactory(title="Fresno Street Drive")
    first, second = Client(), Client()
    first.force_login(organizer())
    second.force_login(organizer())
    one = opened(first, page, event)

    with django_assert_max_num_queries(5):  # session, user, roles, event: nothing else
        other = opened(second, page, event)

    assert heading(other) == heading(one) == PAGES[page] + "Fresno Street Drive"
    assert f'href="{reverse("organize_event_edit", args=[event.pk])}"' in other.content.decode()


@pytest.mark.parametrize("page", PAGES)
def test_header_follows_the_event_row_however_it_was_written(client, page):
    event = EventFactory(title="Fresno Street Drive")
    client.force_login(organizer())
    opened(client, page, event)

    Event.objects.filter(pk=event.pk).update(title="Clovis Street Drive",
                                             status=Event.Status.CANCELLED)  # no signal
    after = opened(client, page, event)

    assert heading(after) == PAGES[page] + "Clovis Street Drive"
    assert '<span class="badge badge-cancelled">Cancelled</span>' in after.content.decode()


def test_drive_day_header_is_for_organizers_only(client):
    event = EventFactory()
    boss = Client()
    boss.force_login(organizer())
    assert f'href="{reverse("organize_event_edit", args=[event.pk])}"' in opened(
        boss, "drive_day", event).content.decode()
    client.force_login(treasurer())

    page = opened(client, "drive_day", event).content.decode()

    assert f'href="{reverse("organize_event_edit", args=[event.pk])}"' not in page


@pytest.mark.parametrize("page", PAGES)
def test_draft_header_carries_each_organizers_own_token(page):
    event = EventFactory(status=Event.Status.DRAFT)
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(organizer())
    second.force_login(organizer())
    opened(first, page, event)
    body = opened(second, page, event).content.decode()
    form = body.split(f'action="{reverse("organize_event_publish", args=[event.pk])}"',
                      1)[1].split("</form>", 1)[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)

    response = second.post(reverse("organize_event_publish", args=[event.pk]),
                           {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED
