"""The counting pages, through the views, as treasurers at the counting table meet them:
opening a session and the returned buckets, counting blind (B never sees A's figures on any
page), the second counter signing in on the same tablet, the recount, counter independence and
its override, odd items' proceeds, refusals at the field with everything typed kept, conflicts,
who may open each page, and query counts."""

import re
import uuid

import pytest
from django.urls import reverse

from donations.counting import count_submit, session_open, session_update, sheet_open
from donations.models import (
    AgreedCount,
    Count,
    CountSession,
    CountSheet,
    DriveMoneyStep,
    OddItemProceeds,
)
from donations.money import DENOMINATIONS
from tests.donations.money_world import MoneyWorld
from tests.factories import PASSWORD, EventFactory, RoleGrantFactory, UserFactory
from volunteers.models import Role

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(name, args=args)


@pytest.fixture
def world():
    return MoneyWorld(buckets=2)


@pytest.fixture
def session(world):
    return session_open(event=world.event, place="Peoples Church hall", by=world.ann,
                        present=[world.ann, world.ben])


@pytest.fixture
def sheet(world, session):
    return sheet_open(session=session, returned=world.returns[0], by=world.ann)


def count_data(quantities=None, *, checks=(), odd_items=(), check_rows=3, odd_rows=2,
               **extra):
    """What the count form sends: every denomination (blank unless given), the two formsets'
    rows and management forms."""
    data = {d.code: "" for d in DENOMINATIONS}
    data.update({code: str(value) for code, value in (quantities or {}).items()})
    rows = max(check_rows, len(checks))
    data.update({"checks-TOTAL_FORMS": str(rows), "checks-INITIAL_FORMS": "0",
                 "checks-MIN_NUM_FORMS": "0", "checks-MAX_NUM_FORMS": "60"})
    for index in range(rows):
        row = checks[index] if index < len(checks) else {}
        for name in ("number", "payer", "amount", "donor_name", "donor_address"):
            data[f"checks-{index}-{name}"] = row.get(name, "")
    items = max(odd_rows, len(odd_items))
    data.update({"odd_items-TOTAL_FORMS": str(items), "odd_items-INITIAL_FORMS": "0",
                 "odd_items-MIN_NUM_FORMS": "0", "odd_items-MAX_NUM_FORMS": "30"})
    for index in range(items):
        data[f"odd_items-{index}-description"] = odd_items[index] if index < len(
            odd_items) else ""
    data["request_token"] = str(uuid.uuid4())
    data["override_reason"] = ""
    data.update(extra)
    return data


# Seven twenties and three quarters: $140.75, a figure no page shows by accident.
A_FIGURES = {"bill_20": 7, "coin_25": 3}
A_TOTAL = "$140.75"


def post_count(client, sheet, quantities=None, **kwargs):
    return client.post(url("money_count", sheet.pk), count_data(quantities, **kwargs))


def text(response) -> str:
    return response.content.decode()


# --- Who may open the pages ----------------------------------------------------------------


def counting_urls(world, sheet):
    item = _agreed_item(world, sheet)
    return [url("money_session_new", world.event.pk), url("money_session", sheet.session_id),
            url("money_sheet", sheet.pk), url("money_count", sheet.pk),
            url("money_switch_counter", sheet.pk), url("money_proceeds", item.pk)]


def _agreed_item(world, sheet):
    for counter in (world.ann, world.ben):
        count_submit(sheet=sheet, counter=counter, quantities={"bill_5": 1}, checks=[],
                     odd_items=["Canadian quarter"])
    return AgreedCount.objects.get(sheet=sheet).count.odd_items.get()


def test_anonymous_visitors_are_sent_to_log_in(client, world, sheet):
    for address in counting_urls(world, sheet):
        response = client.get(address)
        assert response.status_code == 302, address
        assert response["Location"].startswith(reverse("account_login")), address


@pytest.mark.parametrize("who", ["volunteer", "organizer", "collector"])
def test_people_who_are_not_treasurers_are_refused(client, world, sheet, who):
    client.force_login(getattr(world, who) if who != "collector" else world.collectors[0])

    for address in counting_urls(world, sheet):
        assert client.get(address).status_code == 403, address
        assert client.post(address, {"action": "open"}).status_code == 403, address
    assert not CountSession.objects.exclude(pk=sheet.session_id).exists()


