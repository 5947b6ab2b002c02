"""The books pages through the views: the money home, a drive's books, reconciliation by an
independent treasurer, reopening (superusers), adjustment entries, the audit trail; who may
open each page, and query counts that do not grow with the number of buckets."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from donations.books import adjustment_entry_create, drive_books, drive_reconcile
from donations.ledger import audit, is_locked
from donations.models import AdjustmentEntry, DriveMoneyStep, MoneyAudit, VarianceNote
from tests.donations.books_fixtures import (
    bank_adjustment,
    banked,
    count_of,
    counted,
    deposited,
    ready_to_reconcile,
    second_world,
    sheet_for,
)
from tests.donations.money_world import MoneyWorld
from tests.factories import PASSWORD, treasurer

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return MoneyWorld(buckets=3)


def url(name, *args):
    return reverse(name, args=args)


def drive_urls(world):
    pk = world.event.pk
    return [url("money_home"), url("money_drive", pk), url("money_reconcile", pk),
            url("money_adjustment_new", pk), url("money_audit")]


# --- Who may open the pages ----------------------------------------------------------------


def test_books_pages_send_anonymous_people_to_log_in(client, world):
    for address in [*drive_urls(world), url("money_reopen", world.event.pk)]:
        response = client.get(address)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["volunteer", "organizer"])
def test_books_pages_refuse_everyone_but_treasurers(client, world, who):
    client.force_login(getattr(world, who))

    for address in [*drive_urls(world), url("money_reopen", world.event.pk)]:
        assert client.get(address).status_code == 403
        assert client.post(address, {}).status_code == 403


@pytest.mark.parametrize("who", ["tess", "superuser"])
def test_books_pages_open_for_treasurers_and_superusers(client, world, who):
    client.force_login(getattr(world, who))

    for address in drive_urls(world):
        assert client.get(address).status_code == 200


def test_reopen_page_is_for_superusers_only(client, world):
    ready_to_reconcile(world)
    drive_reconcile(event=world.event, by=world.tess, explanations={})
    client.force_login(world.tess)

    assert client.get(url("money_reopen", world.event.pk)).status_code == 403
    assert client.post(url("money_reopen", world.event.pk),
                       {"reason": "x"}).status_code == 403
    assert is_locked(world.event)


def test_organizer_who_is_also_a_treasurer_sees_the_books(client, world):
    from tests.factories import RoleGrantFactory
    from volunteers.models import Role

    RoleGrantFactory(user=world.organizer, role=Role.TREASURER)
    client.force_login(world.organizer)

    assert client.get(url("money_drive", world.event.pk)).status_code == 200


# --- The money home ------------------------------------------------------------------------


def test_money_home_lists_drives_with_their_state_and_totals(client, world):
    ready_to_reconcile(world)
    client.force_login(world.tess)

    response = client.get(url("money_home"))

    body = response.content.decode()
    assert response.status_code == 200
    [drive] = response.context["drives"]
    assert (drive.pk, drive.money_state) == (world.event.pk, "deposited")
    assert url("money_drive", world.event.pk) in body
    assert "$252.75" in body
    assert "3 of 3 counted" in body


def test_money_home_alerts_cash_waiting_past_the_limit(client, world, settings):
    settings.MONEY_UNDEPOSITED_ALERT_DAYS = 3
    counted(world, 0, 4200, at=timezone.now() - datetime.timedelta(days=6))
    client.force_login(world.tess)

    body = client.get(url("money_home")).content.decode()

    assert "Cash waiting too long for the bank" in body
    assert "1 counted bucket ($42.00) not deposited, the oldest for 6 days." in body


def test_money_home_queries_do_not_grow_with_drives(client, world, django_assert_max_num_queries):
    client.force_login(world.tess)
    counted(world, 0, 100, at=timezone.now() - datetime.timedelta(days=30))
    with django_assert_max_num_queries(15) as few:
        client.get(url("money_home"))
    more = second_world(world, 2)
    counted(more, 0, 100)
    third = second_world(more, 2)
    counted(third, 1, 100, at=timezone.now() - datetime.timedelta(days=30))

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("money_home"))

    assert len(response.context["drives"]) == 3


# --- A drive's books -----------------------------------------------------------------------


def test_drive_page_shows_the_state_totals_buckets_and_blockers(client, world):
    agreed = [counted(world, index, 1000 * (index + 1)) for index in range(2)]
    deposited(world, agreed[:1], declared=1100)
    client.force_login(world.tess)

    response = client.get(url("money_drive", world.event.pk))

    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["books"].state == "open"
    assert '<li class="current" aria-current="step">Open</li>' in body
    assert "$30.00" in body  # counted
    assert f"Bucket {world.buckets[2].number} has not been opened for counting." in body
    assert "Before this drive can be reconciled:" in body
    assert "the slip says $11.00, the counts it holds add up to $10.00" in body
    assert "Locked" not in body


def test_drive_page_shows_no_figure_of_a_bucket_not_yet_agreed(client, world):
    sheet = sheet_for(world, world.returns[0])
    count_of(sheet, counter=world.ann, letter="A", quantities={"bill_100": 7, "coin_1": 3})
    client.force_login(world.ben)

    body = client.get(url("money_drive", world.event.pk)).content.decode()

    assert "Count A in" in body
    assert "$700.03" not in body
    assert "700.03" not in body


def test_drive_page_of_a_reconciled_drive_shows_it_locked(client, world):
    ready_to_reconcile(world)
    drive_reconcile(event=world.event, by=world.tess, explanations={})
    client.force_login(world.ann)

    body = client.get(url("money_drive", world.event.pk)).content.decode()

    assert '<h2 id="locked-title">Locked</h2>' in body
    assert f"Reconciled by {world.tess.name}" in body
    assert url("money_adjustment_new", world.event.pk) in body
    assert url("money_reopen", world.event.pk) not in body  # treasurers cannot reopen
    assert url("money_reconcile", world.event.pk) not in body


def test_drive_page_offers_reconciliation_only_to_an_independent_treasurer(client, world):
    ready_to_reconcile(world)

    client.force_login(world.ann)
    counter_page = client.get(url("money_drive", world.event.pk)).content.decode()
    client.force_login(world.tess)
    independent_page = client.get(url("money_drive", world.event.pk)).content.decode()

    assert "You counted money of this drive" in counter_page
    assert url("money_reconcile", world.event.pk) not in counter_page
    assert url("money_reconcile", world.event.pk) in independent_page


def test_drive_page_queries_do_not_grow_with_buckets(client, django_assert_max_num_queries):
    world = MoneyWorld(buckets=10)
    agreed = [counted(world, index, 100 * index + 5) for index in range(8)]
    deposit = deposited(world, agreed[:6])
    banked(deposit, sum(a.total_cents for a in agreed[:6]) - 20)
    bank_adjustment(deposit, {agreed[0]: -20}, by=world.ann)
    client.force_login(world.tess)
    with django_assert_max_num_queries(40) as ten:
        assert client.get(url("money_drive", world.event.pk)).status_code == 200
    for _ in range(90):
        world.return_another()
    more = [counted(world, index, 100 * index + 5) for index in range(10, 80)]
    banked(deposited(world, more[:50]))

    with django_assert_max_num_queries(len(ten.captured_queries)):
        response = client.get(url("money_drive", world.event.pk))

    assert len(response.context["books"].trips) == 100


# --- Reconcile -----------------------------------------------------------------------------


def slip_variance_drive(world):
    agreed = [counted(world, index, 1000) for index in range(3)]
    deposit = deposited(world, agreed, declared=3050)
    banked(deposit)
    return deposit


def test_reconcile_page_asks_words_for_each_variance(client, world):
    deposit = slip_variance_drive(world)
    client.force_login(world.tess)

    response = client.get(url("money_reconcile", world.event.pk))

    body = response.content.decode()
    assert response.status_code == 200
    assert f'name="explain_declared_{deposit.pk}"' in body
    assert "Explain it in words (required)." in body


def test_reconcile_without_words_is_refused_at_the_variance(client, world):
    deposit = slip_variance_drive(world)
    client.force_login(world.tess)
    seen = drive_books(world.event).fingerprint

    response = client.post(url("money_reconcile", world.event.pk),
                           {f"explain_declared_{deposit.pk}": "", "seen": seen})

    assert response.status_code == 422
    assert response.context["form"].errors == {
        f"explain_declared_{deposit.pk}": ["Explain this variance in words."]}
    assert not DriveMoneyStep.objects.exists()


def test_reconcile_by_a_counter_is_refused_with_the_reason(client, world):
    deposit = slip_variance_drive(world)
    client.force_login(world.ben)

    response = client.post(url("money_reconcile", world.event.pk), {
        f"explain_declared_{deposit.pk}": "Slip added wrong.",
        "seen": drive_books(world.event).fingerprint})

    assert response.status_code == 422
    assert response.context["form"].non_field_errors() == [
        "You counted money of this drive, so another treasurer (who neither counted nor "
        "deposited it) must reconcile it."]
    assert not is_locked(world.event)


def test_reconcile_by_an_independent_treasurer_locks_the_drive(client, world):
    deposit = slip_variance_drive(world)
    client.force_login(world.tess)

    response = client.post(url("money_reconcile", world.event.pk), {
        f"explain_declared_{deposit.pk}": "The slip was added wrong by 50 cents.",
        "note": "Counted at the church hall.",
        "seen": drive_books(world.event).fingerprint}, follow=True)

    assert response.redirect_chain[-1][0] == url("money_drive", world.event.pk)
    assert is_locked(world.event)
    note = VarianceNote.objects.get()
    assert (note.explanation, note.amount_cents) == ("The slip was added wrong by 50 cents.", 50)
    body = response.content.decode()
    assert "are reconciled and locked" in body
    assert "The slip was added wrong by 50 cents." in body


def test_reconcile_after_the_books_changed_is_a_conflict_keeping_the_words(client, world):
    deposit = slip_variance_drive(world)
    client.force_login(world.tess)
    seen = drive_books(world.event).fingerprint
    world.return_another()
    banked(deposited(world, [counted(world, 3, 700)]))

    response = client.post(url("money_reconcile", world.event.pk), {
        f"explain_declared_{deposit.pk}": "My careful words.", "seen": seen})

    assert response.status_code == 409
    body = response.content.decode()
    assert "changed since you opened this page" in body
    assert "My careful words." in body
    assert not is_locked(world.event)


def test_reconcile_of_a_drive_not_ready_lists_its_blockers(client, world):
    counted(world, 0, 1000)
    client.force_login(world.tess)

    get = client.get(url("money_reconcile", world.event.pk))
    post = client.post(url("money_reconcile", world.event.pk), {"seen": ""})

    assert "has not been opened for counting" in get.content.decode() or (
        "have not been opened for counting" in get.content.decode())
    assert post.status_code == 422
    assert post.context["form"].non_field_errors()[0].startswith(
        "This drive cannot be reconciled yet.")
    assert not DriveMoneyStep.objects.exists()


def test_reconcile_twice_at_once_second_gets_a_conflict(client, world):
    ready_to_reconcile(world)
    seen = drive_books(world.event).fingerprint
    drive_reconcile(event=world.event, by=world.tess, explanations={})
    other = treasurer()
    client.force_login(other)

    response = client.post(url("money_reconcile", world.event.pk), {"seen": seen})

    assert response.status_code == 409
    assert f"{world.tess.name} reconciled this drive a moment ago" in response.content.decode()
    assert DriveMoneyStep.objects.count() == 1


# --- Reopen --------------------------------------------------------------------------------


def test_superuser_reopens_with_a_reason(client, world):
    ready_to_reconcile(world)
    drive_reconcile(event=world.event, by=world.tess, explanations={})
    client.force_login(world.superuser)

    response = client.post(url("money_reopen", world.event.pk),
                           {"reason": "The bank reversed the deposit."})

    assert response.status_code == 302
    assert not is_locked(world.event)
    assert MoneyAudit.objects.get(action="drive.reopened").reason == (
        "The bank reversed the deposit.")


def test_superuser_reopen_without_a_reason_is_refused(client, world):
    ready_to_reconcile(world)
    drive_reconcile(event=world.event, by=world.tess, explanations={})
    client.force_login(world.superuser)

    response = client.post(url("money_reopen", world.event.pk), {"reason": " "})

    assert response.status_code == 422
    assert "reason" in response.context["form"].errors
    assert is_locked(world.event)


def test_reopen_of_a_drive_not_reconciled_is_a_conflict(client, world):
    client.force_login(world.superuser)

    response = client.post(url("money_reopen", world.event.pk), {"reason": "Why not."})

    assert response.status_code == 409
    assert "nothing to reopen" in response.content.decode()


# --- Adjustment entries --------------------------------------------------------------------


def entry_form(agreed, approver, **changes):
    data = {"amount": "-12.50", "corrects": f"agreed-{agreed.pk}",
            "reason": "A $20 note was a counterfeit found later.",
            "approved_by": approver.pk, "approver_password": PASSWORD}
    data.update(changes)
    return data


def test_adjustment_entry_with_the_approvers_password_is_recorded(client, world):
    agreed, _deposit, _match = ready_to_reconcile(world)
    drive_reconcile(event=world.event, by=world.tess, explanations={})
    client.force_login(world.tess)
    page = client.get(url("money_adjustment_new", world.event.pk))
    token = page.context["form"].initial["form_token"]

    response = client.post(url("money_adjustment_new", world.event.pk),
                           entry_form(agreed[0], world.ann, form_token=token))
    again = client.post(url("money_adjustment_new", world.event.pk),
                        entry_form(agreed[0], world.ann, form_token=token), follow=True)

    entry = AdjustmentEntry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{url('money_drive', world.event.pk)}#entry-{entry.pk}"
    assert (entry.amount_cents, entry.by, entry.approved_by, entry.corrects_agreed) == (
        -1250, world.tess, world.ann, agreed[0])
    assert "already recorded" in again.content.decode()
    assert is_locked(world.event)


def test_adjustment_entry_with_a_wrong_approver_password_is_refused(client, world):
    agreed, _deposit, _match = ready_to_reconcile(world)
    client.force_login(world.tess)

    response = client.post(url("money_adjustment_new", world.event.pk),
                           entry_form(agreed[0], world.ann, approver_password="wrong"))

    assert response.status_code == 422
    assert response.context["form"].errors["approver_password"] == [
        f"That is not {world.ann}'s password. {world.ann} types it here to approve the entry."]
    assert not AdjustmentEntry.objects.exists()


@pytest.mark.parametrize(("changes", "field"), [
    ({"amount": "0"}, "amount"), ({"amount": "1.005"}, "amount"), ({"amount": "abc"}, "amount"),
    ({"reason": ""}, "reason"), ({"corrects": "agreed-999999"}, "corrects"),
    ({"corrects": ""}, "corrects"),
])
def test_adjustment_entry_bad_input_is_refused_at_its_field(client, world, changes, field):
    agreed, _deposit, _match = ready_to_reconcile(world)
    client.force_login(world.tess)

    response = client.post(url("money_adjustment_new", world.event.pk),
                           entry_form(agreed[0], world.ann, **changes))

    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not AdjustmentEntry.objects.exists()


def test_adjustment_entry_cannot_be_approved_by_its_writer(client, world):
    agreed, _deposit, _match = ready_to_reconcile(world)
    client.force_login(world.tess)

    response = client.post(url("money_adjustment_new", world.event.pk),
                           entry_form(agreed[0], world.tess))

    assert response.status_code == 422
    assert "approved_by" in response.context["form"].errors
    assert not AdjustmentEntry.objects.exists()


def test_adjustment_entry_cannot_correct_another_drives_count(client, world):
    ready_to_reconcile(world)
    other = second_world(world)
    elsewhere = counted(other, 0, 100)
    client.force_login(world.tess)

    response = client.post(url("money_adjustment_new", world.event.pk),
                           entry_form(elsewhere, world.ann))

    assert response.status_code == 422
    assert "corrects" in response.context["form"].errors


# --- The audit trail -----------------------------------------------------------------------


def test_audit_trail_shows_who_when_what_before_after_and_why(client, world):
    agreed, _deposit, _match = ready_to_reconcile(world)
    audit(action="deposit.edited", subject="Deposit D-9", by=world.ann, event=world.event,
          before={"declared_cents": 12000, "slip_number": "D-9"},
          after={"declared_cents": 12050, "slip_number": "D-9"}, reason="Typo on the slip.")
    adjustment_entry_create(event=world.event, amount_cents=-250, reason="Counterfeit.",
                            approved_by=world.ben, by=world.ann, corrects_agreed=agreed[0])
    client.force_login(world.tess)

    response = client.get(url("money_audit"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Deposit D-9" in body
    assert "<strong>declared</strong>: $120.00 → $120.50" in body
    assert "Typo on the slip." in body
    assert world.ann.name in body
    assert "<strong>amount</strong>: -$2.50" in body


def test_audit_trail_filters_by_drive(client, world):
    other = second_world(world)
    audit(action="count.submitted", subject="Here", by=world.ann, event=world.event)
    audit(action="count.submitted", subject="Elsewhere", by=world.ann, event=other.event)
    client.force_login(world.tess)

    response = client.get(url("money_audit"), {"event": world.event.pk})

    assert [row.subject for row in response.context["page"].object_list] == ["Here"]


def test_audit_trail_is_paginated_in_constant_queries(client, world,
                                                     django_assert_max_num_queries):
    for n in range(120):
        audit(action="count.submitted", subject=f"Line {n}", by=world.ann, event=world.event,
              after={"total_cents": n})
    client.force_login(world.tess)

    with django_assert_max_num_queries(12):
        response = client.get(url("money_audit"), {"page": 2})

    assert len(response.context["page"].object_list) == 50
    assert response.context["page"].paginator.count == 120


def test_audit_trail_refuses_a_bad_drive_filter(client, world):
    client.force_login(world.tess)

    response = client.get(url("money_audit"), {"event": "99999999"})

    assert response.status_code == 422
    assert "event" in response.context["form"].errors


# --- Links to the counting and banking pages -----------------------------------------------

def test_drive_page_links_the_counting_and_banking_pages(client, world):
    agreed, deposit, _match = ready_to_reconcile(world)
    client.force_login(world.tess)
    sheet = agreed[0].sheet

    body = client.get(url("money_drive", world.event.pk)).content.decode()

    expected = {"money_session_new": [world.event.pk], "money_deposit_new": [world.event.pk],
                "money_bank": [], "money_sheet": [sheet.pk], "money_deposit": [deposit.pk],
                "money_session": [sheet.session_id]}
    for name, args in expected.items():
        assert f'href="{reverse(name, args=args)}' in body
