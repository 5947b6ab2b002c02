"""New rows of several tables written in one statement (one round trip to PostgreSQL).

A sign-up writes its row, its change record and its outbox messages together; through the ORM
that is three or four INSERTs, each compiled and sent on its own, while the shift is locked.
``insert_rows`` writes model instances as the ORM would (every concrete column, defaults and
``auto_now`` filled by the fields themselves) but, on PostgreSQL, as one statement of
data-modifying CTEs: ``WITH a AS (INSERT …), b AS (INSERT …) INSERT …``. Foreign keys are
checked at the commit (Django creates them ``DEFERRABLE INITIALLY DEFERRED``), so a row may
name one inserted beside it, as long as its primary key was chosen before (a sequence's
``nextval``). SQLite has no data-modifying CTEs: there each group is its own INSERT.

No signals are sent: the caller sends the ``post_save`` its receivers expect (see
``volunteers.services.signups``)."""

from django.db import connection

from .rows import cursor as rows_cursor


def insert_rows(*groups: tuple[list, bool]) -> None:
    """Insert each ``(instances, ignore_conflicts)`` group, in order. Instances of one group
    share a model; an instance whose primary key is None lets the database choose it (and
    does not learn it). ``ignore_conflicts`` skips rows that would break a unique
    constraint (ON CONFLICT DO NOTHING), as ``bulk_create(ignore_conflicts=True)`` does."""
    statements = [_insert(rows, ignore_conflicts) for rows, ignore_conflicts in groups if rows]
    if not statements:
        return
    with rows_cursor() as cursor:
        if connection.vendor == "postgresql" and len(statements) > 1:
            *firsts, (last_sql, last_params) = statements
            sql = "WITH " + ", ".join(f"q{n} AS ({part})" for n, (part, _) in enumerate(firsts))
            params = [value for _, part_params in firsts for value in part_params]
            cursor.execute(f"{sql} {last_sql}", params + last_params)
        else:
            for sql, params in statements:
                cursor.execute(sql, params)
    for rows, _ in groups:
        for row in rows:
            row._state.adding = False
            row._state.db = connection.alias


def _insert(rows: list, ignore_conflicts: bool) -> tuple[str, list]:
    meta = rows[0]._meta
    with_pk = rows[0].pk is not None
    fields = [field for field in meta.concrete_fields if with_pk or not field.primary_key]
    quote = connection.ops.quote_name
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = []
    for row in rows:
        if (row.pk is not None) != with_pk:
            raise ValueError("Rows of one group either all carry a primary key or none does.")
        params.extend(field.get_db_prep_save(field.pre_save(row, True), connection)
                      for field in fields)
    # Names from the model's own metadata, values as parameters.
    sql = (f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608
           f"({', '.join(quote(field.column) for field in fields)}) "
           f"VALUES {', '.join([placeholders] * len(rows))}")
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    return sql, params