@pytest.mark.parametrize("who", ["tess", "superuser"])
def test_treasurers_and_superusers_open_the_pages(client, world, sheet, who):
    client.force_login(getattr(world, who))

    addresses = counting_urls(world, sheet)
    for address in addresses[:3]:
        assert client.get(address).status_code == 200, address
    # Agreed: the count page sends back to the sheet; switch and proceeds take POSTs.
    assert client.get(addresses[3]).status_code == 302
    assert client.get(addresses[5]).status_code == 405


def test_money_pages_are_never_cached(client, world, sheet):
    client.force_login(world.ann)

    for address in (url("money_sheet", sheet.pk), url("money_count", sheet.pk),
                    url("money_session", sheet.session_id)):
        assert "no-store" in client.get(address)["Cache-Control"]


def test_a_session_for_an_event_that_is_not_a_drive_is_not_found(client, world):
    meeting = EventFactory(kind="meeting")
    client.force_login(world.ann)

    assert client.get(url("money_session_new", meeting.pk)).status_code == 404


# --- Sessions ------------------------------------------------------------------------------


def session_form(world, **overrides):
    data = {"place": "Peoples Church hall", "started_at": "2026-11-26T21:00",
            "present": [world.ann.pk, world.ben.pk], "note": "",
            "form_token": str(uuid.uuid4())}
    data.update(overrides)
    return data


def test_opening_a_session_goes_to_it(client, world):
    client.force_login(world.ann)
    page = client.get(url("money_session_new", world.event.pk))
    assert page.status_code == 200
    assert world.ben.name in text(page)  # treasurers to tick as present
    assert world.organizer.name not in text(page)

    response = client.post(url("money_session_new", world.event.pk), session_form(world))

    session = CountSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("money_session", session.pk)
    assert session.place == "Peoples Church hall"
    assert set(session.present.all()) == {world.ann, world.ben}


def test_a_session_form_sent_twice_opens_one_session(client, world):
    client.force_login(world.ann)
    data = session_form(world)

    first = client.post(url("money_session_new", world.event.pk), data)
    second = client.post(url("money_session_new", world.event.pk), data)

    assert CountSession.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_a_session_without_a_place_is_refused_at_the_field(client, world):
    client.force_login(world.ann)

    response = client.post(url("money_session_new", world.event.pk),
                           session_form(world, place="", note="Bring the scale"))

    assert response.status_code == 422
    assert "This field is required." in text(response)
    assert "Bring the scale" in text(response)
    assert not CountSession.objects.exists()


def test_the_session_page_lists_returns_and_opens_them(client, world, session):
    client.force_login(world.ben)
    page = client.get(url("money_session", session.pk))
    assert page.status_code == 200
    for returned in world.returns:
        assert f'id="return-{returned.pk}"' in text(page)

    response = client.post(url("money_session", session.pk), {
        "action": "open", "open-returned": [r.pk for r in world.returns]})

    assert response.status_code == 302
    assert CountSheet.objects.filter(session=session).count() == 2
    page = client.get(url("money_session", session.pk))
    assert "Every returned bucket of this drive is opened for counting." in text(page)
    assert text(page).count('id="sheet-') == 2


def test_opening_nothing_is_refused(client, world, session):
    client.force_login(world.ben)

    response = client.post(url("money_session", session.pk), {"action": "open"})

    assert response.status_code == 422
    assert "Tick the buckets to open for counting." in text(response)


def test_opening_a_bucket_never_returned_is_refused(client, world, session):
    bucket = world.bucket_out()
    issued = bucket.custody.get()
    client.force_login(world.ben)

    response = client.post(url("money_session", session.pk), {
        "action": "open", "open-returned": [world.returns[0].pk, issued.pk]})

    assert response.status_code == 422
    assert "was not returned on this drive" in text(response)
    assert not CountSheet.objects.exists()


