"""Demo events for `manage.py seed_demo`, dated relative to today so they stay upcoming.
Safe to run twice: each event, shift and series is looked up before it is created."""

import datetime

from django.utils import timezone

from .models import Event, EventKind, EventSeries, Shift, ShiftRole
from .services import series_create

MEETING_TITLE = "Quarterly Coalition Meeting"


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def next_weekday(start: datetime.date, weekday: int, weeks_ahead: int = 0) -> datetime.date:
    days = (weekday - start.weekday()) % 7 or 7
    return start + datetime.timedelta(days=days + 7 * weeks_ahead)


def fill_spanish(obj, fields: dict) -> None:
    """Give a demo row seeded before it had Spanish text its ``*_es`` fields (only where
    they are still empty), so the Spanish demo shows them."""
    missing = [name for name, value in fields.items()
               if name.endswith("_es") and value and not getattr(obj, name)]
    if missing:
        for name in missing:
            setattr(obj, name, fields[name])
        obj.save(update_fields=missing)


def ensure_event(*, title: str, **fields) -> Event:
    event = Event.objects.filter(title=title, series__isnull=True).first()
    if event is None:
        event = Event.objects.create(title=title, **fields)
    else:
        fill_spanish(event, fields)
    return event


def ensure_shift(event: Event, *, role: str, starts_at, ends_at, **fields) -> Shift:
    shift = Shift.objects.filter(event=event, role=role, starts_at=starts_at).first()
    if shift is None:
        shift = Shift.objects.create(
            event=event, role=role, starts_at=starts_at, ends_at=ends_at, **fields
        )
    else:
        fill_spanish(shift, fields)
    return shift


