"""The books are append-only in the database too (PostgreSQL, production and CI).

- Final rows (counts and their lines, checks and odd items, count sheets, agreed counts,
  proceeds, bank matches and adjustments with their allocations, adjustment entries, the
  drive's reconciliation steps and their notes, the audit trail) refuse UPDATE and DELETE.
- A deposit may change until it is matched to a bank line and while its drive is not locked;
  its items may be removed (never edited) on the same terms. A bank line is never edited and
  may be removed only while unmatched.
- No new count, agreed count, proceeds, deposit, deposit item, match or bank adjustment may be
  written on a drive whose latest reconciliation step is "reconciled" (locked).

SQLite (the zero-setup default) has none of this: see migration 0002 for why."""

from django.db import migrations

FINAL = "money rows are final: record a correction as a new entry"
LOCKED = "this drive is reconciled and locked: record a correction as an adjustment entry"
MATCHED = "this deposit is matched to a bank line and can no longer change"

FINAL_TABLES = [
    "count", "countline", "countcheck", "odditem", "countsheet", "agreedcount",
    "odditemproceeds", "bankmatch", "bankadjustment", "adjustmentallocation",
    "drivemoneystep", "variancenote", "adjustmententry", "moneyaudit",
]
# Tables whose rows carry event_id: no insert on a locked drive.
LOCKED_INSERT_TABLES = [
    "countsheet", "count", "agreedcount", "odditemproceeds", "deposit", "bankmatch",
    "bankadjustment",
]

FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION donations_drive_locked(ev bigint) RETURNS boolean AS $$
    SELECT COALESCE((SELECT kind = 'reconciled' FROM donations_drivemoneystep
                     WHERE event_id = ev ORDER BY at DESC, id DESC LIMIT 1), false);
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION donations_money_final() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{FINAL}';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION donations_refuse_on_locked_drive() RETURNS trigger AS $$
BEGIN
    IF donations_drive_locked(NEW.event_id) THEN
        RAISE EXCEPTION '{LOCKED}';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION donations_deposit_guard() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM donations_bankmatch WHERE deposit_id = OLD.id) THEN
        RAISE EXCEPTION '{MATCHED}';
    END IF;
    IF donations_drive_locked(OLD.event_id) THEN
        RAISE EXCEPTION '{LOCKED}';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION donations_deposit_item_guard() RETURNS trigger AS $$
DECLARE
    ev bigint;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION '{FINAL}';
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT event_id INTO ev FROM donations_deposit WHERE id = NEW.deposit_id;
    ELSE
        SELECT event_id INTO ev FROM donations_deposit WHERE id = OLD.deposit_id;
    END IF;
    IF donations_drive_locked(ev) THEN
        RAISE EXCEPTION '{LOCKED}';
    END IF;
    IF EXISTS (SELECT 1 FROM donations_bankmatch
               WHERE deposit_id = COALESCE(NEW.deposit_id, OLD.deposit_id)) THEN
        RAISE EXCEPTION '{MATCHED}';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION donations_bank_line_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION '{FINAL}';
    END IF;
    IF EXISTS (SELECT 1 FROM donations_bankmatch WHERE bank_line_id = OLD.id) THEN
        RAISE EXCEPTION 'this bank line is matched to a deposit and can no longer change';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
"""


def _up() -> list[str]:
    statements = [FUNCTIONS]
    for table in FINAL_TABLES:
        statements.append(
            f"CREATE TRIGGER donations_{table}_final BEFORE UPDATE OR DELETE ON "
            f"donations_{table} FOR EACH ROW EXECUTE FUNCTION donations_money_final();"
        )
    for table in LOCKED_INSERT_TABLES:
        statements.append(
            f"CREATE TRIGGER donations_{table}_locked BEFORE INSERT ON donations_{table} "
            f"FOR EACH ROW EXECUTE FUNCTION donations_refuse_on_locked_drive();"
        )
    statements += [
        "CREATE TRIGGER donations_deposit_guard BEFORE UPDATE OR DELETE ON donations_deposit "
        "FOR EACH ROW EXECUTE FUNCTION donations_deposit_guard();",
        "CREATE TRIGGER donations_deposititem_guard BEFORE INSERT OR UPDATE OR DELETE ON "
        "donations_deposititem FOR EACH ROW EXECUTE FUNCTION donations_deposit_item_guard();",
        "CREATE TRIGGER donations_bankline_guard BEFORE UPDATE OR DELETE ON donations_bankline "
        "FOR EACH ROW EXECUTE FUNCTION donations_bank_line_guard();",
    ]
    return statements


def _down() -> list[str]:
    statements = []
    for table in FINAL_TABLES:
        statements.append(f"DROP TRIGGER IF EXISTS donations_{table}_final ON donations_{table};")
    for table in LOCKED_INSERT_TABLES:
        statements.append(
            f"DROP TRIGGER IF EXISTS donations_{table}_locked ON donations_{table};")
    statements += [
        "DROP TRIGGER IF EXISTS donations_deposit_guard ON donations_deposit;",
        "DROP TRIGGER IF EXISTS donations_deposititem_guard ON donations_deposititem;",
        "DROP TRIGGER IF EXISTS donations_bankline_guard ON donations_bankline;",
        "DROP FUNCTION IF EXISTS donations_bank_line_guard();",
        "DROP FUNCTION IF EXISTS donations_deposit_item_guard();",
        "DROP FUNCTION IF EXISTS donations_deposit_guard();",
        "DROP FUNCTION IF EXISTS donations_refuse_on_locked_drive();",
        "DROP FUNCTION IF EXISTS donations_money_final();",
        "DROP FUNCTION IF EXISTS donations_drive_locked(bigint);",
    ]
    return statements


def _run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements():
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("donations", "0004_money")]

    operations = [migrations.RunPython(_run(_up), _run(_down))]
