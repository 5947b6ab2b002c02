"""The deposit and bank pages through the views, as a treasurer uses them the morning after a
drive: every refusal at its field (422) with what was typed kept, conflicts (409), the CSV
import's steps, who may open each page, and query counts that do not grow with buckets."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from donations.banking import bank_match, deposit_create, deposit_update
from donations.models import (
    BankAdjustment,
    BankImport,
    BankLine,
    BankMatch,
    Deposit,
    DepositItem,
    MoneyAudit,
)
from tests.donations.banking_fixtures import agree, agree_all, bank_line, lock
from tests.donations.money_world import MoneyWorld

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def world():
    return MoneyWorld(buckets=3)


@pytest.fixture
def ann(client, world):
    client.force_login(world.ann)
    return world.ann


def page(response) -> str:
    return response.content.decode()


def field_error(response, form, field) -> list[str]:
    return [str(m) for m in response.context[form].errors.get(field, [])]


def make_deposit(world, agreed, *, slip="4471", declared=None):
    return deposit_create(event=world.event, deposited_on=TODAY(), depositor=world.ben,
                          slip_number=slip, bag_number="B-7",
                          declared_cents=(sum(a.total_cents for a in agreed)
                                          if declared is None else declared),
                          agreed_ids=[a.pk for a in agreed], by=world.ben)


def new_deposit_form(world, agreed, **changes):
    data = {"deposited_on": TODAY().isoformat(), "depositor": world.ben.pk,
            "slip_number": "4471", "bag_number": "B-7", "declared_cents": "150.00",
            "note": "", "agreed": [a.pk for a in agreed], "save": "1"}
    data.update(changes)
    return data


# --- Who may open the pages ----------------------------------------------------------------


def urls(world):
    made = make_deposit(world, [agree(world, 0)])
    return [reverse("money_deposit_new", args=[world.event.pk]),
            reverse("money_deposit", args=[made.pk]), reverse("money_bank"),
            reverse("money_bank_import")]


def test_only_treasurers_and_superusers_open_the_banking_pages(client, world):
    addresses = urls(world)
    for address in addresses:
        client.logout()
        assert client.get(address).status_code == 302
        assert client.get(address)["Location"].startswith(reverse("account_login"))
        for person in (world.volunteer, world.organizer, world.collectors[0]):
            client.force_login(person)
            assert client.get(address).status_code == 403, (address, person)
            assert client.post(address, {"action": "delete"}).status_code == 403
        for person in (world.tess, world.superuser):
            client.force_login(person)
            assert client.get(address).status_code == 200, (address, person)
    assert Deposit.objects.count() == 1


# --- A new deposit -------------------------------------------------------------------------


def test_new_deposit_page_lists_the_counted_buckets_not_yet_banked(client, world, ann):
    first, second, third = agree_all(world, [12_345, 8_000, 500])
    make_deposit(world, [third], slip="1")

    response = client.get(reverse("money_deposit_new", args=[world.event.pk]))

    text = page(response)
    assert f'value="{first.pk}"' in text and f'value="{second.pk}"' in text
    assert f'name="agreed" value="{third.pk}"' not in text
    assert "$123.45" in text and "Peoples Church Youth" in text
    assert "counted today" in text
    assert response.context["form"]["depositor"].value() == world.ann.pk


def test_counted_cash_kept_past_the_limit_is_flagged(client, world, ann, settings):
    settings.MONEY_UNDEPOSITED_ALERT_DAYS = 3
    agree(world, 0, agreed_at=timezone.now() - datetime.timedelta(days=5))

    text = page(client.get(reverse("money_deposit_new", args=[world.event.pk])))

    assert "5 days" in text and "Bank it" in text


def test_new_deposit_is_recorded_and_the_slip_difference_is_said(client, world, ann):
    first, second = agree_all(world, [10_000, 5_000])

    response = client.post(reverse("money_deposit_new", args=[world.event.pk]),
                           new_deposit_form(world, [first, second], declared_cents="149.00"),
                           follow=True)

    made = Deposit.objects.get()
    assert response.redirect_chain == [(reverse("money_deposit", args=[made.pk]), 302)]
    assert (made.declared_cents, made.depositor, made.created_by) == (14_900, world.ben,
                                                                      world.ann)
    text = page(response)
    assert "Deposit slip 4471 is recorded: 2 items, $150.00." in text
    assert "The slip says $149.00 but the counts in it add up to $150.00" in text


def test_new_deposit_sent_twice_is_recorded_once(client, world, ann):
    first = agree(world, 0)
    data = new_deposit_form(world, [first], declared_cents="100.00",
                            form_token="7c1b8e0e-37a4-4c59-a2a1-6e1a1c0c1e11")
    url = reverse("money_deposit_new", args=[world.event.pk])

    client.post(url, data)
    again = client.post(url, data, follow=True)

    assert Deposit.objects.count() == 1
    assert "This deposit was already recorded (the form was sent twice)" in page(again)


def test_new_deposit_refused_keeps_everything_typed_and_ticked(client, world, ann):
    first, second = agree_all(world, [10_000, 5_000])

    response = client.post(reverse("money_deposit_new", args=[world.event.pk]),
                           new_deposit_form(world, [first, second], slip_number="",
                                            declared_cents="150.0x", note="Blue bag"))

    assert response.status_code == 422
    assert field_error(response, "form", "slip_number") == ["This field is required."]
    assert field_error(response, "form", "declared_cents") == [
        "Enter an amount in dollars and cents, like 12.50."]
    text = page(response)
    assert f'value="{first.pk}" id="agreed-{first.pk}" data-cents="10000" checked' in text
    assert f'value="{second.pk}" id="agreed-{second.pk}" data-cents="5000" checked' in text
    assert 'value="150.0x"' in text and "Blue bag" in text
    assert not Deposit.objects.exists()


def test_a_bucket_deposited_meanwhile_is_named_at_the_ticks(client, world, ann):
    first, second = agree_all(world, [10_000, 5_000])
    make_deposit(world, [first], slip="1")

    response = client.post(reverse("money_deposit_new", args=[world.event.pk]),
                           new_deposit_form(world, [first, second]))

    assert response.status_code == 422
    assert field_error(response, "form", "agreed")[0].startswith(
        f"Bucket {first.bucket.number} is already in deposit slip 1 of ")
    assert Deposit.objects.count() == 1


def test_adding_up_shows_the_ticked_total_against_the_slip_and_saves_nothing(client, world,
                                                                            ann):
    first, second = agree_all(world, [10_000, 5_025])
    data = new_deposit_form(world, [first, second], declared_cents="150.00", add_up="1")
    del data["save"]

    response = client.post(reverse("money_deposit_new", args=[world.event.pk]), data)

    assert response.status_code == 200
    totals = response.context["totals"]
    assert (totals["selected"], totals["declared"], totals["difference"]) == (15_025, 15_000,
                                                                            -25)
    text = page(response)
    assert "$150.25" in text and "-$0.25" in text
    assert "The slip and the ticked counts differ" in text
    assert not response.context["form"].errors
    assert not Deposit.objects.exists()


def test_tick_every_bucket_link_ticks_them_all(client, world, ann):
    counts = agree_all(world, [1, 2, 3])

    response = client.get(reverse("money_deposit_new", args=[world.event.pk]) + "?all=1")

    assert response.context["ticked_counts"] == {c.pk for c in counts}


# --- A deposit's page ----------------------------------------------------------------------


def deposit_url(made) -> str:
    return reverse("money_deposit", args=[made.pk])


def edit_form(made, **changes):
    data = {"action": "edit", "edit-deposited_on": made.deposited_on.isoformat(),
            "edit-depositor": made.depositor_id, "edit-slip_number": made.slip_number,
            "edit-bag_number": made.bag_number,
            "edit-declared_cents": f"{made.declared_cents / 100:.2f}",
            "edit-note": made.note, "edit-version": made.version}
    data.update({f"edit-{key}": value for key, value in changes.items()})
    return data


def test_deposit_page_shows_its_buckets_and_the_slip_against_the_counts(client, world, ann):
    first, second = agree_all(world, [10_000, 5_000])
    made = make_deposit(world, [first, second], declared=14_900)

    response = client.get(deposit_url(made))

    text = page(response)
    assert str(first.bucket) in text and str(second.bucket) in text
    assert "$150.00" in text and "$149.00" in text and "-$1.00" in text
    assert "Not matched to the bank yet" in text
    assert set(response.context["forms"]) == {"edit", "add", "match", "delete"}


def test_deposit_slip_corrected_through_the_page(client, world, ann):
    made = make_deposit(world, [agree(world, 0)])

    response = client.post(deposit_url(made), edit_form(made, declared_cents="99.50",
                                                        bag_number="B-9"), follow=True)

    made.refresh_from_db()
    assert (made.declared_cents, made.bag_number, made.version) == (9_950, "B-9", 2)
    assert "Deposit slip 4471 is saved." in page(response)


def test_two_treasurers_saving_one_deposit_the_second_gets_a_conflict_with_her_input(
        client, world, ann):
    made = make_deposit(world, [agree(world, 0)])
    stale = edit_form(made, declared_cents="101.00", note="Tess's note")
    deposit_update(deposit=made, version=1, deposited_on=made.deposited_on,
                   depositor=made.depositor, slip_number=made.slip_number, bag_number="B-8",
                   declared_cents=9_900, note="", by=world.ben)

    response = client.post(deposit_url(made), stale)

    assert response.status_code == 409
    form = response.context["forms"]["edit"]
    assert form.non_field_errors() == [
        f"{world.ben.name} saved this deposit a moment ago; your changes were not saved. What "
        "is saved now is shown below and your changes are still in the form: check them and "
        "save again."]
    text = page(response)
    assert "What is saved now" in text and "$99.00 on the slip" in text and "Bag B-8." in text
    assert 'value="101.00"' in text and "Tess&#x27;s note" in text
    assert form["version"].value() == "2"
    made.refresh_from_db()
    assert (made.declared_cents, made.note) == (9_900, "")

    again = client.post(deposit_url(made), {**stale, "edit-version": "2"})

    assert again.status_code == 302
    made.refresh_from_db()
    assert (made.declared_cents, made.note, made.version) == (10_100, "Tess's note", 3)


def test_a_refused_slip_correction_is_shown_at_its_field(client, world, ann):
    made = make_deposit(world, [agree(world, 0)])

    response = client.post(deposit_url(made), edit_form(
        made, depositor=world.superuser.pk, deposited_on=(
            TODAY() + datetime.timedelta(days=2)).isoformat()))

    assert response.status_code == 422
    form = response.context["forms"]["edit"]
    assert form.errors["deposited_on"][0].endswith("is in the future. Enter the date on the "
                                                   "deposit slip.")
    made.refresh_from_db()
    assert made.version == 1


def test_buckets_added_and_taken_out_through_the_page(client, world, ann):
    first, second = agree_all(world, [10_000, 5_000])
    made = make_deposit(world, [first])

    client.post(deposit_url(made), {"action": "add", "add-agreed": [second.pk]})
    assert made.items.count() == 2
    item = made.items.get(agreed=first)
    response = client.post(deposit_url(made), {"action": "remove", "item": item.pk},
                           follow=True)

    assert list(made.items.values_list("agreed_id", flat=True)) == [second.pk]
    assert f"Bucket {first.bucket.number} is out of deposit slip 4471" in page(response)
    again = client.post(deposit_url(made), {"action": "remove", "item": item.pk}, follow=True)
    assert "That item is no longer in this deposit." in page(again)


def test_adding_nothing_is_refused_at_the_ticks(client, world, ann):
    made = make_deposit(world, [agree(world, 0)])
    agree(world, 1)

    response = client.post(deposit_url(made), {"action": "add"})

    assert response.status_code == 422
    assert response.context["forms"]["add"].errors["agreed"] == [
        "Tick the counted buckets to add to this deposit."]


def test_deposit_deleted_by_mistake_through_the_page(client, world, ann):
    made = make_deposit(world, [agree(world, 0)])

    response = client.post(deposit_url(made), {"action": "delete", "delete-version": "1"},
                           follow=True)

    assert not Deposit.objects.exists()
    assert response.redirect_chain[-1][0] == reverse("money_deposit_new",
                                                     args=[world.event.pk])
    assert "Deposit slip 4471 is deleted" in page(response)


def test_unknown_step_on_the_deposit_page_is_a_clear_400(client, world, ann):
    made = make_deposit(world, [agree(world, 0)])

    response = client.post(deposit_url(made), {"action": "rewrite"})

    assert response.status_code == 400
    assert "Choose a step on this page and send its form." in page(response)


# --- Matching and bank adjustments through the page -----------------------------------------


def test_match_is_confirmed_then_recorded_and_the_difference_explained(client, world, ann):
    first, second = agree_all(world, [10_000, 2_500])
    made = make_deposit(world, [first, second])
    line = bank_line(10_500, by=world.ann, reference="4471")
    bank_line(90_000, by=world.ann, reference="far")

    shown = client.get(deposit_url(made))
    choices = [label for value, label in shown.context["forms"]["match"].fields[
        "bank_line"].choices if value]
    assert choices[0].endswith("-$20.00 from the count")

    asked = client.post(deposit_url(made), {"action": "match", "match-bank_line": line.pk,
                                            "match-version": "1"})
    assert asked.status_code == 200
    assert asked.context["confirm"]["difference"] == -2_000
    assert "A match is final" in page(asked)
    assert not BankMatch.objects.exists() and not MoneyAudit.objects.filter(
        action="deposit.matched").exists()

    done = client.post(deposit_url(made), {"action": "match", "match-bank_line": line.pk,
                                           "match-version": "1", "match-confirm": "on"},
                       follow=True)
    assert BankMatch.objects.get().difference_cents == -2_000
    assert "The bank shows -$20.00 against the counts" in page(done)
    assert set(done.context["forms"]) == {"adjust"}

    explained = client.post(deposit_url(made), {
        "action": "adjust", "adjust-amount_cents": "-20.00", "adjust-reason": "counterfeit",
        "adjust-explanation": "Bank letter: one $20 note counterfeit.",
        f"adjust-allocation_{first.pk}": "", f"adjust-allocation_{second.pk}": "-20"},
        follow=True)

    adjustment = BankAdjustment.objects.get()
    assert list(adjustment.allocations.values_list("agreed_id", "amount_cents")) == [
        (second.pk, -2_000)]
    text = page(explained)
    assert "The bank adjustment of -$20.00 is recorded." in text
    assert "The difference with the bank is explained." in text


def test_matching_a_line_taken_meanwhile_is_refused_at_the_select(client, world, ann):
    first, second = agree_all(world, [5_000, 5_000])
    mine, theirs = make_deposit(world, [first], slip="1"), make_deposit(world, [second],
                                                                        slip="2")
    line = bank_line(5_000, by=world.ann)
    bank_match(deposit=theirs, bank_line=line, by=world.ben)

    response = client.post(deposit_url(mine), {"action": "match", "match-bank_line": line.pk,
                                                "match-version": "1", "match-confirm": "on"})

    assert response.status_code == 422
    assert response.context["forms"]["match"].errors["bank_line"] == [
        f"That bank line is already matched to deposit slip 2 ({world.event.title}). Choose "
        "another."]


def test_match_from_a_stale_page_is_a_conflict(client, world, ann):
    made = make_deposit(world, [agree(world, 0)])
    line = bank_line(10_000, by=world.ann)
    deposit_update(deposit=made, version=1, deposited_on=made.deposited_on,
                   depositor=made.depositor, slip_number="4471", bag_number="",
                   declared_cents=1, note="", by=world.ben)

    response = client.post(deposit_url(made), {"action": "match", "match-bank_line": line.pk,
                                                "match-version": "1"})

    assert response.status_code == 409
    assert not BankMatch.objects.exists()
    assert response.context["forms"]["match"]["version"].value() == "2"


def test_a_matched_deposit_refuses_a_correction_with_the_reason(client, world, ann):
    made = make_deposit(world, [agree(world, 0)])
    bank_match(deposit=made, bank_line=bank_line(10_000, by=world.ann), by=world.ann)

    response = client.post(deposit_url(made), edit_form(made, declared_cents="1.00"))

    assert response.status_code == 422
    assert "is matched to the bank line of" in response.context["error"]
    made.refresh_from_db()
    assert made.declared_cents == 10_000


def adjust_form(**changes):
    data = {"action": "adjust", "adjust-amount_cents": "-10.00", "adjust-reason": "counterfeit",
            "adjust-explanation": "A $10 counterfeit."}
    data.update(changes)
    return data


def test_adjustment_shares_not_adding_up_are_refused_above_the_shares(client, world, ann):
    first, second = agree_all(world, [10_000, 2_500])
    made = make_deposit(world, [first, second])
    bank_match(deposit=made, bank_line=bank_line(11_500, by=world.ann), by=world.ann)

    response = client.post(deposit_url(made), adjust_form(**{
        f"adjust-allocation_{first.pk}": "-5", f"adjust-allocation_{second.pk}": "-4"}))

    assert response.status_code == 422
    form = response.context["forms"]["adjust"]
    assert form.non_field_errors() == ["The buckets' shares add up to -$9.00 but the "
                                       "adjustment is -$10.00: they must add up to the "
                                       "adjustment."]
    assert 'value="-5"' in page(response) and 'value="-4"' in page(response)
    assert not BankAdjustment.objects.exists()


def test_adjustment_without_words_is_refused_at_the_explanation(client, world, ann):
    made = make_deposit(world, [agree(world, 0)])
    bank_match(deposit=made, bank_line=bank_line(9_000, by=world.ann), by=world.ann)

    response = client.post(deposit_url(made), adjust_form(**{"adjust-explanation": " "}))

    assert response.status_code == 422
    assert response.context["forms"]["adjust"].errors["explanation"] == [
        "This field is required."]


def test_one_bucket_deposit_takes_the_whole_adjustment_when_no_share_is_typed(client, world,
                                                                             ann):
    agreed = agree(world, 0)
    made = make_deposit(world, [agreed])
    bank_match(deposit=made, bank_line=bank_line(9_000, by=world.ann), by=world.ann)

    client.post(deposit_url(made), adjust_form())

    assert list(BankAdjustment.objects.get().allocations.values_list(
        "agreed_id", "amount_cents")) == [(agreed.pk, -1_000)]


def test_a_locked_drive_shows_its_deposit_read_only_and_refuses_changes(client, world, ann):
    made = make_deposit(world, [agree(world, 0)])
    lock(world)

    shown = client.get(deposit_url(made))
    refused = client.post(deposit_url(made), edit_form(made, declared_cents="1.00"))
    new = client.post(reverse("money_deposit_new", args=[world.event.pk]),
                      new_deposit_form(world, []))

    assert shown.context["forms"] == {} and "Locked: the drive is reconciled" in page(shown)
    assert refused.status_code == 422 and "reconciled and locked" in refused.context["error"]
    assert new.status_code == 422
    assert "reconciled and locked" in str(new.context["form"].non_field_errors())


# --- Bank lines ----------------------------------------------------------------------------


def line_form(**changes):
    data = {"action": "type", "posted_on": TODAY().isoformat(), "amount_cents": "1,232.50",
            "description": "DEPOSIT", "reference": "4471"}
    data.update(changes)
    return data


def test_typed_bank_line_is_recorded_and_listed(client, world, ann):
    response = client.post(reverse("money_bank"), line_form(), follow=True)

    line = BankLine.objects.get()
    assert (line.amount_cents, line.source, line.entered_by) == (123_250, "typed", world.ann)
    assert "The bank line is recorded." in page(response)
    assert "$1,232.50" in page(response) and "1 line not matched to a deposit" in page(response)


def test_typed_bank_line_from_a_deposit_page_goes_back_to_it(client, world, ann):
    made = make_deposit(world, [agree(world, 0)])

    response = client.post(reverse("money_bank") + f"?deposit={made.pk}", line_form())

    assert response["Location"] == deposit_url(made) + "#match"


def test_typed_duplicate_line_is_refused_naming_the_first_and_kept_in_the_form(client, world,
                                                                              ann):
    client.post(reverse("money_bank"), line_form())

    response = client.post(reverse("money_bank"), line_form(amount_cents="1232.5"))

    assert response.status_code == 422
    (message,) = response.context["form"].non_field_errors()
    assert message.startswith("This bank line is already in Rally: ")
    assert f"typed by {world.ann.name}" in message
    assert 'value="1232.5"' in page(response)
    assert BankLine.objects.count() == 1


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"amount_cents": "0"}, "amount_cents", "The amount cannot be zero."),
    ({"amount_cents": "12.345"}, "amount_cents", "Enter an amount in dollars and cents, like "
                                                 "12.50."),
    ({"posted_on": "2031-01-01"}, "posted_on", "Jan. 1, 2031 is in the future: the bank "
                                               "cannot have posted it yet."),
])
def test_typed_bank_line_refused_at_its_field(client, world, ann, changes, field, message):
    response = client.post(reverse("money_bank"), line_form(**changes))

    assert response.status_code == 422
    assert response.context["form"].errors[field] == [message]
    assert not BankLine.objects.exists()


def test_bank_line_entered_by_mistake_is_removed_but_a_matched_one_stays(client, world, ann):
    wrong = bank_line(999, by=world.ann)
    made = make_deposit(world, [agree(world, 0)])
    used = bank_line(10_000, by=world.ann, reference="4471")
    bank_match(deposit=made, bank_line=used, by=world.ann)

    removed = client.post(reverse("money_bank"), {"action": "remove", "line": wrong.pk},
                          follow=True)
    kept = client.post(reverse("money_bank"), {"action": "remove", "line": used.pk})

    assert not BankLine.objects.filter(pk=wrong.pk).exists()
    assert "is removed" in page(removed)
    assert kept.status_code == 422
    assert kept.context["error"] == ("This bank line is matched to deposit slip 4471 and "
                                     "stays in the books.")


# --- The CSV import, step by step ----------------------------------------------------------


DAY = timezone.localdate() - datetime.timedelta(days=3)
CSV = (
    "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n"
    f"CREDIT,{DAY:%m/%d/%Y},DEPOSIT ID NUMBER 4471,1232.50,DEPOSIT,5032.50,4471\n"
    f"DEBIT,{DAY:%m/%d/%Y},ONLINE TRANSFER,-200.00,ACCT_XFER,4832.50,\n"
)


def uploaded(client, text=CSV, name="june.csv"):
    return client.post(reverse("money_bank_import"), {
        "step": "upload", "file": SimpleUploadedFile(name, text.encode(), "text/csv")})


def mapping_data(response, **changes) -> dict:
    form = response.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {key: ("" if value is None else value) for key, value in data.items()}
    if not data.get("money_in_only"):
        data.pop("money_in_only")
    data.update(changes)
    return data


def test_import_reads_guesses_previews_then_imports_all_lines(client, world, ann):
    mapped = uploaded(client)
    assert mapped.status_code == 200 and mapped.context["step"] == "map"
    form = mapped.context["form"]
    assert (form["date"].value(), form["amount"].value(), form["reference"].value()) == (1, 3, 6)
    assert "B: Posting Date" in page(mapped) and "DEPOSIT ID NUMBER 4471" in page(mapped)
    assert not BankLine.objects.exists()

    previewed = client.post(reverse("money_bank_import"), mapping_data(mapped, step="preview"))
    assert previewed.status_code == 200 and previewed.context["can_import"]
    assert previewed.context["new_count"] == 1
    assert "money out: 1 row (3)" in page(previewed)
    assert not BankLine.objects.exists()

    done = client.post(reverse("money_bank_import"), mapping_data(previewed, step="import"),
                       follow=True)

    line = BankLine.objects.get()
    assert (line.amount_cents, line.reference, line.posted_on) == (123_250, "4471", DAY)
    assert done.redirect_chain[-1][0] == reverse("money_bank")
    assert "Imported 1 line from june.csv ($1,232.50)." in page(done)


def test_import_with_a_bad_row_shows_the_row_and_column_and_saves_nothing(client, world, ann):
    text = CSV + f"CREDIT,{DAY:%m/%d/%Y},CASH,12.3x,DEPOSIT,0,\n"
    mapped = uploaded(client, text)

    previewed = client.post(reverse("money_bank_import"), mapping_data(mapped, step="preview"))

    assert previewed.status_code == 422
    assert previewed.context["errors"] == [(4, "D: Amount", "“12.3x” is not an amount of money.")]
    assert not previewed.context["can_import"]
    text = page(previewed)
    assert "1 row needs attention: nothing will be imported until it is right" in text
    assert 'value="import"' not in text
    forced = client.post(reverse("money_bank_import"), mapping_data(previewed, step="import"))
    assert forced.status_code == 422
    assert forced.context["errors"][0][0] == 4
    assert not BankLine.objects.exists() and not BankImport.objects.exists()


def test_import_with_the_wrong_column_is_refused_at_that_select(client, world, ann):
    mapped = uploaded(client)

    response = client.post(reverse("money_bank_import"),
                           mapping_data(mapped, step="preview", amount="0"))

    assert response.status_code == 422
    assert response.context["form"].errors["amount"] == [
        "Column A: Details does not hold amounts of money (rows 2, 3). Choose the column of "
        "amounts, or the way the bank writes them."]


def test_import_with_no_date_column_is_refused_at_the_date_select(client, world, ann):
    mapped = uploaded(client)

    response = client.post(reverse("money_bank_import"),
                           mapping_data(mapped, step="preview", date=""))

    assert response.status_code == 422
    assert response.context["form"].errors["date"][0].startswith(
        "Choose the column that holds the date")


def test_import_after_the_columns_changed_shows_the_preview_again(client, world, ann):
    mapped = uploaded(client)
    previewed = client.post(reverse("money_bank_import"), mapping_data(mapped, step="preview"))

    response = client.post(reverse("money_bank_import"),
                           mapping_data(previewed, step="import", description=""))

    assert response.status_code == 200 and response.context["step"] == "preview"
    assert "The columns changed since the preview" in page(response)
    assert not BankLine.objects.exists()


def test_import_with_a_tampered_file_is_refused(client, world, ann):
    mapped = uploaded(client)
    data = mapping_data(mapped, step="preview")
    data["payload"] = data["payload"][:-3] + "abc"

    response = client.post(reverse("money_bank_import"), data)

    assert response.status_code == 422 and response.context["step"] == "upload"
    assert "This import has expired or its page was changed." in page(response)


def test_another_treasurers_file_step_cannot_be_replayed(client, world, ann):
    mapped = uploaded(client)
    data = mapping_data(mapped, step="preview")
    client.force_login(world.ben)

    response = client.post(reverse("money_bank_import"), data)

    assert response.status_code == 422 and response.context["step"] == "upload"


def test_import_of_lines_already_in_rally_offers_to_pass_over_them(client, world, ann):
    bank_line(123_250, by=world.ann, reference="4471", description="DEPOSIT ID NUMBER 4471",
              posted_on=DAY)
    text = CSV + f"CREDIT,{DAY:%m/%d/%Y},CASH DEPOSIT 4472,310.00,DEPOSIT,0,4472\n"
    mapped = uploaded(client, text)

    previewed = client.post(reverse("money_bank_import"), mapping_data(mapped, step="preview"))
    assert previewed.context["known_count"] == 1 and previewed.context["new_count"] == 1
    assert "Already in Rally: passed over." in page(previewed)
    assert 'value="import_new"' in page(previewed)

    client.post(reverse("money_bank_import"), mapping_data(previewed, step="import_new"))

    assert sorted(BankLine.objects.values_list("reference", flat=True)) == ["4471", "4472"]


def test_upload_that_is_not_a_statement_is_refused_at_the_file(client, world, ann):
    response = uploaded(client, "hello\n")

    assert response.status_code == 422
    assert response.context["upload"].errors["file"][0].startswith(
        "Rally found only one column")


# --- Query counts --------------------------------------------------------------------------


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def deposit_world(buckets: int):
    world = MoneyWorld(buckets=buckets + 2)
    counts = agree_all(world, [1_000 + n for n in range(buckets + 2)])
    made = make_deposit(world, counts[:buckets], slip=f"S{buckets}")
    for n in range(buckets):
        bank_line(5_000 + n, by=world.ann, reference=f"r{buckets}-{n}")
    return world, made


def test_deposit_pages_run_the_same_queries_for_10_and_100_buckets(client):
    counted = {}
    for buckets in (10, 100):
        world, made = deposit_world(buckets)
        client.force_login(world.ann)
        counted[buckets] = (queries(client, reverse("money_deposit", args=[made.pk])),
                            queries(client, reverse("money_deposit_new",
                                                    args=[world.event.pk])),
                            queries(client, reverse("money_bank")))
        from volunteers.models import Team

        Team.objects.filter(name="Peoples Church Youth").update(name=f"Team {buckets}")
    assert counted[10] == counted[100]


def test_matched_deposit_page_runs_the_same_queries_for_10_and_100_buckets(client):
    counted = {}
    for buckets in (10, 100):
        world, made = deposit_world(buckets)
        line = BankLine.objects.get(reference=f"r{buckets}-0")
        match = bank_match(deposit=made, bank_line=line, by=world.ann)
        first = DepositItem.objects.filter(deposit=made).first().agreed
        BankAdjustment.objects.create(deposit=made, event=world.event, reason="other",
                                      amount_cents=match.difference_cents,
                                      explanation="test", by=world.ann
                                      ).allocations.create(agreed=first,
                                                           amount_cents=match.difference_cents)
        client.force_login(world.ann)
        counted[buckets] = queries(client, reverse("money_deposit", args=[made.pk]))
        from volunteers.models import Team

        Team.objects.filter(name="Peoples Church Youth").update(name=f"Team {buckets}")
    assert counted[10] == counted[100]


def test_the_page_has_no_inline_script_or_style(client, world, ann):
    made = make_deposit(world, [agree(world, 0)])

    for url in (deposit_url(made), reverse("money_deposit_new", args=[world.event.pk]),
                reverse("money_bank"), reverse("money_bank_import")):
        text = page(client.get(url))
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), url
        assert " style=" not in text, url


# --- Hostile input as a treasurer ----------------------------------------------------------


def test_hostile_input_to_every_banking_step_is_refused_without_500_or_a_half_save(client,
                                                                                   world, ann):
    """The project's hostile-input sweep, aimed at each step of these pages as a treasurer
    (who may use them): nothing answers 500, and a refused step saves nothing."""
    import random

    from django.apps import apps

    from tests.test_hostile_forms import HOSTILE_VALUES

    first, second, third = agree_all(world, [100, 200, 300])
    made = make_deposit(world, [first])
    matched = make_deposit(world, [second], slip="2")
    bank_match(deposit=matched, bank_line=bank_line(250, by=world.ann), by=world.ann)
    steps = ["edit", "add", "remove", "delete", "match", "adjust", "type", "upload", "preview",
             "import", "import_new"]
    pages = {
        reverse("money_deposit_new", args=[world.event.pk]): [
            "deposited_on", "depositor", "slip_number", "bag_number", "declared_cents", "note",
            "agreed", "proceeds", "form_token", "add_up", "save"],
        deposit_url(made): [
            "action", "edit-deposited_on", "edit-depositor", "edit-slip_number",
            "edit-declared_cents", "edit-version", "add-agreed", "item", "delete-version",
            "match-bank_line", "match-version", "match-confirm"],
        deposit_url(matched): [
            "action", "adjust-amount_cents", "adjust-reason", "adjust-explanation",
            f"adjust-allocation_{second.pk}"],
        reverse("money_bank"): ["action", "posted_on", "amount_cents", "description",
                                "reference", "line", "form_token"],
        reverse("money_bank_import"): [
            "step", "payload", "previewed", "date", "amount", "credit", "debit", "description",
            "reference", "date_format", "decimal", "money_in_only"],
    }
    models = list(apps.get_app_config("donations").get_models())
    pick = random.Random(11)
    values = [*HOSTILE_VALUES, *steps, "1", "2", str(third.pk)]
    for url, keys in pages.items():
        for _ in range(25):
            data = {key: pick.choice(values) for key in keys if pick.random() < 0.6}
            before = {m: m.objects.count() for m in models}
            response = client.post(url, data)
            assert response.status_code < 500, (url, data)
            if response.status_code >= 400:
                assert {m: m.objects.count() for m in models} == before, (url, data)
            query = {"page": pick.choice(values), "deposit": pick.choice(values),
                     "all": pick.choice(values)}
            assert client.get(url, query).status_code < 500, (url, query)
