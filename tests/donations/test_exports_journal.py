"""The accountant's CSV journal through the views: the rows not exported yet, a download that
records them so the next one never repeats them, earlier downloads again (the same file), one
drive or every drive, the accounting code from the event form, who may open it, and a query
count that does not grow with the rows."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from donations.exports import journal_export_create, journal_rows
from donations.models import JournalExport, JournalLine, MoneyAudit
from events.models import Event
from tests.donations.books_fixtures import banked, counted, deposited, second_world
from tests.donations.exports_fixtures import card_gift, full_books
from tests.donations.money_world import MoneyWorld
from tests.factories import captain

pytestmark = pytest.mark.django_db

JOURNAL = "/money/journal/"


@pytest.fixture
def world():
    world = MoneyWorld(buckets=3)
    world.event.accounting_code = "4010-FRESNO"
    world.event.save(update_fields=["accounting_code"])
    return world


def read_csv(response) -> list[dict]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def download(client, **data):
    return client.post(JOURNAL, data)


def test_journal_url_names_resolve():
    assert reverse("money_journal") == JOURNAL
    assert reverse("money_journal_export", args=[7]) == "/money/journal/7/"


# --- What the journal holds ----------------------------------------------------------------


def test_journal_download_has_one_row_per_money_record(client, world):
    books = full_books(world)
    client.force_login(world.tess)

    response = download(client)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="journal-')
    assert "no-store" in response["Cache-Control"]
    rows = read_csv(response)
    assert [(row["kind"], row["amount"]) for row in sorted(
        rows, key=lambda row: (row["kind"], row["record"]))] == sorted([
        ("adjustment", "3.00"), ("bank_adjustment", "-20.00"),
        ("bank_line", "287.75"), ("card", "100.00"), ("card", "25.00"),
        ("card_fee", "-3.20"), ("check", "50.00"), ("count", "120.00"), ("count", "45.50"),
        ("count", "87.25"), ("deposit", "307.75"), ("proceeds", "5.00"),
    ])
    assert {row["accounting_code"] for row in rows} == {"4010-FRESNO"}
    assert {row["date"] for row in rows} == {timezone.localdate().isoformat()}
    first = books.agreed[0]
    count_row = next(row for row in rows if row["record"] == f"count-{first.pk}")
    assert count_row == {
        "date": timezone.localdate().isoformat(), "accounting_code": "4010-FRESNO",
        "kind": "count", "amount": "120.00", "reference": f"sheet-{first.sheet_id}",
        "team": world.team.name, "site": world.site.name,
        "bucket": str(world.buckets[0].number),
        "description": f"Cash counted in {world.buckets[0]} (170.00 with its checks)",
        "record": f"count-{first.pk}",
    }
    check_row = next(row for row in rows if row["kind"] == "check")
    assert (check_row["bucket"], check_row["description"]) == (
        str(world.buckets[0].number), "Check from Payer 0")
    deposit_row = next(row for row in rows if row["kind"] == "deposit")
    assert (deposit_row["reference"], deposit_row["team"], deposit_row["bucket"]) == (
        "D-77", "", "")
    bank_row = next(row for row in rows if row["kind"] == "bank_line")
    assert bank_row["reference"] == books.match.bank_line.reference
    assert bank_row["description"] == "DEPOSIT (deposit slip D-77)"
    adjustment_row = next(row for row in rows if row["kind"] == "bank_adjustment")
    assert adjustment_row["bucket"] == str(world.buckets[2].number)
    assert adjustment_row["description"] == ("Counterfeit note removed: The bank removed a "
                                             "counterfeit $20 note.")
    card_rows = {row["reference"]: row for row in rows if row["kind"] == "card"}
    assert card_rows[books.cards[0].reference]["team"] == world.team.name
    assert card_rows[books.cards[1].reference]["team"] == ""
    fee_row = next(row for row in rows if row["kind"] == "card_fee")
    assert fee_row["description"] == f"Stripe's fee on the gift {books.cards[0].reference}"
    entry_row = next(row for row in rows if row["kind"] == "adjustment")
    assert entry_row["bucket"] == str(world.buckets[0].number)
    assert entry_row["description"] == ("Three $1 bills found in the bucket's lining. "
                                        f"(corrects the agreed count of {world.buckets[0]})")


def test_journal_counts_and_checks_add_up_to_the_agreed_count_without_double_booking(
        client, world):
    agreed = counted(world, 0, 2000, checks=(1500, 700))
    client.force_login(world.tess)

    rows = read_csv(download(client))

    assert sorted(row["amount"] for row in rows) == ["15.00", "20.00", "7.00"]
    assert sum(int(row["amount"].replace(".", "")) for row in rows) == agreed.total_cents


def test_journal_reads_checks_of_the_agreed_count_only(world):
    # Counts A and B each hold the check; the journal has it once.
    counted(world, 0, 1000, checks=(2500,))

    assert [row.kind for row in journal_rows()] == ["count", "check"]


def test_journal_leaves_a_deposit_out_until_it_is_matched_to_the_bank(world):
    deposit = deposited(world, [counted(world, 0, 1000)])

    assert [row.kind for row in journal_rows()] == ["count"]

    banked(deposit)

    assert sorted(row.kind for row in journal_rows()) == ["bank_line", "count", "deposit"]


def test_journal_leaves_out_odd_items_that_brought_nothing(world):
    from tests.donations.books_fixtures import proceeds_of

    agreed = counted(world, 0, 1000, odd=("A button",))
    proceeds_of(agreed.count.odd_items.get(), agreed, by=world.ann, amount_cents=0,
                how="no_value")

    assert [row.kind for row in journal_rows()] == ["count"]


def test_journal_text_that_looks_like_a_formula_is_quoted(client, world):
    world.team.name = "=HYPERLINK(1)"
    world.team.save(update_fields=["name"])
    counted(world, 0, 1000)
    card_gift(world, cents=1000, fee=50, team=world.team, reference="+cmd")
    client.force_login(world.tess)

    rows = read_csv(download(client))

    assert {row["team"] for row in rows} == {"'=HYPERLINK(1)"}
    assert {row["reference"] for row in rows if row["kind"] != "count"} == {"'+cmd"}
    assert sorted(row["amount"] for row in rows) == ["-0.50", "10.00", "10.00"]


def test_journal_text_is_in_the_coalition_language_whoever_downloads_it(client, world):
    books = full_books(world)
    world.tess.language = "es"
    world.tess.save(update_fields=["language"])
    client.force_login(world.tess)

    rows = read_csv(download(client))

    [row] = [row for row in rows if row["record"] == f"bank_adjustment-{books.adjustment.pk}"]
    assert row["description"].startswith("Counterfeit note removed: ")


# --- Exported rows are never repeated --------------------------------------------------------


def test_journal_download_records_its_rows_and_the_audit_line(client, world):
    full_books(world)
    client.force_login(world.tess)

    rows = read_csv(download(client))

    export = JournalExport.objects.get()
    assert (export.rows, export.by, export.event) == (12, world.tess, None)
    assert set(JournalLine.objects.filter(export=export).values_list("kind", "object_id")) == {
        (row["kind"], int(row["record"].rsplit("-", 1)[1])) for row in rows}
    line = MoneyAudit.objects.get(action="journal.exported")
    assert line.by == world.tess
    assert line.subject == f"Journal export {export.pk}: 12 rows"
    assert line.after["rows"] == 12
    assert line.after["count"] == 3


def test_journal_second_download_does_not_repeat_rows(client, world):
    full_books(world)
    client.force_login(world.tess)
    download(client)

    again = download(client)

    assert again.status_code == 302
    assert again["Location"] == JOURNAL
    assert JournalExport.objects.count() == 1
    page = client.get(JOURNAL)
    assert page.context["rows_count"] == 0
    assert "Nothing new to export: every row is already in an earlier download" in (
        page.content.decode())


def test_journal_next_download_holds_only_what_is_new(client, world):
    older = counted(world, 0, 1000)
    client.force_login(world.tess)
    first = read_csv(download(client))
    newer = counted(world, 1, 2500)
    gift = card_gift(world, cents=4000)

    second = read_csv(download(client))

    assert [row["record"] for row in first] == [f"count-{older.pk}"]
    assert sorted(row["record"] for row in second) == sorted(
        [f"count-{newer.pk}", f"card-{gift.pk}"])
    records = [row["record"] for row in first + second]
    assert len(records) == len(set(records)) == 3


def test_journal_earlier_download_is_the_same_file_again(client, world):
    full_books(world)
    client.force_login(world.tess)
    original = download(client).content
    export = JournalExport.objects.get()
    card_gift(world, cents=999)  # something new never leaks into the old file
    world.team.name = "Renamed since the download"  # names are as they were downloaded
    world.team.save()
    Event.objects.filter(pk=world.event.pk).update(accounting_code="CHANGED-1")

    again = client.get(reverse("money_journal_export", args=[export.pk]))

    assert again.status_code == 200
    assert again.content == original
    assert again["Content-Disposition"].startswith(
        f'attachment; filename="journal-{export.pk}-')


def test_journal_page_lists_earlier_downloads_with_their_links(client, world):
    counted(world, 0, 1000)
    client.force_login(world.tess)
    download(client)
    export = JournalExport.objects.get()

    body = client.get(JOURNAL).content.decode()

    assert reverse("money_journal_export", args=[export.pk]) in body
    assert f"Journal {export.pk} (CSV)" in body
    assert world.tess.name in body


def test_journal_of_one_drive_leaves_the_other_drives_rows_for_later(client, world):
    counted(world, 0, 1000)
    other = second_world(world)
    other_agreed = counted(other, 0, 3000)
    client.force_login(world.tess)

    rows = read_csv(download(client, event=world.event.pk))

    assert [row["amount"] for row in rows] == ["10.00"]
    assert JournalExport.objects.get().event == world.event
    assert [row.record for row in journal_rows()] == [f"count-{other_agreed.pk}"]
    page = client.get(JOURNAL, {"event": world.event.pk})
    assert page.context["rows_count"] == 0
    assert client.get(JOURNAL).context["rows_count"] == 1


def test_journal_preview_shows_the_rows_not_exported_yet(client, world):
    full_books(world)
    client.force_login(world.tess)

    response = client.get(JOURNAL, {"event": world.event.pk})

    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["rows_count"] == 12
    assert {entry["kind"]: entry["rows"] for entry in response.context["summary"]} == {
        "count": 3, "check": 1, "proceeds": 1, "card": 2, "card_fee": 1, "deposit": 1,
        "bank_line": 1, "bank_adjustment": 1, "adjustment": 1}
    assert "Download the journal (12 rows)" in body
    assert "4010-FRESNO" in body
    assert f'<input type="hidden" name="event" value="{world.event.pk}">' in body


def test_journal_with_an_unknown_drive_is_refused_at_the_field(client, world):
    counted(world, 0, 1000)
    client.force_login(world.tess)

    page = client.get(JOURNAL, {"event": 10**9})
    posted = client.post(JOURNAL, {"event": "nope"})

    assert page.status_code == 422
    assert posted.status_code == 422
    assert JournalExport.objects.count() == 0
    assert "Select a valid choice" in posted.content.decode()


# --- The accounting code on the event form -------------------------------------------------------


def test_organizer_sets_the_accounting_code_on_the_event_form(client, world):
    client.force_login(world.organizer)
    data = _event_form_data(world.event, accounting_code="  4020-CLOVIS ")

    response = client.post(reverse("organize_event_edit", args=[world.event.pk]), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    world.event.refresh_from_db()
    assert world.event.accounting_code == "4020-CLOVIS"
    form_page = client.get(reverse("organize_event_edit", args=[world.event.pk])).content
    assert b'name="accounting_code"' in form_page
    counted(world, 0, 1000)
    assert [row.accounting_code for row in journal_rows()] == ["4020-CLOVIS"]


def _event_form_data(event, **changes) -> dict:
    """What the organizer's event form posts back unchanged, with ``changes``."""
    def when(moment) -> str:
        return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")

    data = {
        "kind": event.kind, "title": event.title, "description": event.description,
        "starts_at": when(event.starts_at), "ends_at": when(event.ends_at),
        "venue_name": event.venue_name, "address": event.address,
        "visibility": event.visibility, "cancel_cutoff_hours": event.cancel_cutoff_hours,
        "reminder_hours": "24, 2",
    }
    data.update(changes)
    return data


