"""A treasurers' evening and morning after, on a tablet in Debian's Chromium (issue 11).

Ann opens a count session and counts a returned bucket (count A); Ben signs in on the same
tablet through the page's own "another treasurer signs in" form and counts it blind (count B)
and differently; Tess signs in the same way and recounts (count C), which agrees with Ann.
Dora, who did not count, deposits it (her slip says five cents less than the counts), imports
the bank's CSV statement, where the bank shows $20 less (a counterfeit note removed), matches
it to the deposit and explains the difference with a bank adjustment allotted to the bucket.
Dora may not reconcile (she deposited); Rita, who neither counted nor deposited, reconciles
the drive with words for the slip's variance, and the drive's books show it locked.

Everything is found by role and label, as a person would, and no page is wider than the
tablet. The data arranged up front is what happens before the counting table: the drive, its
buckets issued and returned (tests/donations/money_world.py), and the treasurers."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from donations.models import AgreedCount, BankAdjustment, BankLine, Count, Deposit
from tests.browser.conftest import browser_as
from tests.donations.money_world import MoneyWorld
from tests.factories import PASSWORD, treasurer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 820, "height": 1180}
SLIP = "DS-4471"
# The reconcile page's boxes are labelled by the variance they explain.
SLIP_VARIANCE = (f"Deposit slip {SLIP}: the slip says $140.70, the counts it holds add up to "
                 "$140.75")
BANK_VARIANCE = f"Deposit slip {SLIP}: the bank received $120.75 for $140.75 counted"


def fits(page) -> None:
    """No page is wider than the tablet: nothing to scroll sideways."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= TABLET["width"], f"{page.url} is {width}px wide"


def field(page, label: str):
    """The form field labelled exactly ``label`` (Django's label tags end with a colon)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}:?\s*$"))


def count(page, twenties: str, quarters: str) -> None:
    page.get_by_label("$20 bills").fill(twenties)
    field(page, "Quarters").fill(quarters)


def sign_in_here(page, person) -> None:
    """The next counter takes the tablet and signs in as themselves on the count page."""
    if page.locator("#switch").get_attribute("open") is None:
        page.get_by_text("Not you? Another treasurer signs in here").click()
    field(page, "Email").fill(person.email)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in and count").click()


def bank_statement(tmp_path, day: datetime.date):
    """The bank's export: the deposit ($20 less than counted) and a fee (money out)."""
    path = tmp_path / "statement.csv"
    us = day.strftime("%m/%d/%Y")
    path.write_text("Date,Description,Amount,Reference\n"
                    f"{us},BRANCH DEPOSIT,120.75,{SLIP}\n"
                    f"{us},MONTHLY SERVICE FEE,-12.00,\n", encoding="utf-8")
    return path


