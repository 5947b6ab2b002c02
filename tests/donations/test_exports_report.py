"""The printable reconciliation report of a drive through the view: every bucket's counts with
all their counters and exceptions, deposits and bank lines, variances and their explanations,
bank adjustments, adjustment entries, card gifts, who reconciled (or "not reconciled yet");
who may open it; queries that do not grow with the buckets."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from donations.books import drive_reconcile, drive_reopen
from tests.donations.books_fixtures import (
    agree,
    banked,
    count_of,
    counted,
    deposited,
    quantities_for,
    ready_to_reconcile,
    second_world,
    sheet_for,
)
from tests.donations.exports_fixtures import card_gift, full_books
from tests.donations.money_world import MoneyWorld
from tests.factories import captain, treasurer

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return MoneyWorld(buckets=3)


def report_url(world) -> str:
    return reverse("money_reconciliation_report", args=[world.event.pk])


def text_of(response) -> str:
    """The page's words without tags, spaces squeezed."""
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", body)


def test_report_url_is_under_the_drive():
    assert reverse("money_reconciliation_report", args=[4]) == "/money/drives/4/report/"


def test_report_before_reconciliation_says_so_and_lists_what_stands_in_the_way(client, world):
    counted(world, 0, 1000)
    client.force_login(world.tess)

    response = client.get(report_url(world))

    words = text_of(response)
    assert response.status_code == 200
    assert "Not reconciled yet (the money stands at “Open”)." in words
    assert f"Buckets {world.buckets[1].number}, {world.buckets[2].number} have not been " \
           "opened for counting." in words
    assert response.context["report"].reconciled_by is None


def test_report_shows_every_count_with_its_counter_and_exception(client, world):
    sheet = sheet_for(world, world.returns[0])
    quantities = quantities_for(4000)
    count_of(sheet, counter=world.ann, letter="A", quantities=quantities_for(3900))
    second = count_of(sheet, counter=world.ben, letter="B", quantities=quantities)
    third = count_of(sheet, counter=world.tess, letter="C", quantities=quantities,
                     override_reason="Tess collected on this team last year; nobody else left.")
    agree(sheet, third, second)
    client.force_login(treasurer())

    words = text_of(client.get(report_url(world)))

    assert f"A by {world.ann.name}: $39.00 (cash $39.00, checks $0.00)" in words
    assert f"B by {world.ben.name}: $40.00 (cash $40.00, checks $0.00)" in words
    assert f"C by {world.tess.name}: $40.00 (cash $40.00, checks $0.00)" in words
    assert ("Counter exception: Tess collected on this team last year; nobody else left."
            in words)
    assert "3 counts in all, by" in words


def test_report_after_reconciliation_has_everything_and_who_reconciled(client, world):
    books = full_books(world)
    step = drive_reconcile(event=world.event, by=world.tess, note="All matched on Monday.",
                           explanations={f"bank_{books.deposit.pk}": ""})
    client.force_login(world.tess)

    response = client.get(report_url(world))

    words = text_of(response)
    report = response.context["report"]
    assert report.reconciled_by == step
    assert f"Reconciled by {world.tess.name} on" in words
    assert "The books of this drive are locked." in words
    assert "All matched on Monday." in words
    # Buckets and figures: 170 + 45.50 + 5 (odd item) + 87.25 - 20 (bank) and an entry of 3.
    assert [item.trip.figure_cents for item in report.trips] == [17000, 5050, 6725]
    assert "Street money (drive total) $290.75" in words
    assert "Card and online gifts (2 gifts) $125.00" in words
    assert "Processor fees on those gifts $3.20" in words
    assert "Raised in all $415.75" in words
    assert "1 card gift carries no known team or site code." in words
    # The deposit and its bank line.
    line = books.match.bank_line
    assert "D-77" in words
    assert f"{line.reference} · $287.75" in words
    assert "Bank difference" in words and "-$20.00" in words
    # The bank adjustment and the bucket it concerns.
    assert ("Counterfeit note removed: The bank removed a counterfeit $20 note." in words)
    assert f"{world.buckets[2]}: -$20.00" in words
    # The variance and how it was explained (by the bank adjustment).
    [variance] = report.variances
    assert variance.variance.kind == "bank"
    assert "Deposit slip D-77: the bank received $287.75 for $307.75 counted" in words
    # The adjustment entry.
    assert escape("Three $1 bills found in the bucket's lining.") in response.content.decode()
    assert f"{world.tess.name}, approved by {world.ben.name}" in words
    assert "Reconciled by (treasurer): name and signature" in words


def test_report_shows_the_words_a_variance_was_reconciled_with(client, world):
    agreed = [counted(world, index, 1000) for index in range(3)]
    deposit = deposited(world, agreed, declared=3100, slip="D-9")
    banked(deposit)
    drive_reconcile(event=world.event, by=world.tess, explanations={
        f"declared_{deposit.pk}": "The depositor wrote 31 instead of 30 on the slip."})
    client.force_login(world.tess)

    response = client.get(report_url(world))

    [item] = response.context["report"].variances
    assert item.explanation == "The depositor wrote 31 instead of 30 on the slip."
    assert "The depositor wrote 31 instead of 30 on the slip." in text_of(response)


def test_report_after_reopening_says_not_reconciled_and_keeps_the_history(client, world):
    ready_to_reconcile(world)
    drive_reconcile(event=world.event, by=world.tess, explanations={})
    drive_reopen(event=world.event, by=world.superuser, reason="A check bounced.")
    client.force_login(world.tess)

    words = text_of(client.get(report_url(world)))

    assert "Not reconciled yet" in words
    assert f"Reopened by {world.superuser.name} on" in words
    assert "A check bounced." in words
    assert f"Reconciled by {world.tess.name} on" in words


def test_report_is_a_print_page(client, world):
    client.force_login(world.tess)

    body = client.get(report_url(world)).content.decode()

    assert "css/print.css" in body
    assert "js/print.js" in body
    assert 'class="print-sheet money-report"' in body
    assert "style=" not in body.split("<main", 1)[1]


# --- Who may open it --------------------------------------------------------------------------


def test_report_sends_anonymous_people_to_log_in(client, world):
    response = client.get(report_url(world))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["volunteer", "captain", "organizer"])
def test_report_refuses_everyone_but_treasurers(client, world, who):
    client.force_login(captain() if who == "captain" else getattr(world, who))

    assert client.get(report_url(world)).status_code == 403


@pytest.mark.parametrize("who", ["tess", "superuser"])
def test_report_opens_for_treasurers_and_superusers(client, world, who):
    client.force_login(getattr(world, who))

    assert client.get(report_url(world)).status_code == 200


def test_report_of_a_drive_that_does_not_exist_is_404(client, world):
    client.force_login(world.tess)

    assert client.get(reverse("money_reconciliation_report", args=[10**9])).status_code == 404


# --- Queries ----------------------------------------------------------------------------------


def _queries(client, world) -> int:
    client.force_login(world.tess)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(report_url(world)).status_code == 200
    return len(queries)


def test_report_queries_do_not_grow_with_the_buckets(client):
    small = MoneyWorld(buckets=2)
    agreed = [counted(small, index, 1000, checks=(200,)) for index in range(2)]
    banked(deposited(small, agreed))
    card_gift(small, cents=500)
    few = _queries(client, small)

    big = second_world(small, buckets=12)
    agreed = [counted(big, index, 1000 + index, checks=(200, 300)) for index in range(12)]
    banked(deposited(big, agreed[:6]))
    banked(deposited(big, agreed[6:]))
    for n in range(30):
        card_gift(big, cents=500 + n)
    many = _queries(client, big)

    assert many == few
