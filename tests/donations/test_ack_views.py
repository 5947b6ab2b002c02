"""The acknowledgment pages through the views: the list (missing ones first and marked, the
drive filter), sending by email once (a second try is a 409 that says when and how it went),
the printed letter in English and Spanish and "Record as sent by letter", refusals at the
field with nothing saved, who may open each page, query counts; and the two small additions
elsewhere: the check / named envelope select on the count form and the item a drive hands out
on the organizer's event form."""

import re
import uuid

import pytest
from django.urls import reverse

from donations.acknowledgments import CARD, CHECK, acknowledgment_record, gift_get
from donations.counting import count_submit, session_open, sheet_open
from donations.ledger import MoneyError
from donations.models import Acknowledgment, AgreedCount, CountCheck
from donations.money import DENOMINATIONS
from events.models import Event, EventKind
from tests.donations.ack_gifts import card_gift, named_check, named_checks
from tests.donations.books_fixtures import second_world
from tests.donations.money_world import MoneyWorld
from tests.factories import captain
from volunteers.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return MoneyWorld(buckets=3)


@pytest.fixture
def wristband(world):
    world.event.premium_description = "a Pledge 2 Stop Trafficking wristband"
    world.event.premium_value_cents = 2500
    world.event.save(update_fields=["premium_description", "premium_value_cents"])
    return world.event


def url(name, *args):
    return reverse(name, args=args)


def text(response) -> str:
    return response.content.decode()


def email_data(address="maria@example.org", language="en", with_item=False) -> dict:
    data = {"email-to_address": address, "email-language": language}
    if with_item:
        data["email-with_item"] = "on"
    return data


def letter_data(address="", language="en", with_item=False) -> dict:
    data = {"letter-to_address": address, "letter-language": language}
    if with_item:
        data["letter-with_item"] = "on"
    return data


def ack_urls(check) -> list[str]:
    return [url("money_acknowledgments"), url("money_acknowledgment", CHECK, check.pk),
            url("money_acknowledgment_letter", CHECK, check.pk)]


# --- Who may open the pages ----------------------------------------------------------------


def test_acknowledgment_pages_send_anonymous_people_to_log_in(client, world):
    check = named_check(world, 0)

    for address in ack_urls(check):
        for response in (client.get(address), client.post(address, email_data())):
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("account_login"))
    assert Acknowledgment.objects.count() == 0


@pytest.mark.parametrize("who", ["volunteer", "organizer", "captain", "collector"])
def test_acknowledgment_pages_refuse_everyone_but_treasurers(client, world, who):
    check = named_check(world, 0)
    people = {"volunteer": world.volunteer, "organizer": world.organizer,
              "captain": captain(), "collector": world.collectors[0]}
    client.force_login(people[who])

    for address in ack_urls(check):
        assert client.get(address).status_code == 403
        assert client.post(address, {**email_data(), **letter_data()}).status_code == 403
    assert Acknowledgment.objects.count() == 0


@pytest.mark.parametrize("who", ["tess", "superuser"])
def test_acknowledgment_pages_open_for_treasurers_and_superusers(client, world, who):
    check = named_check(world, 0)
    client.force_login(getattr(world, who))

    for address in ack_urls(check):
        assert client.get(address).status_code == 200


def test_acknowledgment_pages_of_an_unknown_or_small_gift_are_not_found(client, world):
    small = named_check(world, 0, 1000)
    big = named_check(world, 1, 30000)
    client.force_login(world.tess)

    for kind, pk in [(CHECK, small.pk), ("deposit", big.pk), (CARD, big.pk), (CHECK, 10**9)]:
        assert client.get(url("money_acknowledgment", kind, pk)).status_code == 404
        assert client.get(url("money_acknowledgment_letter", kind, pk)).status_code == 404
        assert client.post(url("money_acknowledgment", kind, pk),
                           email_data()).status_code == 404
    assert Acknowledgment.objects.count() == 0


# --- The list ------------------------------------------------------------------------------


