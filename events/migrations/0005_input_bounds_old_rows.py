"""Rows saved before the forms bounded years (an event in year 9999 or year 1) are moved
inside what every layer can hold, so the next migration's check constraints can be added and
the organizer list and admin (which answered 500 for such a row on PostgreSQL) render again.
A cut-off beyond 60 days becomes 60 days; coordinates off the globe are removed.

Each such event becomes a draft on 30 December 2199 (its shifts with it), where organizers
see it and can correct or cancel it. ``update()`` never reads the rows, which psycopg could
not do for a time past 9999."""

import datetime

from django.db import migrations
from django.db.models import Q

FROM = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)
BEFORE = datetime.datetime(2201, 1, 1, tzinfo=datetime.UTC)
PARKED_START = datetime.datetime(2199, 12, 30, tzinfo=datetime.UTC)
PARKED_END = PARKED_START + datetime.timedelta(hours=1)


def outside(prefix: str = "") -> Q:
    return (Q(**{f"{prefix}starts_at__lt": FROM}) | Q(**{f"{prefix}starts_at__gte": BEFORE})
            | Q(**{f"{prefix}ends_at__lt": FROM}) | Q(**{f"{prefix}ends_at__gte": BEFORE}))


def park_out_of_range_rows(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    Shift = apps.get_model("events", "Shift")
    EventSeries = apps.get_model("events", "EventSeries")
    Shift.objects.filter(outside() | outside("event__")).update(
        starts_at=PARKED_START, ends_at=PARKED_END)
    Event.objects.filter(outside()).update(
        starts_at=PARKED_START, ends_at=PARKED_END, status="draft", occurrence_start=None)
    Event.objects.filter(
        Q(occurrence_start__lt=FROM) | Q(occurrence_start__gte=BEFORE)
    ).update(occurrence_start=None)
    Event.objects.filter(cancel_cutoff_hours__gt=60 * 24).update(cancel_cutoff_hours=60 * 24)
    Event.objects.filter(Q(latitude__lt=-90) | Q(latitude__gt=90)
                         | Q(longitude__lt=-180) | Q(longitude__gt=180)).update(
        latitude=None, longitude=None)
    EventSeries.objects.filter(
        Q(first_start__lt=FROM) | Q(first_start__gte=BEFORE)
    ).update(first_start=PARKED_START)


class Migration(migrations.Migration):
    dependencies = [("events", "0004_spanish_text")]

    operations = [migrations.RunPython(park_out_of_range_rows, migrations.RunPython.noop)]
