"""The custody log is append-only in the database too: a trigger refuses UPDATE and DELETE of
custody rows, so no code path, admin action or shell session can hide a flagged seal or
rewrite who held a bucket. PostgreSQL only (production and CI): on SQLite, Django's test
teardown empties tables with DELETE, which such a trigger would refuse; PostgreSQL's
TRUNCATE is not a row operation."""

from django.db import migrations

MESSAGE = "custody rows are append-only: add a new step instead"

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION donations_custody_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER donations_custody_append_only
    BEFORE UPDATE OR DELETE ON donations_custodyevent
    FOR EACH ROW EXECUTE FUNCTION donations_custody_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS donations_custody_append_only ON donations_custodyevent;
DROP FUNCTION IF EXISTS donations_custody_append_only();
"""


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            return
        if isinstance(statements, str):
            statements = [statements]
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("donations", "0001_custody")]

    operations = [
        migrations.RunPython(
            run({"postgresql": POSTGRES_UP}),
            run({"postgresql": POSTGRES_DOWN}),
        ),
    ]