def test_list_shows_missing_acknowledgments_first_and_marked(client, world):
    sent = named_check(world, 0, 40000, donor_name="Already Thanked")
    missing = named_check(world, 1, 30000, donor_name="Maria Lopez", number="1042")
    envelope = named_checks(world, 2, [{"amount_cents": 26000, "donor_name": "Tom Reyes",
                                        "kind": CountCheck.Kind.ENVELOPE}])[0]
    card = card_gift(world, 50000, donor_name="Rosa Diaz")
    acknowledgment_record(gift=gift_get(CHECK, sent.pk), method="letter", to_address="",
                          language="en", with_item=False, by=world.ben)
    client.force_login(world.tess)

    response = client.get(url("money_acknowledgments"))

    page = text(response)
    assert response.status_code == 200
    rows = re.findall(r'<tr id="gift-(\w+)-(\d+)"( class="ack-missing")?>', page)
    assert [(kind, int(pk), bool(marked)) for kind, pk, marked in rows][-1] == (
        CHECK, sent.pk, False)
    assert {(kind, int(pk)) for kind, pk, marked in rows if marked} == {
        (CHECK, missing.pk), (CHECK, envelope.pk), (CARD, card.pk)}
    assert "4 gifts need an acknowledgment" in page
    assert "3 missing" in page
    assert "Named envelope" in page and "Card or online gift" in page
    assert "Printed letter, recorded on" in page
    assert world.ben.name in page


def test_list_filters_one_drive_and_missing_or_sent(client, world):
    ours = named_check(world, 0, donor_name="Our Donor")
    thanked = named_check(world, 1, donor_name="Thanked Donor")
    acknowledgment_record(gift=gift_get(CHECK, thanked.pk), method="letter", to_address="",
                          language="en", with_item=False, by=world.tess)
    other = second_world(world)
    named_check(other, 0, donor_name="Their Donor")
    client.force_login(world.tess)

    drive = text(client.get(url("money_acknowledgments"), {"event": world.event.pk}))
    missing = text(client.get(url("money_acknowledgments"),
                              {"event": world.event.pk, "show": "missing"}))
    sent = text(client.get(url("money_acknowledgments"), {"show": "sent"}))

    assert "Our Donor" in drive and "Thanked Donor" in drive and "Their Donor" not in drive
    assert "Our Donor" in missing and "Thanked Donor" not in missing
    assert "Thanked Donor" in sent and "Our Donor" not in sent and "Their Donor" not in sent
    assert f'gift-check-{ours.pk}' in missing


def test_list_with_a_bad_filter_says_so_and_shows_every_drive(client, world):
    named_check(world, 0, donor_name="Our Donor")
    client.force_login(world.tess)

    response = client.get(url("money_acknowledgments"), {"event": "nope", "show": "x"})

    assert response.status_code == 422
    assert "Our Donor" in text(response)


def test_list_marks_an_email_that_could_not_be_sent(client, world):
    check = named_check(world, 0)
    acknowledgment = acknowledgment_record(gift=gift_get(CHECK, check.pk), method="email",
                                           to_address="bad@example.org", language="en",
                                           with_item=False, by=world.tess)
    Message.objects.filter(pk=acknowledgment.message_id).update(status=Message.Status.FAILED)
    client.force_login(world.tess)

    page = text(client.get(url("money_acknowledgments")))

    assert f'<tr id="gift-check-{check.pk}" class="ack-missing">' in page
    assert "The email could not be sent" in page
    assert "Print a letter instead" in page


def _gifts(world, start: int, stop: int) -> None:
    """A named check on each of buckets ``start`` to ``stop`` - 1, and as many card gifts."""
    while len(world.returns) < stop:
        world.return_another()
    for index in range(start, stop):
        named_check(world, index, 30000 + index, donor_name=f"Donor {index}")
        card_gift(world, 40000 + index, donor_name=f"Card Donor {index}")