# --- Who may open it --------------------------------------------------------------------------


def journal_urls(world):
    counted(world, 0, 1000)
    export = journal_export_create(by=world.ann)
    return [JOURNAL, reverse("money_journal_export", args=[export.pk])]


def test_journal_sends_anonymous_people_to_log_in(client, world):
    for address in journal_urls(world):
        response = client.get(address)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert client.post(JOURNAL).status_code == 302


@pytest.mark.parametrize("who", ["volunteer", "captain", "organizer"])
def test_journal_refuses_everyone_but_treasurers(client, world, who):
    person = captain() if who == "captain" else getattr(world, who)
    client.force_login(person)

    for address in journal_urls(world):
        assert client.get(address).status_code == 403
    counted(world, 1, 500)
    assert client.post(JOURNAL).status_code == 403
    assert JournalExport.objects.count() == 1


@pytest.mark.parametrize("who", ["tess", "superuser"])
def test_journal_opens_for_treasurers_and_superusers(client, world, who):
    client.force_login(getattr(world, who))

    for address in journal_urls(world):
        assert client.get(address).status_code == 200
    counted(world, 1, 500)
    assert client.post(JOURNAL).status_code == 200


# --- Queries ----------------------------------------------------------------------------------


def _page_queries(client, world) -> int:
    client.force_login(world.tess)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(JOURNAL).status_code == 200
    return len(queries)


def test_journal_page_queries_do_not_grow_with_the_rows(client):
    small = MoneyWorld(buckets=2)
    banked(deposited(small, [counted(small, index, 1000, checks=(500,)) for index in range(2)]))
    client.force_login(small.tess)
    download(client)
    card_gift(small, cents=100, fee=5)
    few = _page_queries(client, small)
    assert client.get(JOURNAL).context["rows_count"] == 2

    big = second_world(small, buckets=12)
    agreed = [counted(big, index, 1000 + index, checks=(500, 600)) for index in range(12)]
    banked(deposited(big, agreed[:6]))
    banked(deposited(big, agreed[6:]))
    for n in range(60):
        card_gift(big, cents=100 + n, fee=5)
    many = _page_queries(client, big)

    # 12 counts, 24 checks, 2 deposits and 2 bank lines, 61 gifts and their 61 fees.
    assert client.get(JOURNAL).context["rows_count"] == 12 + 24 + 4 + 61 * 2
    assert many == few
