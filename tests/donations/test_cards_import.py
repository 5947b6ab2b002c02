"""The processor's CSV import for card and online gifts: each preset reads its processor's
export, codes are read from custom fields and free text, bad rows are reported with their row
and column and nothing is saved, a reference already imported is refused, an unknown code is
imported unattributed, and the import counts toward the team and the drive's totals."""

import datetime
import io

import pytest
from django.utils import timezone

from donations.card_csv import (
    CardImportError,
    card_import_commit,
    card_import_preview,
    default_days,
    guess_mapping,
    language_of,
    parse_gift_time,
    read_card_csv,
)
from donations.ledger import MoneyError
from donations.models import CardGift, CardImport, DriveMoneyStep, MoneyAudit
from donations.totals import drive_totals
from tests.donations.cards_fixtures import (
    SITE_CODE,
    TEAM_CODE,
    givebutter_csv,
    other_csv,
    past_world,
    paypal_csv,
    square_csv,
    stripe_csv,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return past_world()


class Upload(io.BytesIO):
    def __init__(self, text: str | bytes, name: str = "payments.csv"):
        super().__init__(text.encode() if isinstance(text, str) else text)
        self.name = name
        self.size = len(self.getvalue())


def read(text: str):
    return read_card_csv(Upload(text))


def mapping_for(world, text: str, processor: str, **changes) -> tuple[list, list, dict]:
    headers, rows = read(text)
    mapping = guess_mapping(headers, rows, processor=processor)
    since, until = default_days(world.event)
    mapping.update({"since": since.isoformat(), "until": until.isoformat(), **changes})
    return headers, rows, mapping


def preview_of(world, text: str, processor: str = "stripe", **changes):
    headers, rows, mapping = mapping_for(world, text, processor, **changes)
    return card_import_preview(event=world.event, headers=headers, rows=rows, mapping=mapping)


def commit(world, text: str, processor: str = "stripe", *, skip_known=False, **changes):
    headers, rows, mapping = mapping_for(world, text, processor, **changes)
    return card_import_commit(event=world.event, file_name="payments.csv", headers=headers,
                              rows=rows, mapping=mapping, by=world.ann, skip_known=skip_known)


# --- The presets read their processor's export -------------------------------------------


def test_stripe_preset_guesses_every_column_of_stripes_export(world):
    headers, rows = read(stripe_csv(world.day))

    mapping = guess_mapping(headers, rows, processor="stripe")

    named = {key: headers[mapping[key]] for key in ("reference", "amount", "refunded", "fee",
                                                    "date", "status", "currency", "email",
                                                    "donor_name", "code")}
    assert named == {"reference": "id", "amount": "Amount", "refunded": "Amount Refunded",
                     "fee": "Fee", "date": "Created (UTC)", "status": "Status",
                     "currency": "Currency", "email": "Customer Email",
                     "donor_name": "Card Name", "code": "code (metadata)"}
    assert (mapping["date_format"], mapping["decimal"], mapping["times"]) == ("ymd", ".", "utc")


def test_stripe_export_previews_paid_gifts_with_their_team_site_or_none(world):
    preview = preview_of(world, stripe_csv(world.day))

    assert preview.errors == []
    gifts = {gift.reference: gift for gift in preview.gifts}
    assert sorted(gifts) == ["ch_3PaaA1", "ch_3PaaA2", "ch_3PaaA3", "ch_3PaaA6"]
    assert (gifts["ch_3PaaA1"].amount_cents, gifts["ch_3PaaA1"].fee_cents) == (2_500, 103)
    assert gifts["ch_3PaaA1"].team_id == world.team.pk
    assert gifts["ch_3PaaA2"].site_id == world.site.pk and gifts["ch_3PaaA2"].team_id is None
    assert gifts["ch_3PaaA2"].donor_email == "bo@example.org"
    assert gifts["ch_3PaaA3"].holder is None and gifts["ch_3PaaA3"].code == "ZZZ-99"
    assert gifts["ch_3PaaA6"].amount_cents == 1_500  # $20 less $5 refunded
    assert gifts["ch_3PaaA1"].given_at == datetime.datetime.combine(
        world.day, datetime.time(17, 0), tzinfo=datetime.UTC)
    assert sorted(preview.skipped) == [(5, "status “Failed”"), (6, "status “Refunded”")]
    assert preview.processor == "Stripe"
    assert preview.total_cents == 2_500 + 30_000 + 1_000 + 1_500


def test_paypal_export_reads_custom_number_note_and_passes_over_money_out(world):
    preview = preview_of(world, paypal_csv(world.day), "paypal")

    assert preview.errors == []
    first, second = preview.gifts
    assert (first.reference, first.amount_cents, first.fee_cents) == (
        "7XY12345AB678901C", 125_000, 3_655)
    assert first.team_id == world.team.pk and first.donor_name == "Dee Giver"
    assert first.given_at == timezone.make_aware(
        datetime.datetime.combine(world.day, datetime.time(10, 15, 22)))
    assert second.site_id == world.site.pk and second.code == SITE_CODE
    assert [why for _row, why in preview.skipped] == ["type “General Withdrawal”",
                                                      "type “Payment Refund”"]


def test_square_export_reads_dollar_signs_negative_fees_and_a_spaced_code(world):
    preview = preview_of(world, square_csv(world.day), "square")

    assert preview.errors == []
    first, second = preview.gifts
    assert (first.reference, first.amount_cents, first.fee_cents) == ("sqTx1", 2_000, 88)
    assert first.team_id == world.team.pk and first.code == TEAM_CODE
    assert second.holder is None and second.code == ""


def test_givebutter_export_joins_first_and_last_names_and_drops_a_bad_email(world):
    preview = preview_of(world, givebutter_csv(world.day), "givebutter")

    assert preview.errors == []
    first, second = preview.gifts
    assert first.donor_name == "Flor Núñez" and first.team_id == world.team.pk
    assert second.donor_email == "" and second.holder is None
    assert preview.notes == [(3, "“gus@example” is not an email address: the gift is "
                                 "imported without it.")]


def test_other_processor_uses_common_names_its_typed_name_and_the_language(world):
    preview = preview_of(world, other_csv(world.day), "other", processor_name="  Benevity ")

    assert preview.errors == []
    (only,) = preview.gifts
    assert (only.reference, only.amount_cents, only.fee_cents) == ("BNV-0001", 7_500, 250)
    assert only.team_id == world.team.pk and only.donor_language == "es"
    assert preview.processor == "Benevity"


def test_other_processor_without_a_name_is_refused_at_the_name(world):
    with pytest.raises(MoneyError) as refused:
        preview_of(world, other_csv(world.day), "other")

    assert refused.value.field == "processor_name"


# --- Bad rows, wrong columns, duplicates ---------------------------------------------------


def test_every_bad_row_is_reported_with_its_row_and_column(world):
    rows = [
        ("ch_ok", "Donation", "25.00", "0", "usd", "1.03", "Paid", "", "", TEAM_CODE),
        ("ch_bad_amount", "Donation", "12.3x", "0", "usd", "0.50", "Paid", "", "", ""),
        ("", "Donation", "5.00", "0", "usd", "0.30", "Paid", "", "", ""),
        ("ch_big_fee", "Donation", "5.00", "0", "usd", "6.00", "Paid", "", "", ""),
        ("ch_euro", "Donation", "5.00", "0", "eur", "0.30", "Paid", "", "", ""),
        ("ch_ok", "Donation", "25.00", "0", "usd", "1.03", "Paid", "", "", TEAM_CODE),
    ]
    preview = preview_of(world, stripe_csv(world.day, rows))

    assert [(row, column) for row, column, _message in preview.errors] == [
        (3, "E: Amount"), (4, "A: id"), (5, "I: Fee"), (6, "G: Currency"), (7, "A: id")]
    messages = [message for _row, _column, message in preview.errors]
    assert messages[0] == "“12.3x” is not an amount of money."
    assert messages[1].startswith("The processor's reference is missing")
    assert messages[2] == "The fee ($6.00) is more than the gift ($5.00)."
    assert messages[3].startswith("This gift is in EUR.")
    assert messages[4].startswith("The reference ch_ok is also on row 2.")


def test_commit_with_a_bad_row_saves_nothing_and_lists_every_row(world):
    rows = [
        ("ch_ok", "Donation", "25.00", "0", "usd", "1.03", "Paid", "", "", TEAM_CODE),
        ("ch_bad", "Donation", "lots", "0", "usd", "0.50", "Paid", "", "", ""),
        ("ch_ok2", "Donation", "5.00", "0", "usd", "0.30", "Paid", "", "", ""),
    ]
    with pytest.raises(CardImportError) as refused:
        commit(world, stripe_csv(world.day, rows))

    assert [row for row, _c, _m in refused.value.errors] == [3]
    assert not CardGift.objects.exists() and not CardImport.objects.exists()
    assert not MoneyAudit.objects.filter(action="card_import.imported").exists()


def test_a_column_that_holds_no_amounts_is_refused_at_that_column(world):
    headers, rows, mapping = mapping_for(world, stripe_csv(world.day), "stripe")
    mapping["amount"] = headers.index("Description")

    with pytest.raises(MoneyError) as refused:
        card_import_preview(event=world.event, headers=headers, rows=rows, mapping=mapping)

    assert refused.value.field == "amount"
    assert refused.value.message.startswith("Column B: Description does not hold amounts")


def test_a_file_without_a_reference_column_is_refused_at_the_reference(world):
    text = "Date,Amount,Name\n" f"{world.day:%Y-%m-%d},25.00,Ana\n"

    with pytest.raises(MoneyError) as refused:
        preview_of(world, text, "other")

    assert refused.value.field == "reference"


def test_rows_dated_outside_the_chosen_days_are_passed_over(world):
    earlier = world.day - datetime.timedelta(days=40)
    text = stripe_csv(earlier, [("ch_old", "Donation", "25.00", "0", "usd", "1", "Paid", "",
                                 "", TEAM_CODE)])

    preview = preview_of(world, text)

    assert preview.gifts == [] and len(preview.skipped) == 1
    assert preview.skipped[0][1].startswith("dated before")


def test_a_gift_dated_in_the_future_is_a_row_error(world):
    later = timezone.localdate() + datetime.timedelta(days=5)
    text = stripe_csv(later, [("ch_future", "Donation", "25.00", "0", "usd", "1", "Paid", "",
                               "", TEAM_CODE)])

    preview = preview_of(world, text, until=(later + datetime.timedelta(days=1)).isoformat())

    assert preview.errors[0][:2] == (2, "D: Created (UTC)")
    assert preview.errors[0][2].endswith(
        " is in the future. Is the date format right (YYYY-MM-DD)?")


def test_a_reference_already_imported_is_refused_unless_passed_over(world):
    commit(world, stripe_csv(world.day, [("ch_3PaaA1", "Donation", "25.00", "0", "usd",
                                          "1.03", "Paid", "", "", TEAM_CODE)]))

    with pytest.raises(CardImportError) as refused:
        commit(world, stripe_csv(world.day))
    assert [row for row, _c, _m in refused.value.errors] == [2]
    assert refused.value.errors[0][2].startswith(
        "This gift is already in Rally: Stripe ch_3PaaA1, imported on")
    assert CardGift.objects.count() == 1

    commit(world, stripe_csv(world.day), skip_known=True)

    assert CardGift.objects.count() == 4
    assert CardGift.objects.filter(reference="ch_3PaaA1").count() == 1


def test_the_same_reference_from_another_processor_is_another_gift(world):
    text = other_csv(world.day).replace("BNV-0001", "ch_3PaaA1")
    commit(world, stripe_csv(world.day))

    commit(world, text, "other", processor_name="Benevity")

    assert CardGift.objects.filter(reference="ch_3PaaA1").count() == 2


def test_other_processor_typed_differently_is_the_same_processor(world):
    commit(world, other_csv(world.day), "other", processor_name="Benevity")

    with pytest.raises(CardImportError):
        commit(world, other_csv(world.day), "other", processor_name="BENEVITY")

    assert CardGift.objects.get().processor == "Benevity"


def test_other_named_like_a_preset_is_that_preset(world):
    preview = preview_of(world, stripe_csv(world.day), "other", processor_name="stripe",
                         times="utc")

    assert preview.processor == "Stripe"


# --- The import --------------------------------------------------------------------------


def test_commit_saves_every_gift_with_its_attribution_and_an_audit_line(world):
    done = commit(world, stripe_csv(world.day))

    gifts = {gift.reference: gift for gift in CardGift.objects.all()}
    assert done.rows == 4 and done.processor == "Stripe" and done.event == world.event
    assert gifts["ch_3PaaA1"].team == world.team and gifts["ch_3PaaA1"].site is None
    assert gifts["ch_3PaaA2"].site == world.site and gifts["ch_3PaaA2"].team is None
    assert gifts["ch_3PaaA3"].team is None and gifts["ch_3PaaA3"].site is None
    assert gifts["ch_3PaaA3"].code == "ZZZ-99"
    assert all(gift.card_import == done and gift.entered_by == world.ann
               for gift in gifts.values())
    line = MoneyAudit.objects.get(action="card_import.imported")
    assert line.event_id == world.event.pk and line.by == world.ann
    assert line.after["gifts"] == 4 and line.after["total_cents"] == 35_000
    assert line.after["unattributed"] == [{"row": 4, "reference": "ch_3PaaA3",
                                           "code": "ZZZ-99"}]
    assert done.mapping["columns"]["code"] == "code (metadata)"


def test_imported_gifts_count_toward_the_team_site_and_drive_totals(world):
    commit(world, stripe_csv(world.day))

    totals = drive_totals(world.event)

    assert totals.card_cents == 35_000 and totals.card_gifts == 4
    assert totals.unattributed_card_cents == 1_000
    team = next(line for line in totals.by_team if line.key == world.team.pk)
    site = next(line for line in totals.by_site if line.key == world.site.pk)
    assert team.card_cents == 2_500 + 1_500 and site.card_cents == 30_000
    assert sum(line.total_cents for line in totals.by_team) == totals.total_raised_cents


def test_import_on_a_reconciled_drive_is_refused(world):
    DriveMoneyStep.objects.create(event=world.event, kind="reconciled", by=world.tess)

    with pytest.raises(MoneyError) as refused:
        commit(world, stripe_csv(world.day))

    assert "reconciled and locked" in refused.value.message
    assert not CardGift.objects.exists()


def test_a_file_of_nothing_but_payouts_has_nothing_to_import(world):
    text = stripe_csv(world.day, [("ch_x", "Payout", "-25.00", "0", "usd", "0", "Paid", "",
                                   "", "")])

    with pytest.raises(CardImportError) as refused:
        commit(world, text)

    assert refused.value.errors == [(None, None,
                                     "There is no new gift to import in this file.")]


# --- Reading the file --------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "message"), [
    (b"", "The file is empty."),
    (b"only one column\nvalue\n", "Rally found only one column in this file."),
    (b"id,Amount\n", "The file has column names but no rows below them."),
    (b"\x00\x01\x02binary,\x00stuff\n\x00", "This is not a CSV file."),
])
def test_files_that_are_no_export_are_refused(raw, message):
    with pytest.raises(CardImportError) as refused:
        read_card_csv(Upload(raw))

    assert refused.value.message.startswith(message)


