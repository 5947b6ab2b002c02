"""volunteers.rows: model instances from written-out SQL, as the ORM builds them. Every field
of a shift (with its site, team hold and training), its event (JSON, decimals, contact), a
sign-up and a person is the ORM's value, on SQLite and PostgreSQL; parameters are adapted as
``raw()`` adapts them (an aware datetime in another zone compares as the same instant)."""

import datetime
import decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from events.models import Event, Shift
from tests.factories import (
    EventFactory,
    ShiftFactory,
    SiteFactory,
    TeamFactory,
    UserFactory,
    organizer,
)
from volunteers import rows
from volunteers.models import Signup, User
from volunteers.services.signups import signup_create

pytestmark = pytest.mark.django_db


def same_as_the_orm(instance):
    model = type(instance)
    orm = model.objects.get(pk=instance.pk)
    assert not instance._state.adding and instance._state.db == connection.alias
    for field in model._meta.concrete_fields:
        mine, theirs = getattr(instance, field.attname), getattr(orm, field.attname)
        assert (type(mine), mine) == (type(theirs), theirs), field.attname


@pytest.fixture
def world():
    contact = organizer()
    event = EventFactory(contact=contact, latitude=decimal.Decimal("36.808123"),
                         longitude=decimal.Decimal("-119.772456"), reminder_offsets=[1440, 120],
                         what_to_bring="Water & a hat")
    training = EventFactory(title="Volunteer training")
    shift = ShiftFactory(event=event, site=SiteFactory(), held_for=TeamFactory(),
                         required_training=training, min_age=18, notes="North lot")
    person = UserFactory(date_of_birth=datetime.date(1990, 5, 17), phone="(559) 555-0100")
    signup = Signup.objects.create(shift=shift, volunteer=person, status="confirmed",
                                   hours_override=decimal.Decimal("2.50"),
                                   confirmed_at=datetime.datetime(2026, 12, 1, 7, 5,
                                                                  tzinfo=datetime.UTC))
    return {"event": event, "shift": shift, "person": person, "signup": signup}


@pytest.mark.parametrize("model, key", [(Event, "event"), (Shift, "shift"), (User, "person"),
                                        (Signup, "signup")])
def test_every_field_is_the_orms(world, model, key):
    table = model._meta.db_table
    (found,) = rows.fetch(model, f"SELECT {rows.columns(model, 't')} FROM {table} t "  # noqa: S608
                                 "WHERE t.id = %s", [world[key].pk])
    same_as_the_orm(found)


def test_several_models_and_extra_columns_in_one_row(world):
    sql = (f"SELECT {rows.columns(Shift, 's')}, {rows.columns(Event, 'e')}, 41 + 1 "  # noqa: S608
           "FROM events_shift s JOIN events_event e ON e.id = s.event_id WHERE s.id = %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [world["shift"].pk])
        row = cursor.fetchone()

    shift, end = rows.build(Shift, row)
    event, end = rows.build(Event, row, end)

    same_as_the_orm(shift)
    same_as_the_orm(event)
    assert row[end] == 42 and end == len(row) - 1


def test_an_aware_datetime_in_another_zone_is_the_same_instant(world):
    start = world["shift"].starts_at.astimezone(ZoneInfo("Asia/Tokyo"))
    sql = (f"SELECT {rows.columns(Shift, 's')} FROM events_shift s "  # noqa: S608
           "WHERE s.starts_at >= %s AND s.starts_at <= %s")

    assert [s.pk for s in rows.fetch(Shift, sql, [start, start])] == [world["shift"].pk]
    assert rows.fetch(Shift, sql, [start + datetime.timedelta(seconds=1)] * 2) == []


def test_the_sign_up_path_reads_the_same_shift_as_the_orm(world):
    from volunteers.selectors import shift_for_signup

    world["signup"].delete()
    shift = shift_for_signup(world["shift"].pk)

    same_as_the_orm(shift)
    same_as_the_orm(shift.event)
    assert shift.confirmed_count == 0
    assert shift_for_signup(10**9) is None
    person = UserFactory(date_of_birth=datetime.date(1990, 1, 1))
    world["shift"].held_for = None
    world["shift"].required_training = None
    world["shift"].save()
    assert signup_create(shift=shift_for_signup(world["shift"].pk), volunteer=person,
                         by=person).status == Signup.Status.CONFIRMED