def test_a_bucket_goes_from_the_counting_table_to_locked_books_on_a_tablet(
        chromium, live_server, tmp_path):
    world = MoneyWorld(buckets=1)
    bucket = str(world.buckets[0])
    dora = treasurer()  # deposits; counts nothing
    rita = treasurer()  # reconciles; neither counts nor deposits
    drive = world.event.title
    today = timezone.localdate()
    contexts = []
    try:
        # --- The counting table: Ann opens a session and counts (A) -------------------------
        context, tablet = browser_as(chromium, live_server, world.ann, viewport=TABLET)
        contexts.append(context)
        tablet.goto("/money/")
        fits(tablet)
        tablet.get_by_role("table", name="Drives and their money").get_by_role(
            "link", name=drive).click()
        expect(tablet.get_by_role("heading", level=1)).to_have_text(f"Books: {drive}")
        fits(tablet)
        tablet.get_by_role("link", name="Open a count session").click()
        field(tablet, "Place").fill("Peoples Church hall")
        field(tablet, world.ben.name).check()
        fits(tablet)
        tablet.get_by_role("button", name="Open the session").click()
        expect(tablet.get_by_role("heading", level=1)).to_have_text(
            "Count session: Peoples Church hall")
        field(tablet, bucket).check()
        tablet.get_by_role("button", name="Open for counting").click()
        expect(tablet.locator("ul.messages")).to_contain_text("Opened for counting: 1.")
        fits(tablet)
        tablet.get_by_role("link", name="Count it").click()

        expect(tablet.get_by_role("heading", level=1)).to_have_text(
            f"Count {bucket}: count A")
        count(tablet, "7", "3")
        expect(tablet.locator("#count-total")).to_have_text("$140.75")
        fits(tablet)
        tablet.get_by_role("button", name="Save count A").click()
        expect(tablet.locator("ul.messages")).to_contain_text(
            "is saved. Now a second treasurer counts it blind")
        assert "140.75" not in tablet.content()  # the hand-over screen shows no figure

        # --- Ben takes the tablet, signs in as himself and counts blind (B) -----------------
        sign_in_here(tablet, world.ben)
        expect(tablet.locator("#counting-as")).to_contain_text(f"Counting as {world.ben.name}")
        expect(tablet.get_by_role("heading", level=1)).to_have_text(
            f"Count {bucket}: count B")
        assert "140.75" not in tablet.content()
        assert tablet.get_by_label("$20 bills").input_value() == ""  # A's figures not filled
        tablet.get_by_role("link", name="Count sheet", exact=True).click()
        count_a = tablet.get_by_role("row", name=re.compile(rf"^A {re.escape(world.ann.name)}"))
        expect(count_a).to_contain_text("Hidden")
        assert "140.75" not in tablet.content()
        fits(tablet)
        tablet.get_by_role("link", name="Count this bucket (count B)").click()
        count(tablet, "7", "4")
        expect(tablet.locator("#count-total")).to_have_text("$141.00")
        tablet.get_by_role("button", name="Save count B").click()
        expect(tablet.locator("ul.messages")).to_contain_text("Count B differs from count A")
        assert "140.75" not in tablet.content() and "141.00" not in tablet.content()

        # --- Tess recounts (C), blind too, and agrees with Ann ------------------------------
        sign_in_here(tablet, world.tess)
        expect(tablet.get_by_role("heading", level=1)).to_have_text(
            f"Count {bucket}: count C")
        assert "140.75" not in tablet.content() and "141.00" not in tablet.content()
        count(tablet, "7", "3")
        tablet.get_by_role("button", name="Save count C").click()
        expect(tablet.locator("ul.messages")).to_contain_text(
            "Count C is saved and equals count A")
        expect(tablet.locator(".count-figure")).to_contain_text("Agreed count (A = C): $140.75")
        expect(tablet.locator(".count-compare tr.differs")).to_have_count(3)
        fits(tablet)
        assert Count.objects.filter(sheet__bucket=world.buckets[0]).count() == 3

        # --- Dora deposits the bucket --------------------------------------------------------
        context, desk = browser_as(chromium, live_server, dora, viewport=TABLET)
        contexts.append(context)
        desk.goto("/money/")
        drives = desk.get_by_role("table", name="Drives and their money")
        expect(drives.get_by_role("row", name=re.compile(drive))).to_contain_text("Counted")
        drives.get_by_role("link", name=drive).click()
        expect(desk.locator("ol.money-steps [aria-current=step]")).to_have_text("Counted")
        desk.get_by_role("link", name="Make a deposit").click()
        field(desk, bucket).check()
        field(desk, "Deposit slip number").fill(SLIP)
        field(desk, "Bag number").fill("B-12")
        field(desk, "Total on the slip").fill("140.70")  # a slip written five cents short
        expect(desk.locator("[data-selected]")).to_have_text("$140.75")
        expect(desk.locator("[data-difference]")).to_have_text("-$0.05")
        assert field(desk, "Taken to the bank by").input_value() == str(dora.pk)
        fits(desk)
        desk.get_by_role("button", name="Record the deposit").click()
        expect(desk.get_by_role("heading", level=1)).to_have_text(f"Deposit slip {SLIP}")
        expect(desk.locator("ul.messages")).to_contain_text(
            "The slip says $140.70 but the counts in it add up to $140.75")
        fits(desk)
        deposit_url = desk.url

        # --- The bank's CSV: upload, say which column holds what, preview, import ------------
        desk.get_by_role("link", name="Import the statement (CSV)").click()
        field(desk, "Bank statement (CSV file)").set_input_files(
            bank_statement(tmp_path, today))
        desk.get_by_role("button", name="Read the file").click()
        expect(desk.get_by_role("heading", name="Which column holds what")).to_be_visible()
        fits(desk)
        field(desk, "Date").select_option(label="A: Date")
        field(desk, "Dates are written").select_option(
            label="MM/DD/YYYY (06/03/2026, the US way)")
        field(desk, "Amount").select_option(label="C: Amount")
        field(desk, "Description").select_option(label="B: Description")
        field(desk, "Reference").select_option(label="D: Reference")
        field(desk, "Import only money coming in (deposits)").check()
        desk.get_by_role("button", name="Show the lines").click()
        expect(desk.get_by_text("1 new line to import, $120.75 in all")).to_be_visible()
        expect(desk.get_by_text("Passed over, money out: 1 row (3).")).to_be_visible()
        fits(desk)
        desk.get_by_role("button", name="Import 1 line").click()
        expect(desk.get_by_role("heading", level=1)).to_have_text("Bank lines")
        expect(desk.locator("ul.messages")).to_contain_text("from statement.csv ($120.75)")
        expect(desk.get_by_role("row", name=re.compile("BRANCH DEPOSIT"))).to_contain_text(
            "Not matched")
        fits(desk)
        assert BankLine.objects.get().amount_cents == 12075

        # --- Match the line to the deposit; the $20 difference shows --------------------------
        desk.goto(deposit_url)
        bank_line = field(desk, "Bank line")
        expect(bank_line.locator("option").nth(1)).to_contain_text(
            f"$120.75, “BRANCH DEPOSIT”, reference {SLIP} · -$20.00 from the count")
        bank_line.select_option(index=1)  # the closest line comes first
        desk.get_by_role("button", name="Match…").click()
        expect(desk.locator(".deposit-confirm")).to_contain_text(
            "The bank differs from the counts ($140.75) by -$20.00")
        fits(desk)
        desk.get_by_role("button", name="Yes, match them").click()
        expect(desk.locator("ul.messages")).to_contain_text("The bank shows -$20.00")
        figures = desk.locator(".deposit-figures > div")
        expect(figures.filter(has_text="Bank less counted")).to_contain_text("-$20.00")
        expect(figures.filter(has_text="Still to explain")).to_contain_text("-$20.00")

        # --- Explain it: a bank adjustment with its reason, allotted to the bucket -----------
        expect(desk.get_by_text("Still to explain: -$20.00.")).to_be_visible()
        expect(field(desk, "Amount")).to_have_value("-20.00")  # prefilled with it
        field(desk, "What the bank found").select_option(label="Counterfeit note removed")
        field(desk, "Explanation").fill(
            "The bank kept a counterfeit $20 note; their letter is ref. CF-2291.")
        field(desk, f"Bucket {world.buckets[0].number} (counted $140.75)").fill("-20.00")
        fits(desk)
        desk.get_by_role("button", name="Record the adjustment").click()
        expect(desk.locator("ul.messages")).to_contain_text(
            "The bank adjustment of -$20.00 is recorded.")
        expect(desk.get_by_text("The difference with the bank is explained.")).to_be_visible()
        expect(figures.filter(has_text="Still to explain")).to_contain_text("$0.00")
        expect(desk.locator(".deposit-adjustments")).to_contain_text("Counterfeit note removed")
        fits(desk)

        # --- Dora deposited, so she may not reconcile --------------------------------------
        desk.get_by_role("link", name=drive).click()
        expect(desk.locator("ol.money-steps [aria-current=step]")).to_have_text("Deposited")
        expect(desk.get_by_text("You deposited money of this drive")).to_be_visible()
        assert desk.get_by_role("link", name="Reconcile", exact=True).count() == 0
        desk.goto(f"/money/drives/{world.event.pk}/reconcile/")
        expect(desk.get_by_role("alert")).to_contain_text("You deposited money of this drive")
        field(desk, SLIP_VARIANCE).fill("Five cents miswritten on the slip.")
        with desk.expect_response(lambda response: response.request.method == "POST") as sent:
            desk.get_by_role("button", name="Reconcile and lock").click()
        assert sent.value.status == 422
        expect(desk.locator(".errors[role=alert]", has_text="You deposited money")).to_have_count(2)
        expect(field(desk, SLIP_VARIANCE)).to_have_value("Five cents miswritten on the slip.")
        assert not world.event.money_steps.exists()

        # --- Rita, who neither counted nor deposited, reconciles ------------------------------
        context, books = browser_as(chromium, live_server, rita, viewport=TABLET)
        contexts.append(context)
        books.goto(f"/money/drives/{world.event.pk}/")
        expect(books.get_by_role("heading", name="Variances")).to_be_visible()
        fits(books)
        books.get_by_role("link", name="Reconcile", exact=True).click()
        expect(books.get_by_role("heading", level=1)).to_have_text(f"Reconcile: {drive}")
        expect(books.get_by_text("Difference: -$0.05.")).to_be_visible()
        expect(books.get_by_text("Difference: -$20.00.")).to_be_visible()
        fits(books)
        books.get_by_role("button", name="Reconcile and lock").click()  # no words yet
        expect(books.get_by_text("Explain this variance in words.")).to_be_visible()
        assert not world.event.money_steps.exists()
        field(books, SLIP_VARIANCE).fill(
            "Dora wrote 140.70 on the slip by mistake; the bag held 140.75.")
        field(books, BANK_VARIANCE).fill("The counterfeit note the bank kept, see the adjustment.")
        books.get_by_role("button", name="Reconcile and lock").click()

        expect(books.get_by_role("heading", level=1)).to_have_text(f"Books: {drive}")
        expect(books.locator("ul.messages")).to_contain_text("are reconciled and locked")
        expect(books.get_by_role("heading", name="Locked", exact=True)).to_be_visible()
        expect(books.locator(".money-locked")).to_contain_text(f"Reconciled by {rita.name} on")
        expect(books.locator("ol.money-steps [aria-current=step]")).to_have_text("Reconciled")
        expect(books.get_by_text("Dora wrote 140.70 on the slip by mistake")).to_be_visible()
        assert books.get_by_role("link", name="Make a deposit").count() == 0
        fits(books)
        books.get_by_role("link", name="Money", exact=True).first.click()
        row = books.get_by_role("table", name="Drives and their money").get_by_role(
            "row", name=re.compile(drive))
        expect(row).to_contain_text("Reconciled")
        expect(row).to_contain_text("Locked")

        # The deposit itself now says so to Dora.
        desk.goto(deposit_url)
        expect(desk.get_by_text("Locked: the drive is reconciled")).to_be_visible()
        assert desk.get_by_role("button", name="Record the adjustment").count() == 0
        fits(desk)
    finally:
        for context in contexts:
            context.close()

    agreed = AgreedCount.objects.get()
    assert (agreed.count.counter, agreed.matched.counter) == (world.ann, world.tess)
    deposit = Deposit.objects.get()
    assert (deposit.depositor, deposit.declared_cents) == (dora, 14070)
    assert BankAdjustment.objects.get().amount_cents == -2000
    step = world.event.money_steps.get()
    assert (step.by, step.kind) == (rita, "reconciled")
