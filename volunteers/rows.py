"""Model instances read by written-out SQL, as the ORM builds them, at a fraction of its cost.

The statements a sign-up runs every time (the shift it is for with its event, the locked
shift, the person's own sign-ups around it, the person's row on a form post) are written out
(``volunteers.services.signups``, ``selectors.shift_for_signup``); ``Model.objects.raw()``
then still worked out, for every row of every call, which column is which field, which
converters each needs and which columns are annotations: about 0.2 ms of CPU a statement on
the benchmark's machine, more than the statement itself. Here that is worked out once per
model and database (``_reader``): ``columns(Model, "alias")`` writes the select list (every
concrete column, in the order of the model's fields), and ``build`` turns the part of a row
it names into an instance, with each value through the converters the ORM applies
(``from_db_value``, and the backend's own) and ``Model.from_db`` as the ORM calls it, so
signals, ``_state`` and deferred fields are as after a query.

Several models can be read in one statement: each one's columns follow the other's, and
``build`` returns where the next begins. tests/volunteers/test_rows.py compares every field
with the ORM's, on SQLite and PostgreSQL.

``cursor()`` is the cursor these statements (and the sign-up's INSERT and the send step's
claim-and-mark) run on: on PostgreSQL it binds parameters on the server, so that each is
prepared once per connection; parsing and planning them was half of PostgreSQL's CPU per
sign-up (tests/volunteers/test_signup_statements.py)."""

import contextlib
import functools

from django.db import connection


@functools.lru_cache(maxsize=64)
def columns(model, alias: str) -> str:
    """The select list for ``model``'s concrete columns of table ``alias``, in field order."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


@functools.lru_cache(maxsize=64)
def _reader(model, vendor: str) -> tuple[tuple, list]:
    """The fields' attribute names and, by position, the converters the ORM would apply."""
    fields = model._meta.concrete_fields
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((index, column, tuple(found)))
    return tuple(field.attname for field in fields), converters


def build(model, row, start: int = 0):
    """The ``model`` instance in ``row`` from position ``start`` (columns as ``columns``
    writes them), and the position after its last column."""
    names, converters = _reader(model, connection.vendor)
    end = start + len(names)
    values = list(row[start:end])
    for index, column, found in converters:
        value = values[index]
        for converter in found:
            value = converter(value, column, connection)
        values[index] = value
    return model.from_db(connection.alias, names, values), end


def adapt(params) -> list:
    """Parameters as ``raw()`` passes them: adapted to the database as far as their own type
    tells (an aware datetime in UTC for SQLite, which compares text)."""
    return [connection.ops.adapt_unknown_value(value) for value in params]


@contextlib.contextmanager
def cursor():
    """Django's cursor (logged, wrapped and instrumented as any), but on PostgreSQL binding
    its parameters on the server, so that PostgreSQL prepares a statement run often on one
    connection (settings ``DATABASE_PREPARE_THRESHOLD``) instead of parsing and planning it
    each time. For the written-out statements of the sign-up path, whose parameters have
    plain types; everything else binds on the client, as Django does."""
    if connection.vendor != "postgresql":
        with connection.cursor() as found:
            yield found
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    # What connection.cursor() does (BaseDatabaseWrapper._cursor), with this cursor class.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = ServerBindingCursor(connection.connection)
    with connection._prepare_cursor(raw) as found:
        yield found


def fetch(model, sql: str, params, *, extra: tuple[str, ...] = ()) -> list:
    """Every row of ``sql`` (selecting ``columns(model, …)`` then ``extra`` columns, set as
    attributes of those names) as an instance of ``model``."""
    with cursor() as found:
        found.execute(sql, adapt(params))
        rows = found.fetchall()
    instances = []
    for row in rows:
        instance, end = build(model, row)
        for offset, name in enumerate(extra):
            setattr(instance, name, row[end + offset])
        instances.append(instance)
    return instances
