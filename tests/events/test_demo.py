import pytest
from django.utils import timezone

from events.demo import seed_events
from events.models import Event, EventKind, EventSeries, Shift
from volunteers.demo import seed_people

pytestmark = pytest.mark.django_db


def test_seed_events_twice_returns_the_same_rows():
    people = seed_people()
    first = seed_events(people)
    counts = (Event.objects.count(), Shift.objects.count(), EventSeries.objects.count())

    second = seed_events(people)

    assert (Event.objects.count(), Shift.objects.count(), EventSeries.objects.count()) == counts
    assert {key: obj.pk for key, obj in first.items()} == {
        key: obj.pk for key, obj in second.items()}
    assert set(first) >= {"training", "drive", "meeting", "past_drive", "presentation", "series"}


def test_seed_events_meeting_series_is_the_fourth_tuesday_of_each_quarter():
    demo = seed_events(seed_people())

    series = demo["series"]
    occurrences = list(series.occurrences.order_by("starts_at"))
    assert len(occurrences) == 8  # this year and next
    for event in occurrences:
        start = timezone.localtime(event.starts_at)
        assert (start.month in (1, 4, 7, 10), start.weekday(), 22 <= start.day <= 28) == (
            True, 1, True)
        assert (start.hour, start.minute) == (9, 0)
        assert event.duration.total_seconds() == 90 * 60
    assert demo["meeting"].series == series
    assert demo["meeting"].starts_at >= timezone.now()
    assert demo["meeting"].visibility == Event.Visibility.MEMBERS


def test_seed_events_presentation_and_past_drive():
    demo = seed_events(seed_people())

    presentation, past, drive = demo["presentation"], demo["past_drive"], demo["drive"]
    assert (presentation.kind, presentation.rsvp_capacity) == (EventKind.AWARENESS, 80)
    assert presentation.status == Event.Status.PUBLISHED
    assert past.ends_at < timezone.now()
    assert past.shifts.count() == 6
    assert drive.duplicated_from == past