def test_a_semicolon_file_in_windows_1252_with_a_summary_line_is_read():
    text = "Export of 2026\nid;Amount;Created (UTC)\nch_1;25,00;2026-06-03\n"

    headers, rows = read_card_csv(Upload(text.replace("2026-06-03", "2026-06-03 é")
                                         .encode("cp1252")))

    assert headers == ["id", "Amount", "Created (UTC)"]
    assert rows == [[3, ["ch_1", "25,00", "2026-06-03 é"]]]
    assert guess_mapping(headers, rows)["decimal"] == ","


@pytest.mark.parametrize(("date", "time", "date_format", "times", "expected"), [
    ("2026-06-03 17:22:10", "", "ymd", "utc", "2026-06-03T17:22:10+00:00"),
    ("2026-06-03T17:22:10Z", "", "ymd", "local", "2026-06-03T17:22:10+00:00"),
    ("2026-06-03 17:22:10 -0500", "", "ymd", "local", "2026-06-03T17:22:10-05:00"),
    ("06/03/2026", "10:15:22", "mdy", "local", "2026-06-03T10:15:22-07:00"),
    ("06/03/2026 3:05 PM", "", "mdy", "local", "2026-06-03T15:05:00-07:00"),
    ("03/06/2026", "", "dmy", "local", "2026-06-03T00:00:00-07:00"),
])
def test_gift_times_are_read_in_the_right_zone(date, time, date_format, times, expected):
    assert parse_gift_time(date, time, date_format=date_format,
                           times=times).isoformat() == expected


@pytest.mark.parametrize("text", ["13:00 PM", "25:00"])
def test_impossible_times_are_refused(text):
    with pytest.raises(ValueError):
        parse_gift_time(f"2026-06-03 {text}", "", date_format="ymd", times="local")


@pytest.mark.parametrize(("text", "expected"), [
    ("es", "es"), ("es-MX", "es"), ("es_US", "es"), ("Spanish", "es"), ("Español", "es"),
    ("EN", "en"), ("english", "en"), ("fr", ""), ("", ""), ("klingon", "")])
def test_donor_languages_are_read_as_rallys_languages(text, expected):
    assert language_of(text) == expected