SIDEWALK = "Stay on the sidewalk; never step into traffic."
SIDEWALK_ES = "Quédate en la banqueta; nunca te metas al tráfico."
BRING = "Closed-toe shoes, a hat, water and sunscreen."
BRING_ES = "Zapatos cerrados, gorra, agua y protector solar."


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
        title_es="Capacitación para voluntarios de la colecta con botes",
        description_es=(
            "Qué esperar en una intersección: la seguridad, las reglas de los botes sellados, "
            "cómo hablar de la trata de personas con los conductores y qué hacer si alguien "
            "te pide ayuda."
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
        title_es="Colecta con botes «Pledge 2 Stop Trafficking» — Fresno",
        description_es=(
            "Los voluntarios se colocan en intersecciones de Fresno y Clovis con botes de "
            "donación sellados. Cada dólar financia capacitaciones de concientización y "
            "servicios para sobrevivientes a través de nuestras organizaciones aliadas."
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
        what_to_bring=f"{BRING} Vests and buckets are provided.",
        what_to_bring_es=f"{BRING_ES} Nosotros te damos el chaleco y el bote.",
    )
    for start, end in [(7, 10), (10, 13), (13, 15), (15, 17)]:
        ensure_shift(
            drive, role=ShiftRole.COLLECTOR, starts_at=at(drive_day, start),
            ends_at=at(drive_day, end), needed=8, capacity=10, min_age=18,
            required_training=training,
            notes=SIDEWALK, notes_es=SIDEWALK_ES,
        )
    ensure_shift(drive, role=ShiftRole.SETUP, starts_at=at(drive_day, 6, 15),
                 ends_at=at(drive_day, 7, 15), needed=3, capacity=4)
    ensure_shift(drive, role=ShiftRole.COUNTER, starts_at=at(drive_day, 17),
                 ends_at=at(drive_day, 19), needed=2, capacity=4, min_age=18,
                 notes="Counted by two people; sealed buckets only.",
                 notes_es="Siempre cuentan dos personas; solo botes sellados.")
    past_drive = seed_past_drive(drive_day - datetime.timedelta(weeks=52), organizer)
    if drive.duplicated_from_id is None:
        drive.duplicated_from = past_drive
        drive.save(update_fields=["duplicated_from"])
    series = seed_meeting_series(today, organizer)
    meeting = (
        series.occurrences.filter(starts_at__gte=timezone.now()).order_by("starts_at").first()
        or series.occurrences.order_by("starts_at").last()
    )
    presentation_day = next_weekday(today, 2, weeks_ahead=1)  # a Wednesday evening
    presentation = ensure_event(
        title="Community Presentation: Trafficking Is Closer Than You Think",
        kind=EventKind.AWARENESS,
        description=(
            "A survivor-informed talk for parents, teachers and neighbors: how traffickers "
            "recruit online and at school, the warning signs, and how to report safely."
        ),
        title_es="Presentación comunitaria: la trata está más cerca de lo que crees",
        description_es=(
            "Una charla informada por sobrevivientes para madres, padres, docentes y vecinos: "
            "cómo reclutan los tratantes en internet y en la escuela, las señales de alerta y "
            "cómo denunciar de forma segura."
        ),
        venue_name="Clovis Veterans Memorial Building, Liberty Hall",
        address="808 4th St, Clovis, CA 93612",
        latitude="36.823800",
        longitude="-119.702600",
        starts_at=at(presentation_day, 18, 30),
        ends_at=at(presentation_day, 20, 0),
        status=Event.Status.PUBLISHED,
        rsvp_capacity=80,
        contact=people["organizers"][-1],
        created_by=organizer,
    )
    return {
        "training": training, "drive": drive, "meeting": meeting, "past_drive": past_drive,
        "presentation": presentation, "series": series,
    }


def seed_past_drive(day: datetime.date, organizer) -> Event:
    """Last year's drive, same Saturday a year back: its shifts are where the demo's
    check-ins and hours live, and this year's drive is its duplicate."""
    past_drive = ensure_event(
        title=f"Pledge 2 Stop Trafficking Bucket Drive — Fresno {day.year}",
        kind=EventKind.FUNDRAISER,
        description="Last year's drive: 120 volunteers at 14 intersections.",
        title_es=f"Colecta con botes «Pledge 2 Stop Trafficking» — Fresno {day.year}",
        description_es="La colecta del año pasado: 120 voluntarios en 14 intersecciones.",
        venue_name="Staging: Peoples Church parking lot",
        address="7172 N Cedar Ave, Fresno, CA 93720",
        latitude="36.837700",
        longitude="-119.753900",
        starts_at=at(day, 7, 0),
        ends_at=at(day, 17, 0),
        status=Event.Status.PUBLISHED,
        contact=organizer,
        created_by=organizer,
        what_to_bring=BRING,
        what_to_bring_es=BRING_ES,
    )
    for start, end in [(7, 10), (10, 13), (13, 15), (15, 17)]:
        ensure_shift(
            past_drive, role=ShiftRole.COLLECTOR, starts_at=at(day, start),
            ends_at=at(day, end), needed=8, capacity=10, min_age=18,
            notes=SIDEWALK, notes_es=SIDEWALK_ES,
        )
    ensure_shift(past_drive, role=ShiftRole.SETUP, starts_at=at(day, 6, 15),
                 ends_at=at(day, 7, 15), needed=3, capacity=4)
    ensure_shift(past_drive, role=ShiftRole.COUNTER, starts_at=at(day, 17),
                 ends_at=at(day, 19), needed=2, capacity=4, min_age=18)
    return past_drive


def seed_meeting_series(today: datetime.date, organizer) -> EventSeries:
    """The coalition meets on the fourth Tuesday of January, April, July and October,
    9:00-10:30 (as the Contra Costa County coalition does), this year and next."""
    spanish = {
        "title_es": "Reunión trimestral de la coalición",
        "description_es": ("Novedades de las organizaciones aliadas, informes de los comités y "
                           "planificación de la próxima colecta."),
    }
    series = EventSeries.objects.filter(title=MEETING_TITLE).first()
    if series is not None:
        fill_spanish(series, spanish)
        for occurrence in series.occurrences.all():
            fill_spanish(occurrence, spanish)
        return series
    return series_create(
        by=organizer,
        kind=EventKind.MEETING,
        title=MEETING_TITLE,
        description="Partner updates, committee reports and planning for the next drive.",
        **spanish,
        venue_name="Fresno EOC, Board Room",
        address="1920 Mariposa Mall, Fresno, CA 93721",
        visibility=Event.Visibility.MEMBERS,
        rrule=f"FREQ=MONTHLY;BYMONTH=1,4,7,10;BYDAY=4TU;UNTIL={today.year + 1}1231T235959",
        first_start=at(datetime.date(today.year, 1, 1), 9),
        duration=datetime.timedelta(minutes=90),
        publish=True,
        contact=organizer,
    )
