"""Card gifts, acknowledgments and the journal's record of what was exported are final on
PostgreSQL too: UPDATE and DELETE are refused, and no card gift is added to a drive whose books
are reconciled and locked (see 0005 for the books)."""

from django.db import migrations

TABLES = ["cardgift", "acknowledgment", "journalexport", "journalline"]


def _run(up: bool):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        if up:
            schema_editor.execute(
                "CREATE TRIGGER donations_cardgift_locked BEFORE INSERT ON donations_cardgift "
                "FOR EACH ROW EXECUTE FUNCTION donations_refuse_on_locked_drive();")
        else:
            schema_editor.execute(
                "DROP TRIGGER IF EXISTS donations_cardgift_locked ON donations_cardgift;")
        for table in TABLES:
            if up:
                schema_editor.execute(
                    f"CREATE TRIGGER donations_{table}_final BEFORE UPDATE OR DELETE ON "
                    f"donations_{table} FOR EACH ROW EXECUTE FUNCTION donations_money_final();")
            else:
                schema_editor.execute(
                    f"DROP TRIGGER IF EXISTS donations_{table}_final ON donations_{table};")

    return apply


class Migration(migrations.Migration):
    dependencies = [("donations", "0006_card_gifts_and_journal")]

    operations = [migrations.RunPython(_run(True), _run(False))]
