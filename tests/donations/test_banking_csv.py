"""The bank's CSV export: reading real-world files, guessing the columns, and importing every
line or none (each refused row named by its row number and column)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from donations.bank_csv import (
    MAX_ROWS,
    BankImportError,
    bank_import_commit,
    bank_import_preview,
    guess_mapping,
    parse_bank_amount,
    read_bank_csv,
)
from donations.banking import bank_line_create
from donations.ledger import MoneyError
from donations.models import BankImport, BankLine, MoneyAudit
from donations.money import format_cents, plain_cents
from tests.factories import treasurer

pytestmark = pytest.mark.django_db

DAY = timezone.localdate() - datetime.timedelta(days=10)
US = DAY.strftime("%m/%d/%Y")
ISO = DAY.isoformat()
EU = DAY.strftime("%d/%m/%Y")

CHASE = (
    "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n"
    f"CREDIT,{US},DEPOSIT ID NUMBER 4471,1232.50,DEPOSIT,5032.50,4471\n"
    f"DEBIT,{US},ONLINE TRANSFER TO SAV,-200.00,ACCT_XFER,4832.50,\n"
    f"CREDIT,{US},\"REMOTE DEPOSIT, BRANCH 12\",\"1,045.00\",DEPOSIT,5877.50,4472\n"
)


def upload(text: str, name: str = "statement.csv", encoding: str = "utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def read(text: str, **kwargs):
    return read_bank_csv(upload(text, **kwargs))


def commit(text: str, *, by, mapping_changes=None, skip_known=False, name="statement.csv"):
    headers, rows = read(text)
    mapping = {**guess_mapping(headers, rows), **(mapping_changes or {})}
    return bank_import_commit(file_name=name, rows=rows, mapping=mapping, headers=headers,
                              by=by, skip_known=skip_known)


@pytest.fixture
def ann():
    return treasurer()


# --- Reading the file ----------------------------------------------------------------------


def test_a_chase_export_is_read_with_its_row_numbers():
    headers, rows = read(CHASE)

    assert headers[:4] == ["Details", "Posting Date", "Description", "Amount"]
    assert [number for number, _cells in rows] == [2, 3, 4]
    assert rows[2][1][2] == "REMOTE DEPOSIT, BRANCH 12"
    assert rows[2][1][3] == "1,045.00"


def test_utf8_with_a_byte_order_mark_and_windows_1252_are_both_read():
    text = f"Date,Description,Amount\n{US},Café Olé collection,10.00\n"

    with_bom = read("\ufeff" + text)
    windows = read(text, encoding="cp1252")
    utf16 = read(text.replace(",", "\t"), encoding="utf-16")

    assert with_bom[0][0] == "Date" and windows[0][0] == "Date" and utf16[0][0] == "Date"
    assert with_bom[1][0][1][1] == windows[1][0][1][1] == utf16[1][0][1][1] == (
        "Café Olé collection")


def test_semicolons_with_decimal_commas_are_read_and_guessed():
    headers, rows = read(f"Fecha;Concepto;Importe;Saldo\n{EU};INGRESO EFECTIVO;1.232,50;"
                         f"9.000,00\n14/01/2026;COMISION;-3,00;8.997,00\n")

    mapping = guess_mapping(headers, rows)

    assert headers == ["Fecha", "Concepto", "Importe", "Saldo"]
    assert (mapping["date"], mapping["description"], mapping["amount"]) == (0, 1, 2)
    assert (mapping["date_format"], mapping["decimal"]) == ("dmy", ",")


def test_summary_lines_above_the_column_names_are_passed_over():
    """Bank of America writes a summary block, a blank line, then the transactions."""
    text = ("Description,,Summary Amt.\n"
            "Beginning balance as of 06/01/2026,,\"3,800.00\"\n"
            "Total credits,,\"1,232.50\"\n\n"
            "Date,Description,Amount,Running Bal.\n"
            f"{US},Beginning balance as of {US},,\"3,800.00\"\n"
            f"{US},DEPOSIT 4471,\"1,232.50\",\"5,032.50\"\n")

    headers, rows = read(text)
    preview = bank_import_preview(headers=headers, rows=rows, mapping=guess_mapping(headers,
                                                                                   rows))

    assert headers == ["Date", "Description", "Amount", "Running Bal."]
    assert [line.row for line in preview.lines] == [7]
    assert preview.lines[0].amount_cents == 123_250
    assert preview.skipped == [(6, "no amount")]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "The file is empty."),
    (b"   \n\n", "The file is empty."),
    (b"PK\x03\x04\x00\x00binary", "This is not a CSV file."),
    (b"just one column\nno commas here\n", "Rally found only one column in this file."),
    (b"Date,Description,Amount\n", "The file has column names but no lines below them."),
    (b"\xff\xfe\x00\xd8A\x00", "Rally cannot read the characters of this file."),
])
def test_a_file_that_is_not_a_statement_is_refused_with_a_reason(content, message):
    with pytest.raises(BankImportError) as refused:
        read_bank_csv(SimpleUploadedFile("x.csv", content))

    assert refused.value.message.startswith(message)
    assert refused.value.errors == [(None, None, refused.value.message)]


def test_too_large_or_too_long_a_file_is_refused():
    big = SimpleUploadedFile("big.csv", b"x")
    big.size = 3 * 1024 * 1024
    with pytest.raises(BankImportError) as large:
        read_bank_csv(big)
    rows = "Date,Amount\n" + f"{US},1.00\n" * (MAX_ROWS + 1)
    with pytest.raises(BankImportError) as long:
        read(rows)

    assert large.value.message.startswith("This file is larger than 2 MB.")
    assert long.value.message.startswith(f"This file has more than {MAX_ROWS} rows.")


# --- Guessing the columns ------------------------------------------------------------------


def test_chase_columns_are_guessed():
    headers, rows = read(CHASE)

    assert guess_mapping(headers, rows) == {
        "date": 1, "amount": 3, "debit": None, "credit": None, "description": 2,
        "reference": 6, "date_format": "mdy", "decimal": ".", "money_in_only": True}


def test_debit_and_credit_columns_are_guessed_and_a_balance_is_never_the_amount():
    headers = ["Transaction Date", "Memo", "Withdrawals", "Deposits", "Balance"]

    mapping = guess_mapping(headers, [[2, [ISO, "x", "", "10.00", "99.00"]]])

    assert (mapping["date"], mapping["description"], mapping["amount"], mapping["debit"],
            mapping["credit"], mapping["date_format"]) == (0, 1, None, 2, 3, "ymd")


# --- Importing -----------------------------------------------------------------------------


def test_a_good_file_is_imported_whole_and_audited(ann):
    done = commit(CHASE, by=ann)

    lines = list(BankLine.objects.order_by("amount_cents"))
    assert [(line.amount_cents, line.reference, line.description) for line in lines] == [
        (104_500, "4472", "REMOTE DEPOSIT, BRANCH 12"),
        (123_250, "4471", "DEPOSIT ID NUMBER 4471")]
    assert all(line.posted_on == DAY and line.source == "imported" and line.entered_by == ann
               and line.bank_import == done for line in lines)
    assert (done.rows, done.file_name, done.imported_by) == (2, "statement.csv", ann)
    assert done.mapping["columns"] == {"date": "Posting Date", "amount": "Amount",
                                       "description": "Description",
                                       "reference": "Check or Slip #"}
    entry = MoneyAudit.objects.get(action="bank.imported")
    assert entry.after["lines"] == 2 and entry.after["total_cents"] == 227_750
    assert entry.after["rows"] == [2, 4]


def test_money_out_is_imported_when_asked():
    headers, rows = read(CHASE)
    mapping = {**guess_mapping(headers, rows), "money_in_only": False}

    preview = bank_import_preview(headers=headers, rows=rows, mapping=mapping)

    assert [line.amount_cents for line in preview.lines] == [123_250, -20_000, 104_500]


def test_debit_and_credit_columns_make_one_signed_amount():
    text = (f"Date,Memo,Debit,Credit\n{US},Deposit,,1232.50\n{US},Fee,-3.00,\n"
            f"{US},Both,1.00,5.00\n")
    headers, rows = read(text)
    mapping = {**guess_mapping(headers, rows), "money_in_only": False}

    preview = bank_import_preview(headers=headers, rows=rows, mapping=mapping)

    assert [line.amount_cents for line in preview.lines] == [123_250, -300, 400]


def test_a_bad_row_names_its_row_and_column_and_nothing_is_saved(ann):
    text = CHASE + f"CREDIT,{US},CASH DEPOSIT,12.3x,DEPOSIT,1.00,\n" + \
        "CREDIT,02/30/2026,CASH DEPOSIT,5.00,DEPOSIT,1.00,\n"

    with pytest.raises(BankImportError) as refused:
        commit(text, by=ann)

    assert refused.value.errors == [
        (5, "D: Amount", "“12.3x” is not an amount of money."),
        (6, "B: Posting Date", "“02/30/2026” is not a date written MM/DD/YYYY."),
    ]
    assert not BankLine.objects.exists() and not BankImport.objects.exists()
    assert not MoneyAudit.objects.exists()


def test_a_date_in_the_future_is_refused_with_a_hint_about_the_format(ann):
    later = timezone.localdate() + datetime.timedelta(days=40)
    text = f"Date,Description,Amount\n{later:%m/%d/%Y},DEPOSIT,10.00\n"

    with pytest.raises(BankImportError) as refused:
        commit(text, by=ann)

    (row, column, message), = refused.value.errors
    assert (row, column) == (2, "A: Date")
    assert message.endswith("is in the future. Is the date format right (MM/DD/YYYY)?")


def test_wrong_columns_are_refused_at_the_column_not_row_by_row(ann):
    headers, rows = read(CHASE)
    guess = guess_mapping(headers, rows)

    with pytest.raises(MoneyError) as dates:
        bank_import_preview(headers=headers, rows=rows,
                            mapping={**guess, "date": 2, "description": None})
    with pytest.raises(MoneyError) as amounts:
        bank_import_preview(headers=headers, rows=rows,
                            mapping={**guess, "date": 1, "amount": 0})

    assert dates.value.field == "date"
    assert dates.value.message == ("Column C: Description does not hold dates written "
                                   "MM/DD/YYYY (rows 2, 3, 4). Choose the date column, or the "
                                   "way the bank writes dates.")
    assert amounts.value.field == "amount"
    assert amounts.value.message.startswith("Column A: Details does not hold amounts of money")


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"date": None}, "date", "Choose the column that holds the date"),
    ({"amount": None}, "amount", "Choose the column that holds the amount"),
    ({"debit": 4}, "amount", "Choose either one amount column, or debit and credit columns"),
    ({"reference": 3}, "reference", "Column D: Amount is chosen twice."),
    ({"description": 99}, "description", "Choose a column of the file."),
    ({"date_format": "yy"}, "date_format", "Choose how the bank writes dates."),
])
def test_a_mapping_that_cannot_be_right_is_refused_at_its_field(ann, changes, field, message):
    with pytest.raises(MoneyError) as refused:
        commit(CHASE, by=ann, mapping_changes=changes)

    assert refused.value.field == field and refused.value.message.startswith(message)
    assert not BankLine.objects.exists()


def test_the_same_line_twice_in_the_file_is_refused_at_the_second(ann):
    text = CHASE + f"CREDIT,{US},DEPOSIT ID NUMBER 4471,1232.50,DEPOSIT,0,4471\n"

    with pytest.raises(BankImportError) as refused:
        commit(text, by=ann)

    (row, column, message), = refused.value.errors
    assert (row, column) == (5, None)
    assert message.startswith("This line is the same as row 2 (same date, amount, description "
                              "and reference).")
    assert not BankLine.objects.exists()


def test_lines_already_in_rally_refuse_the_import_unless_passed_over(ann):
    commit(CHASE, by=ann, name="june.csv")
    bank_line_create(posted_on=DAY, description="WIRE", amount_cents=5_000, reference="",
                     by=ann)
    text = CHASE + f"CREDIT,{US},CASH DEPOSIT 4473,310.00,DEPOSIT,0,4473\n" + \
        f"CREDIT,{US},WIRE,50.00,DEPOSIT,0,\n"

    with pytest.raises(BankImportError) as refused:
        commit(text, by=ann, name="june-again.csv")
    assert [(row, column) for row, column, _m in refused.value.errors] == [
        (2, None), (4, None), (6, None)]
    assert "imported from june.csv by" in refused.value.errors[0][2]
    assert f"typed by {ann.name} on" in refused.value.errors[2][2]
    assert BankLine.objects.count() == 3

    done = commit(text, by=ann, name="june-again.csv", skip_known=True)

    assert done.rows == 1
    assert list(done.lines.values_list("reference", "amount_cents")) == [("4473", 31_000)]
    latest = MoneyAudit.objects.filter(action="bank.imported").order_by("-pk").first()
    assert latest.after["passed_over_known"] == [2, 4, 6]


def test_a_file_with_nothing_new_is_refused(ann):
    commit(CHASE, by=ann)

    with pytest.raises(BankImportError) as refused:
        commit(CHASE, by=ann, skip_known=True)

    assert refused.value.message == "There is no new line of money in to import in this file."
    assert BankImport.objects.count() == 1


# --- Amounts as banks write them (property) ------------------------------------------------


@given(st.integers(min_value=-10_000_000_00, max_value=10_000_000_00))
def test_amounts_written_plainly_or_with_separators_read_back_exactly(cents):
    european = plain_cents(abs(cents)).replace(".", ",")
    whole, frac = european.split(",")
    european = f"{int(whole):,}".replace(",", ".") + "," + frac

    assert parse_bank_amount(plain_cents(cents), ".") == cents
    assert parse_bank_amount(format_cents(cents), ".") == cents
    assert parse_bank_amount(("-" if cents < 0 else "") + european, ",") == cents
    if cents:
        assert parse_bank_amount(f"({format_cents(abs(cents))})", ".") == -abs(cents)