def test_a_stale_session_edit_is_a_conflict_that_keeps_the_input(client, world, session):
    session_update(session=session, version=1, place="Fellowship room",
                   present=[world.ann, world.ben], note="", by=world.ben)
    client.force_login(world.tess)
    data = {"action": "edit", "edit-place": "Kitchen", "edit-present": [world.tess.pk],
            "edit-note": "My note", "edit-version": "1"}

    response = client.post(url("money_session", session.pk), data)

    assert response.status_code == 409
    page = text(response)
    assert (f"{world.ben.name} saved this count session a moment ago; your changes were not "
            "saved.") in page
    assert 'value="Kitchen"' in page and "My note" in page  # the person's input is kept
    assert "What is saved now" in page and "Fellowship room" in page
    assert 'name="edit-version" value="2"' in page
    session.refresh_from_db()
    assert session.place == "Fellowship room"

    again = client.post(url("money_session", session.pk), {**data, "edit-version": "2"})

    assert again.status_code == 302
    session.refresh_from_db()
    assert session.place == "Kitchen"


def test_closing_a_session_stops_opening_buckets(client, world, session):
    client.force_login(world.ann)

    client.post(url("money_session", session.pk), {
        "action": "edit", "edit-place": "Hall", "edit-present": [world.ann.pk, world.ben.pk],
        "edit-note": "", "edit-version": "1", "edit-close": "on"})

    page = text(client.get(url("money_session", session.pk)))
    assert "This session is closed." in page
    response = client.post(url("money_session", session.pk), {
        "action": "open", "open-returned": [world.returns[0].pk]})
    assert response.status_code == 422
    assert "This count session is closed." in text(response)


def test_fewer_than_two_people_present_is_pointed_out(client, world):
    session = session_open(event=world.event, place="Hall", by=world.ann, present=[world.ann])
    client.force_login(world.ann)

    page = text(client.get(url("money_session", session.pk)))

    assert "Buckets are opened in front of at least two people." in page


# --- Counting ------------------------------------------------------------------------------


def test_the_count_form_has_a_row_per_denomination_and_a_live_total(client, world, sheet):
    client.force_login(world.ann)

    response = client.get(url("money_count", sheet.pk))

    page = text(response)
    assert response.status_code == 200
    for denomination in DENOMINATIONS:
        assert f'data-unit-cents="{denomination.unit_cents}"' in page
        assert f'data-line-for="{denomination.code}"' in page
    assert page.count('inputmode="numeric"') == len(DENOMINATIONS)
    assert 'name="checks-2-payer"' in page and 'name="checks-3-payer"' not in page
    assert "js/count-total.js" in page
    assert f"Counting as <strong>{world.ann.name}</strong>" in page
    assert "Not you? Another treasurer signs in here" in page


def test_count_a_is_saved_and_the_tablet_shows_the_hand_over_not_the_figures(client, world,
                                                                             sheet):
    client.force_login(world.ann)

    response = post_count(client, sheet, A_FIGURES)

    assert response.status_code == 302
    assert response["Location"] == url("money_count", sheet.pk)
    count = Count.objects.get()
    assert (count.letter, count.counter, count.total_cents) == ("A", world.ann, 14075)
    page = text(client.get(response["Location"]))
    assert (f"Count A of Bucket {world.buckets[0].number} is saved. Now a second "
            "treasurer counts it blind (count B).") in page
    assert "140.75" not in page
    assert "Count B is made blind by another treasurer: hand over the tablet" in page
    assert '<details id="switch" open>' in page


def test_the_counter_of_a_sees_their_own_figures_on_the_sheet(client, world, sheet):
    client.force_login(world.ann)
    post_count(client, sheet, A_FIGURES)

    page = text(client.get(url("money_sheet", sheet.pk)))

    assert A_TOTAL in page
    assert "Side by side" not in page


def test_counter_b_cannot_see_count_a_on_any_page(client, world, sheet):
    client.force_login(world.ann)
    post_count(client, sheet, A_FIGURES, checks=[{"payer": "Rosa Diaz", "amount": "33.33"}],
               odd_items=["Mexican peso"])
    client.force_login(world.ben)

    pages = [client.get(address) for address in (
        url("money_sheet", sheet.pk), url("money_count", sheet.pk),
        url("money_session", sheet.session_id))]

    for page in pages:
        assert page.status_code == 200
        body = text(page)
        for secret in ("140.75", "174.08", "33.33", "Rosa Diaz", "Mexican peso", "60.75"):
            assert secret not in body
    assert "Hidden" in text(pages[0])
    assert "Blind counting: nobody sees a count's figures" in text(pages[0])