def _queries(client, address, params=None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(address, params or {}).status_code == 200
    return len(queries)


def test_list_runs_a_constant_number_of_queries(client, world):
    client.force_login(world.tess)
    _gifts(world, 0, 3)
    for method, check in zip(("email", "letter"), CountCheck.objects.filter(
            donor_name__in=["Donor 0", "Donor 1"], count__letter="A"), strict=True):
        acknowledgment_record(gift=gift_get(CHECK, check.pk), method=method,
                              to_address="d@example.org", language="en", with_item=False,
                              by=world.tess)
    few = [_queries(client, url("money_acknowledgments")),
           _queries(client, url("money_acknowledgments"), {"event": world.event.pk})]

    _gifts(world, 3, 30)
    many = [_queries(client, url("money_acknowledgments")),
            _queries(client, url("money_acknowledgments"), {"event": world.event.pk})]

    assert many == few
    page = text(client.get(url("money_acknowledgments")))
    assert "60 gifts need an acknowledgment" in page
    assert "58 missing" in page


def test_gift_page_runs_a_constant_number_of_queries(client, world, wristband):
    check = named_check(world, 0)
    card = card_gift(world)
    client.force_login(world.tess)
    counts = [_queries(client, url(name, kind, pk))
              for kind, pk in [(CHECK, check.pk), (CARD, card.pk)]
              for name in ("money_acknowledgment", "money_acknowledgment_letter")]

    assert max(counts) <= 12


# --- Sending by email ----------------------------------------------------------------------


def test_gift_page_offers_email_with_what_rally_knows(client, world, wristband):
    card = card_gift(world, 50000, donor_language="es")
    client.force_login(world.tess)

    page = text(client.get(url("money_acknowledgment", CARD, card.pk)))

    assert 'name="email-to_address" value="rosa@example.org"' in page
    assert re.search(r'<option value="es" selected>', page)
    # An online gift is not taken to have had the wristband: the box is offered, not ticked.
    assert 'name="email-with_item"' in page
    assert not re.search(r'name="email-with_item"[^>]*checked', page)
    assert "Not acknowledged yet." in page


def test_send_by_email_queues_it_and_the_list_shows_it_sent(client, world):
    check = named_check(world, 0, 30000)
    client.force_login(world.tess)

    response = client.post(url("money_acknowledgment", CHECK, check.pk),
                           email_data("maria@example.org"))

    assert response.status_code == 302
    assert response["Location"] == f"{url('money_acknowledgments')}?event={world.event.pk}"
    acknowledgment = Acknowledgment.objects.get()
    assert (acknowledgment.method, acknowledgment.to_address, acknowledgment.by) == (
        "email", "maria@example.org", world.tess)
    assert Message.objects.get().to_address == "maria@example.org"
    listed = text(client.get(response["Location"]))
    assert "By email to maria@example.org" in listed
    assert "In the outbox" in listed
    assert "0 missing" not in listed and "all sent" in listed


def test_send_by_email_twice_is_a_conflict_that_says_when_and_how(client, world):
    check = named_check(world, 0)
    client.force_login(world.tess)
    client.post(url("money_acknowledgment", CHECK, check.pk), email_data("maria@example.org"))

    client.force_login(world.ann)
    again = client.post(url("money_acknowledgment", CHECK, check.pk),
                        email_data("other@example.org"))
    letter = client.post(url("money_acknowledgment_letter", CHECK, check.pk), letter_data())

    assert again.status_code == 409
    assert letter.status_code == 409
    for response in (again, letter):
        page = text(response)
        assert "already went by email to maria@example.org" in page
        assert world.tess.name in page
    assert Acknowledgment.objects.count() == 1
    assert Message.objects.count() == 1


@pytest.mark.parametrize(("data", "field"), [
    (email_data(""), "to_address"),
    (email_data("maria at example"), "to_address"),
    (email_data(language="fr"), "language"),
    (email_data("x" * 250 + "@example.org"), "to_address"),
])
def test_send_by_email_with_bad_input_is_refused_at_the_field(client, world, data, field):
    check = named_check(world, 0)
    client.force_login(world.tess)

    response = client.post(url("money_acknowledgment", CHECK, check.pk), data)

    assert response.status_code == 422
    assert f'id="id_email-{field}_error"' in text(response)
    assert Acknowledgment.objects.count() == 0
    assert Message.objects.count() == 0


def test_gift_page_after_sending_shows_the_figures_and_no_forms(client, world, wristband):
    check = named_check(world, 0, 30000)
    client.force_login(world.tess)
    client.post(url("money_acknowledgment", CHECK, check.pk), email_data(with_item=True))

    page = text(client.get(url("money_acknowledgment", CHECK, check.pk)))

    assert "Acknowledged" in page
    assert "$25.00" in page and "$275.00" in page
    assert 'name="email-to_address"' not in page


# --- The letter ----------------------------------------------------------------------------


def test_letter_shows_the_text_with_the_item_and_the_deductible_part(client, world, wristband,
                                                                      settings):
    check = named_check(world, 0, 30000, donor_address="12 Elm St, Fresno, CA 93721")
    client.force_login(world.tess)

    page = text(client.get(url("money_acknowledgment_letter", CHECK, check.pk)))

    assert "Dear Maria Lopez," in page
    assert "12 Elm St, Fresno, CA 93721" in page
    assert settings.COALITION["name"] in page
    assert "<strong>$300.00</strong>" in page
    assert "you received a Pledge 2 Stop Trafficking wristband" in page
    assert "$25.00" in page and "<strong>$275.00</strong>" in page
    assert "Record as sent by letter" in page
    assert 'name="letter-with_item" value="on"' in page


def test_letter_without_an_item_says_no_goods_or_services(client, world):
    check = named_check(world, 0, 30000)
    client.force_login(world.tess)

    page = text(client.get(url("money_acknowledgment_letter", CHECK, check.pk),
                           letter_data(address="PO Box 9")))

    assert "No goods or services were provided in exchange for this contribution." in page
    assert "PO Box 9" in page


def test_letter_in_spanish(client, world):
    check = named_check(world, 0, 30000)
    client.force_login(world.tess)

    page = text(client.get(url("money_acknowledgment_letter", CHECK, check.pk),
                           letter_data(language="es")))

    assert 'lang="es"' in page
    assert "Estimado/a Maria Lopez:" in page
    assert "No se entregaron bienes ni servicios a cambio de esta contribución." in page
    assert 'name="letter-language" value="es"' in page


def test_letter_with_bad_choices_goes_back_to_the_gift_page(client, world):
    check = named_check(world, 0)
    client.force_login(world.tess)

    response = client.get(url("money_acknowledgment_letter", CHECK, check.pk),
                          letter_data(language="xx"))

    assert response.status_code == 422
    assert 'id="id_letter-language_error"' in text(response)


def test_record_as_sent_by_letter_once(client, world):
    check = named_check(world, 0, 30000)
    client.force_login(world.tess)

    first = client.post(url("money_acknowledgment_letter", CHECK, check.pk),
                        letter_data("12 Elm St", language="es"))
    again = client.post(url("money_acknowledgment_letter", CHECK, check.pk),
                        letter_data("12 Elm St"))
    email = client.post(url("money_acknowledgment", CHECK, check.pk), email_data())

    assert first.status_code == 302
    assert first["Location"] == url("money_acknowledgment_letter", CHECK, check.pk)
    acknowledgment = Acknowledgment.objects.get()
    assert (acknowledgment.method, acknowledgment.to_address, acknowledgment.language,
            acknowledgment.message_id) == ("letter", "12 Elm St", "es", None)
    assert again.status_code == 409 and email.status_code == 409
    assert "already recorded as a printed letter" in text(again)
    assert Message.objects.count() == 0
    # Printed again later: as recorded (Spanish), without the button.
    page = text(client.get(first["Location"]))
    assert "Printed letter, recorded on" in page
    assert "Estimado/a Maria Lopez:" in page
    assert "Record as sent by letter" not in page


def test_letter_of_an_emailed_acknowledgment_prints_what_was_sent(client, world, wristband):
    check = named_check(world, 0, 30000)
    client.force_login(world.tess)
    client.post(url("money_acknowledgment", CHECK, check.pk), email_data(with_item=False))

    page = text(client.get(url("money_acknowledgment_letter", CHECK, check.pk)))

    assert "No goods or services were provided" in page
    assert "By email to maria@example.org" in page
    assert "Record as sent by letter" not in page


# --- The count form: check or named envelope ------------------------------------------------


def count_form(checks) -> dict:
    data = {d.code: "" for d in DENOMINATIONS}
    data.update({"checks-TOTAL_FORMS": str(max(3, len(checks))), "checks-INITIAL_FORMS": "0",
                 "checks-MIN_NUM_FORMS": "0", "checks-MAX_NUM_FORMS": "60",
                 "odd_items-TOTAL_FORMS": "0", "odd_items-INITIAL_FORMS": "0",
                 "odd_items-MIN_NUM_FORMS": "0", "odd_items-MAX_NUM_FORMS": "30",
                 "request_token": str(uuid.uuid4()), "override_reason": "", "save": "1"})
    for index in range(max(3, len(checks))):
        row = checks[index] if index < len(checks) else {}
        for name in ("kind", "number", "payer", "amount", "donor_name", "donor_address"):
            data[f"checks-{index}-{name}"] = row.get(name, "check" if name == "kind" else "")
    return data


@pytest.fixture
def sheet(world):
    session = session_open(event=world.event, place="Peoples Church hall", by=world.ann,
                           present=[world.ann, world.ben])
    return sheet_open(session=session, returned=world.returns[0], by=world.ann)


def test_count_form_has_a_kind_select_on_each_check_row(client, world, sheet):
    client.force_login(world.ann)

    page = text(client.get(url("money_count", sheet.pk)))

    assert '<select name="checks-0-kind"' in page
    assert '<option value="envelope">Named envelope</option>' in page
    assert '<option value="check" selected>Check</option>' in page


def test_count_form_saves_a_named_envelope(client, world, sheet):
    rows = [{"kind": "envelope", "payer": "Tom Reyes", "amount": "260.00",
             "donor_name": "Tom Reyes", "donor_address": "4 Oak Ave"},
            {"kind": "check", "number": "1042", "payer": "Maria Lopez", "amount": "300"}]
    client.force_login(world.ann)

    response = client.post(url("money_count", sheet.pk), count_form(rows))

    assert response.status_code == 302
    saved = list(CountCheck.objects.filter(count__sheet=sheet).order_by("pk"))
    assert [(c.kind, c.payer, c.amount_cents) for c in saved] == [
        ("envelope", "Tom Reyes", 26000), ("check", "Maria Lopez", 30000)]


def test_count_form_refuses_an_unknown_kind_at_the_row(client, world, sheet):
    client.force_login(world.ann)
    rows = [{"kind": "bitcoin", "payer": "X", "amount": "10"}]

    response = client.post(url("money_count", sheet.pk), count_form(rows))

    assert response.status_code == 422
    assert 'id="id_checks-0-kind_error"' in text(response)
    assert CountCheck.objects.count() == 0


def test_count_service_reads_the_kind_and_defaults_to_check(world, sheet):
    count = count_submit(sheet=sheet, counter=world.ann, quantities={}, odd_items=[], checks=[
        {"payer": "A", "amount_cents": 100},
        {"payer": "B", "amount_cents": 200, "kind": "envelope", "donor_name": "B"}])

    assert [c.kind for c in count.checks.order_by("pk")] == ["check", "envelope"]
    with pytest.raises(MoneyError) as refused:
        count_submit(sheet=sheet, counter=world.ben, quantities={}, odd_items=[],
                     checks=[{"payer": "A", "amount_cents": 100, "kind": "coin"}])
    assert refused.value.field == "checks-0-kind"


def test_an_envelope_counted_twice_alike_needs_an_acknowledgment(client, world, sheet):
    rows = [{"kind": "envelope", "payer": "Tom Reyes", "amount": "260.00",
             "donor_name": "Tom Reyes"}]
    for person in (world.ann, world.ben):
        client.force_login(person)
        assert client.post(url("money_count", sheet.pk), count_form(rows)).status_code == 302
    agreed = AgreedCount.objects.get(sheet=sheet)
    client.force_login(world.tess)

    page = text(client.get(url("money_acknowledgments")))

    envelope = agreed.count.checks.get()
    assert f'<tr id="gift-check-{envelope.pk}" class="ack-missing">' in page
    assert "Tom Reyes" in page and "Named envelope" in page


# --- The organizer's event form: the item handed out for a gift -----------------------------


def event_form(**overrides) -> dict:
    data = {
        "kind": EventKind.FUNDRAISER, "title": "Bucket Drive — Clovis",
        "description": "Sealed buckets.", "starts_at": "2027-03-06T07:00",
        "ends_at": "2027-03-06T17:00", "venue_name": "Peoples Church",
        "address": "7172 N Cedar Ave, Fresno, CA 93720", "visibility": Event.Visibility.PUBLIC,
        "cancel_cutoff_hours": 24, "reminder_hours": "24, 2",
    }
    data.update(overrides)
    return data


def test_event_form_takes_the_item_and_its_value_in_dollars(client, world):
    client.force_login(world.organizer)

    response = client.post(url("organize_event_create"), event_form(
        premium_description="a wristband", premium_value_cents="2.50"))

    assert response.status_code == 302
    event = Event.objects.get(title="Bucket Drive — Clovis")
    assert (event.premium_description, event.premium_value_cents) == ("a wristband", 250)
    page = text(client.get(url("organize_event_edit", event.pk)))
    assert 'name="premium_value_cents" value="2.50"' in page


@pytest.mark.parametrize("value", ["two dollars", "-1", "2.505", "9" * 30])
def test_event_form_refuses_a_bad_item_value(client, world, value):
    client.force_login(world.organizer)

    response = client.post(url("organize_event_create"), event_form(
        premium_description="a wristband", premium_value_cents=value))

    assert response.status_code == 200
    assert 'id="id_premium_value_cents_error"' in text(response)
    assert not Event.objects.filter(title="Bucket Drive — Clovis").exists()


def test_event_form_without_an_item_keeps_zero(client, world):
    client.force_login(world.organizer)

    client.post(url("organize_event_create"), event_form())

    event = Event.objects.get(title="Bucket Drive — Clovis")
    assert (event.premium_description, event.premium_value_cents) == ("", 0)


@pytest.mark.parametrize("value", ["a\x00b@example.org", "x\ny@example.org", "é" * 5000,
                                   "9" * 40, "<script>alert(1)</script>"])
def test_hostile_input_is_refused_without_saving(client, world, value):
    check = named_check(world, 0)
    client.force_login(world.tess)
    letter = url("money_acknowledgment_letter", CHECK, check.pk)

    responses = [
        client.post(url("money_acknowledgment", CHECK, check.pk),
                    {"email-to_address": value, "email-language": value}),
        client.get(letter, {"letter-to_address": value, "letter-language": value}),
        client.post(letter, {"letter-to_address": value, "letter-language": "en",
                             "letter-with_item": value}),
        client.get(url("money_acknowledgments"), {"event": value, "show": value}),
    ]

    # A query string with a control character is refused before any view (400).
    assert responses[0].status_code == 422
    assert responses[1].status_code in (400, 422)
    assert responses[2].status_code in (302, 422)
    assert responses[3].status_code in (400, 422)
    if responses[2].status_code == 302:  # a single-line address without control characters
        assert Acknowledgment.objects.get().to_address == value[:300]
    else:
        assert Acknowledgment.objects.count() == 0
    assert Message.objects.count() == 0


def test_outbox_page_shows_a_donors_address_to_treasurers_only(client):
    from tests.factories import RoleGrantFactory, organizer
    from volunteers.models import Message, Role

    Message.objects.create(kind="donation_acknowledgment", to_address="donor.private@example.net",
                           dedupe_key="ack-privacy-1", status=Message.Status.FAILED,
                           last_error="550 mailbox unavailable")
    boss = organizer()
    boss_and_treasurer = organizer()
    RoleGrantFactory(user=boss_and_treasurer, role=Role.TREASURER)

    client.force_login(boss)
    hidden = client.get("/organize/messages/").content.decode()
    client.force_login(boss_and_treasurer)
    shown = client.get("/organize/messages/").content.decode()

    assert "donor.private@example.net" not in hidden
    assert "a donor (treasurers see who)" in hidden
    assert "donor.private@example.net" in shown
