"""Demo events for `manage.py seed_demo`, dated relative to today so they stay upcoming."""

import datetime

from django.utils import timezone

from .models import Event, EventKind, Shift, ShiftRole


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def next_weekday(start: datetime.date, weekday: int, weeks_ahead: int = 0) -> datetime.date:
    days = (weekday - start.weekday()) % 7 or 7
    return start + datetime.timedelta(days=days + 7 * weeks_ahead)


def ensure_event(*, title: str, **fields) -> Event:
    event = Event.objects.filter(title=title, series__isnull=True).first()
    if event is None:
        event = Event.objects.create(title=title, **fields)
    return event


def ensure_shift(event: Event, *, role: str, starts_at, ends_at, **fields) -> Shift:
    shift = Shift.objects.filter(event=event, role=role, starts_at=starts_at).first()
    if shift is None:
        shift = Shift.objects.create(
            event=event, role=role, starts_at=starts_at, ends_at=ends_at, **fields
        )
    return shift


def seed_events(people: dict) -> dict[str, Event]:
    today = timezone.localdate()
    organizer = people["organizers"][0]
    training_day = next_weekday(today, 3, weeks_ahead=0)  # a Thursday evening
    drive_day = next_weekday(today, 5, weeks_ahead=2)  # a Saturday
    training = ensure_event(
        title="Bucket Drive Volunteer Training",
        kind=EventKind.TRAINING,
        description=(
            "What to expect at an intersection: safety, the sealed-bucket rules, how to talk "
            "about trafficking with drivers, and what to do if someone asks for help."
        ),
        venue_name="Fresno Pacific University, Steinert Hall",
        address="1717 S Chestnut Ave, Fresno, CA 93702",
        latitude="36.725900",
        longitude="-119.738400",
        starts_at=at(training_day, 18, 30),
        ends_at=at(training_day, 20, 0),
        status=Event.Status.PUBLISHED,
        rsvp_capacity=60,
        contact=organizer,
        created_by=organizer,
    )
    drive = ensure_event(
        title="Pledge 2 Stop Trafficking Bucket Drive — Fresno",
        kind=EventKind.FUNDRAISER,
        description=(
            "Volunteers stand at Fresno and Clovis intersections with sealed donation buckets. "
            "Every dollar funds awareness trainings and survivor services through our partners."
        ),
        venue_name="Staging: Peoples Church parking lot",
        address="7172 N Cedar Ave, Fresno, CA 93720",
        latitude="36.837700",
        longitude="-119.753900",
        starts_at=at(drive_day, 7, 0),
        ends_at=at(drive_day, 17, 0),
        status=Event.Status.PUBLISHED,
        contact=organizer,
        created_by=organizer,
        what_to_bring=(
            "Closed-toe shoes, a hat, water and sunscreen. Vests and buckets are provided."
        ),
    )
    for start, end in [(7, 10), (10, 13), (13, 15), (15, 17)]:
        ensure_shift(
            drive, role=ShiftRole.COLLECTOR, starts_at=at(drive_day, start),
            ends_at=at(drive_day, end), needed=8, capacity=10, min_age=18,
            required_training=training,
            notes="Stay on the sidewalk; never step into traffic.",
        )
    ensure_shift(drive, role=ShiftRole.SETUP, starts_at=at(drive_day, 6, 15),
                 ends_at=at(drive_day, 7, 15), needed=3, capacity=4)
    ensure_shift(drive, role=ShiftRole.COUNTER, starts_at=at(drive_day, 17),
                 ends_at=at(drive_day, 19), needed=2, capacity=4, min_age=18,
                 notes="Counted by two people; sealed buckets only.")
    meeting_day = next_weekday(today, 1, weeks_ahead=3)
    meeting = ensure_event(
        title="Quarterly Coalition Meeting",
        kind=EventKind.MEETING,
        description="Partner updates, committee reports and planning for the next drive.",
        venue_name="Fresno EOC, Board Room",
        address="1920 Mariposa Mall, Fresno, CA 93721",
        starts_at=at(meeting_day, 9),
        ends_at=at(meeting_day, 10, 30),
        status=Event.Status.PUBLISHED,
        visibility=Event.Visibility.MEMBERS,
        contact=organizer,
        created_by=organizer,
    )
    return {"training": training, "drive": drive, "meeting": meeting}