def test_count_b_equal_to_a_agrees_and_both_are_shown_side_by_side(client, world, sheet):
    client.force_login(world.ann)
    post_count(client, sheet, A_FIGURES)
    client.force_login(world.ben)

    response = post_count(client, sheet, A_FIGURES)

    assert response.status_code == 302
    agreed = AgreedCount.objects.get()
    assert agreed.total_cents == 14075
    page = text(client.get(url("money_sheet", sheet.pk)))
    assert f"is agreed at {A_TOTAL}" in page
    assert "Side by side" in page
    assert 'class="differs' not in page


def test_the_counter_of_a_is_asked_to_hand_over_the_tablet(client, world, sheet):
    client.force_login(world.ann)
    post_count(client, sheet, A_FIGURES)

    page = client.get(url("money_count", sheet.pk))
    response = post_count(client, sheet, A_FIGURES)

    assert f"You made count A of Bucket {world.buckets[0].number}." in text(page)
    assert "data-count-form" not in text(page)
    assert response.status_code == 422
    assert "Count B must be made by another person" in text(response)
    assert Count.objects.count() == 1


def test_the_second_counter_signs_in_on_the_same_tablet(client, world, sheet):
    client.force_login(world.ann)
    post_count(client, sheet, A_FIGURES)

    response = client.post(url("money_switch_counter", sheet.pk), {
        "switch-email": world.ben.email, "switch-password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == url("money_count", sheet.pk)
    page = text(client.get(response["Location"]))
    assert f"Counting as <strong>{world.ben.name}</strong>" in page
    assert "140.75" not in page
    assert post_count(client, sheet, A_FIGURES).status_code == 302
    assert Count.objects.get(letter="B").counter == world.ben


def test_a_wrong_password_on_the_tablet_is_refused_at_the_field(client, world, sheet):
    client.force_login(world.ann)

    response = client.post(url("money_switch_counter", sheet.pk), {
        "switch-email": world.ben.email, "switch-password": "not-the-password"})

    assert response.status_code == 422
    assert "That email and password do not match." in text(response)
    assert f'value="{world.ben.email}"' in text(response)
    assert f"Counting as <strong>{world.ann.name}</strong>" in text(response)


def test_a_non_treasurer_cannot_sign_in_to_count(client, world, sheet):
    client.force_login(world.ann)

    response = client.post(url("money_switch_counter", sheet.pk), {
        "switch-email": world.organizer.email, "switch-password": PASSWORD})

    assert response.status_code == 422
    assert "is not a treasurer: only treasurers count money." in text(response)
    page = text(client.get(url("money_count", sheet.pk)))
    assert f"Counting as <strong>{world.ann.name}</strong>" in page


def test_an_unconfirmed_email_cannot_sign_in_to_count(client, world, sheet):
    person = UserFactory(verified=False)
    RoleGrantFactory(user=person, role=Role.TREASURER)
    client.force_login(world.ann)

    response = client.post(url("money_switch_counter", sheet.pk), {
        "switch-email": person.email, "switch-password": PASSWORD})

    assert response.status_code == 422
    assert "has not confirmed this email address yet" in text(response)


def test_the_switch_page_only_takes_posts(client, world, sheet):
    client.force_login(world.ann)

    response = client.get(url("money_switch_counter", sheet.pk))

    assert response["Location"] == url("money_count", sheet.pk)


def test_counts_that_differ_are_recounted_blind_by_a_third_treasurer(client, world, sheet):
    client.force_login(world.ann)
    post_count(client, sheet, A_FIGURES)
    client.force_login(world.ben)
    response = post_count(client, sheet, {"bill_20": 7, "coin_25": 4})
    handover = text(client.get(response["Location"]))
    assert "Count B differs from count A: a recount (count C) is needed" in handover
    assert "The next count (count C) is made blind by someone who has not counted" in handover
    assert "140.75" not in handover and "141.00" not in handover
    # Ben counted: on the sheet he sees both, the differing row marked.
    page = text(client.get(url("money_sheet", sheet.pk)))
    assert "140.75" in page and "141.00" in page
    assert 'class="differs' in page
    client.force_login(world.tess)

    blind = text(client.get(url("money_sheet", sheet.pk)))
    form = text(client.get(url("money_count", sheet.pk)))
    response = post_count(client, sheet, A_FIGURES)

    for page in (blind, form):
        assert "140.75" not in page and "141.00" not in page
    assert "so the recount is blind too" in blind
    assert "Count this bucket (count C)" in blind
    assert response.status_code == 302
    assert response["Location"] == url("money_sheet", sheet.pk)
    agreed = AgreedCount.objects.get()
    assert (agreed.count.letter, agreed.matched.letter) == ("A", "C")
    page = text(client.get(response["Location"]))
    assert f"Count C is saved and equals count A: Bucket {world.buckets[0].number} is agreed " \
        f"at {A_TOTAL}." in page


def test_an_earlier_counter_may_recount_with_a_reason(client, world, sheet):
    client.force_login(world.ann)
    post_count(client, sheet, A_FIGURES)
    client.force_login(world.ben)
    post_count(client, sheet, {"bill_20": 8})

    handover = text(client.get(url("money_count", sheet.pk)))
    anyway = text(client.get(url("money_count", sheet.pk) + "?anyway=1"))
    response = post_count(client, sheet, {"bill_20": 8},
                          override_reason="Two treasurers tonight; Ann watched")

    assert "data-count-form" not in handover
    assert "I recount it myself" in handover
    assert "You already made count B" in anyway
    assert 'name="override_reason"' in anyway
    assert response.status_code == 302
    agreed = AgreedCount.objects.get()
    assert (agreed.count.letter, agreed.matched.letter) == ("B", "C")
    assert agreed.matched.override_reason == "Two treasurers tonight; Ann watched"


@pytest.mark.parametrize(("value", "message"), [
    ("-3", "A quantity cannot be negative."),
    ("1.5", "Enter a whole number."),
    ("two", "Enter a whole number."),
    ("²", "Enter a whole number."),
    ("1000000", "That quantity is too large to be right."),
])
def test_a_bad_quantity_is_refused_at_its_row_and_the_rest_is_kept(client, world, sheet,
                                                                    value, message):
    client.force_login(world.ann)

    response = post_count(client, sheet, {"bill_20": 7, "coin_10": value},
                          checks=[{"payer": "Rosa Diaz", "amount": "33.33"}],
                          odd_items=["Mexican peso"])

    page = text(response)
    assert response.status_code == 422
    assert "Nothing was saved. Fix what is marked below" in page
    assert re.search(r'id="id_coin_10_error"[^>]*>.*?' + re.escape(message), page, re.S)
    assert 'name="bill_20" value="7"' in page
    assert 'value="Rosa Diaz"' in page and 'value="33.33"' in page
    assert 'value="Mexican peso"' in page
    assert not Count.objects.exists()


def test_a_check_without_payer_is_refused_at_its_row(client, world, sheet):
    client.force_login(world.ann)

    response = post_count(client, sheet, {"bill_1": 2},
                          checks=[{"payer": "Rosa", "amount": "10"}, {"amount": "25.00"}])

    page = text(response)
    assert response.status_code == 422
    assert re.search(r'id="id_checks-1-payer_error"[^>]*>.*?Write who the check is from',
                     page, re.S)
    assert not Count.objects.exists()


def test_a_check_amount_with_three_decimals_is_refused(client, world, sheet):
    client.force_login(world.ann)

    response = post_count(client, sheet, checks=[{"payer": "Rosa", "amount": "10.005"}])

    assert response.status_code == 422
    assert "Enter an amount in dollars and cents, like 12.50." in text(response)


def test_a_blank_check_row_between_filled_ones_is_left_out(client, world, sheet):
    client.force_login(world.ann)

    response = post_count(client, sheet, checks=[{"payer": "Rosa", "amount": "10"}, {},
                                                 {"payer": "Sam", "amount": "$1,000.50"}])

    assert response.status_code == 302
    count = Count.objects.get()
    assert [(c.payer, c.amount_cents) for c in count.checks.all()] == [
        ("Rosa", 1000), ("Sam", 100050)]


def test_an_empty_form_asks_whether_the_bucket_was_empty(client, world, sheet):
    client.force_login(world.ann)

    refused = post_count(client, sheet)
    saved = post_count(client, sheet, empty="on")

    assert refused.status_code == 422
    assert "Nothing is entered. If the bucket was really empty, tick this box" in text(refused)
    assert saved.status_code == 302
    assert Count.objects.get().total_cents == 0


def test_empty_ticked_with_money_entered_is_refused(client, world, sheet):
    client.force_login(world.ann)

    response = post_count(client, sheet, {"bill_5": 1}, empty="on")

    assert response.status_code == 422
    assert "You ticked “empty” but entered money or items" in text(response)


def test_more_rows_adds_check_rows_and_saves_nothing(client, world, sheet):
    client.force_login(world.ann)

    response = post_count(client, sheet, {"bill_20": 7},
                          checks=[{"payer": "Rosa", "amount": "10"}], more_checks="1")

    page = text(response)
    assert response.status_code == 200
    assert 'name="checks-TOTAL_FORMS" value="6"' in page
    assert 'name="checks-5-payer"' in page
    assert 'value="Rosa"' in page and 'name="bill_20" value="7"' in page
    assert not Count.objects.exists()


def test_more_rows_adds_odd_item_rows(client, world, sheet):
    client.force_login(world.ann)

    response = post_count(client, sheet, odd_items=["ring"], more_odd_items="1")

    assert 'name="odd_items-TOTAL_FORMS" value="5"' in text(response)
    assert not Count.objects.exists()


def test_working_out_the_total_without_javascript(client, world, sheet):
    client.force_login(world.ann)

    response = post_count(client, sheet, A_FIGURES, checks=[{"payer": "R", "amount": "9.25"}],
                          work_out="1")

    page = text(response)
    assert response.status_code == 200
    assert '<output id="count-total" aria-live="polite">$150.00</output>' in page
    assert '<output data-line-for="bill_20" for="id_bill_20">$140.00</output>' in page
    assert not Count.objects.exists()


def test_a_collector_who_is_a_treasurer_must_give_a_reason(client, world, sheet):
    collector = world.collectors[0]
    RoleGrantFactory(user=collector, role=Role.TREASURER)
    client.force_login(collector)

    page = text(client.get(url("money_count", sheet.pk)))
    refused = post_count(client, sheet, A_FIGURES)
    saved = post_count(client, sheet, A_FIGURES,
                       override_reason="Only three of us; I counted in front of Ann")

    assert "You are on Peoples Church Youth" in page
    assert 'name="override_reason"' in page
    assert refused.status_code == 422
    assert re.search(r'id="id_override_reason_error"[^>]*>.*?You are on Peoples', text(refused),
                     re.S)
    assert 'name="bill_20" value="7"' in text(refused)
    assert saved.status_code == 302
    sheet_page = text(client.get(url("money_sheet", sheet.pk)))
    assert "Not independent" in sheet_page
    assert "Counted anyway, because: Only three of us; I counted in front of Ann" in sheet_page


def test_an_independent_counter_sees_no_reason_field(client, world, sheet):
    client.force_login(world.ann)

    page = text(client.get(url("money_count", sheet.pk)))

    assert 'name="override_reason"' not in page


def test_counting_an_agreed_bucket_sends_to_its_sheet(client, world, sheet):
    for counter in (world.ann, world.ben):
        count_submit(sheet=sheet, counter=counter, quantities=A_FIGURES, checks=[],
                     odd_items=[])
    client.force_login(world.tess)

    page = client.get(url("money_count", sheet.pk))
    late = post_count(client, sheet, {"bill_20": 9})

    assert page["Location"] == url("money_sheet", sheet.pk)
    assert late.status_code == 409
    assert "already has an agreed count (A and B match)" in text(late)
    assert 'name="bill_20" value="9"' in text(late)
    assert Count.objects.count() == 2


def test_a_count_sent_twice_is_saved_once(client, world, sheet):
    client.force_login(world.ann)
    data = count_data(A_FIGURES)

    client.post(url("money_count", sheet.pk), data)
    again = client.post(url("money_count", sheet.pk), data)

    assert again.status_code == 302
    assert Count.objects.count() == 1
    assert "already saved (the form was sent twice)" in text(client.get(again["Location"]))


def test_a_locked_drive_shows_no_count_form(client, world, sheet):
    DriveMoneyStep.objects.create(event=world.event, kind="reconciled", by=world.tess)
    client.force_login(world.ann)

    page = text(client.get(url("money_count", sheet.pk)))
    response = post_count(client, sheet, A_FIGURES)

    assert "reconciled and locked" in page
    assert "data-count-form" not in page
    assert response.status_code == 422
    assert not Count.objects.exists()


def test_missing_formset_data_is_refused_not_an_error(client, world, sheet):
    client.force_login(world.ann)

    response = client.post(url("money_count", sheet.pk), {"bill_20": "3"})

    assert response.status_code == 422
    assert not Count.objects.exists()


# --- Odd items -----------------------------------------------------------------------------


def test_posting_what_an_odd_item_brought(client, world, sheet):
    item = _agreed_item(world, sheet)
    client.force_login(world.tess)
    page = text(client.get(url("money_sheet", sheet.pk)))
    assert "Canadian quarter" in page and "Pending" in page

    response = client.post(url("money_proceeds", item.pk), {
        f"item{item.pk}-how": "exchanged", f"item{item.pk}-amount": "0.18",
        f"item{item.pk}-note": "Bank of the West"})

    assert response.status_code == 302
    assert OddItemProceeds.objects.get().amount_cents == 18
    page = text(client.get(url("money_sheet", sheet.pk)))
    assert "Exchanged: $0.18" in page
    assert "with odd items' proceeds: $5.18" in page


def test_bad_proceeds_are_refused_at_the_field(client, world, sheet):
    item = _agreed_item(world, sheet)
    client.force_login(world.tess)

    response = client.post(url("money_proceeds", item.pk), {
        f"item{item.pk}-how": "sold", f"item{item.pk}-amount": "", f"item{item.pk}-note": "x"})

    assert response.status_code == 422
    assert re.search(rf'id="id_item{item.pk}-amount_error"[^>]*>.*?Write what it brought',
                     text(response), re.S)
    assert not OddItemProceeds.objects.exists()


def test_proceeds_posted_twice_say_so(client, world, sheet):
    item = _agreed_item(world, sheet)
    client.force_login(world.tess)
    data = {f"item{item.pk}-how": "sold", f"item{item.pk}-amount": "2",
            f"item{item.pk}-note": ""}
    client.post(url("money_proceeds", item.pk), data)

    again = client.post(url("money_proceeds", item.pk), data)

    assert again.status_code == 302
    assert "is already posted ($2.00" in text(client.get(again["Location"]))
    assert OddItemProceeds.objects.count() == 1


# --- Query counts --------------------------------------------------------------------------


def busy_session(size: int):
    world = MoneyWorld(buckets=size)
    session = session_open(event=world.event, place="Hall", by=world.ann,
                           present=[world.ann, world.ben])
    for index, returned in enumerate(world.returns):
        sheet = sheet_open(session=session, returned=returned, by=world.ann)
        if index % 3:
            count_submit(sheet=sheet, counter=world.ann, quantities={"bill_5": 1},
                         checks=[], odd_items=[])
        if index % 3 == 2:
            count_submit(sheet=sheet, counter=world.ben, quantities={"bill_5": 1},
                         checks=[], odd_items=[])
    world.return_another()  # one left to open
    return world, session


@pytest.mark.parametrize("size", [10, 100])
def test_the_session_page_runs_a_constant_number_of_queries(client, size,
                                                            django_assert_max_num_queries):
    world, session = busy_session(size)
    client.force_login(world.tess)

    with django_assert_max_num_queries(14):
        response = client.get(url("money_session", session.pk))

    assert response.status_code == 200
    assert text(response).count('id="sheet-') == size
    assert text(response).count('<tr id="return-') == 1


def test_sheet_and_count_pages_do_not_grow_with_counts(client, world, sheet,
                                                       django_assert_max_num_queries):
    for counter, bills in ((world.ann, 1), (world.ben, 2), (world.tess, 3)):
        count_submit(sheet=sheet, counter=counter, quantities={"bill_1": bills},
                     checks=[{"payer": "P", "amount_cents": 100 * n} for n in range(1, 6)],
                     odd_items=["a", "b"])
    client.force_login(world.ann)

    with django_assert_max_num_queries(14):
        assert client.get(url("money_sheet", sheet.pk)).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(url("money_count", sheet.pk)).status_code == 200


# --- Hostile input -------------------------------------------------------------------------


def test_hostile_values_are_refused_or_saved_clean_never_an_error(client, world, session):
    """Every counting form, each of the project's hostile values in each field: never a 500,
    and a refused post saves nothing. (tests/test_hostile_forms.py sweeps every page too; this
    one keeps each form on its own path: a saved count moves on to a fresh bucket, a posted
    item to the next item, a saved session edit to its new version.)"""
    hostile = ["2147483648", "9" * 40, "-1", "0", "Infinity", "1e1000000", "a\x00b",
               "line\nbreak", "x" * 5000, "\U0001f4a5" * 300, "", "\u00b2"]
    client.force_login(world.tess)
    items = []
    for _n in range(3):
        agreed_sheet = sheet_open(session=session, returned=world.return_another(), by=world.ann)
        for counter in (world.ann, world.ben):
            count_submit(sheet=agreed_sheet, counter=counter, quantities={"bill_1": 1},
                         checks=[], odd_items=[f"item {n}" for n in range(30)])
        items += list(AgreedCount.objects.get(sheet=agreed_sheet).count.odd_items.all())
    state = {"sheet": sheet_open(session=session, returned=world.return_another(), by=world.ann),
             "item": items.pop()}

    def rows():
        return (Count.objects.count(), CountSession.objects.count(),
                OddItemProceeds.objects.count(), CountSheet.objects.count())

    forms = {
        "count": (lambda: url("money_count", state["sheet"].pk),
                  lambda: count_data({"bill_20": 1}),
                  ["bill_20", "checks-0-amount", "checks-0-payer", "checks-TOTAL_FORMS",
                   "odd_items-0-description", "override_reason", "request_token"]),
        "edit": (lambda: url("money_session", session.pk),
                 lambda: {"action": "edit", "edit-place": "Hall", "edit-present": [world.ann.pk],
                          "edit-note": "",
                          "edit-version": str(CountSession.objects.get(pk=session.pk).version)},
                 ["edit-place", "edit-present", "edit-version"]),
        "open": (lambda: url("money_session", session.pk),
                 lambda: {"action": "open"}, ["open-returned"]),
        "new": (lambda: url("money_session_new", world.event.pk), lambda: session_form(world),
                ["place", "started_at", "present"]),
        "switch": (lambda: url("money_switch_counter", state["sheet"].pk),
                   lambda: {"switch-email": world.ben.email, "switch-password": "wrong-one1"},
                   ["switch-email", "switch-password"]),
        "proceeds": (lambda: url("money_proceeds", state["item"].pk),
                     lambda: {f"item{state['item'].pk}-how": "sold",
                              f"item{state['item'].pk}-amount": "1"},
                     ["how", "amount", "note"]),
    }
    for name, (address, base, keys) in forms.items():
        for key in keys:
            for value in hostile:
                data = base()
                field = f"item{state['item'].pk}-{key}" if name == "proceeds" else key
                data[field] = value
                before = rows()
                response = client.post(address(), data)
                assert response.status_code < 500, (name, key, value)
                if response.status_code >= 400:
                    assert rows() == before, (name, key, value)
                elif name == "count" and Count.objects.filter(sheet=state["sheet"]).exists():
                    state["sheet"] = sheet_open(session=session,
                                                returned=world.return_another(), by=world.ann)
                elif name == "proceeds" and OddItemProceeds.objects.filter(
                        odd_item=state["item"]).exists():
                    state["item"] = items.pop()
