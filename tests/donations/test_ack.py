"""Donor acknowledgments, below the views: which gifts need one, the figures (the item given in
exchange and the deductible part), once only, and the email the outbox sends in English and
in Spanish. The pages themselves: test_ack_views.py."""

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from donations.acknowledgments import (
    CARD,
    CHECK,
    AlreadyAcknowledged,
    acknowledgment_record,
    gift_figures,
    gift_get,
    gifts_to_acknowledge,
    language_of,
)
from donations.ledger import MoneyError
from donations.models import Acknowledgment, CountCheck, MoneyAudit
from tests.donations.ack_gifts import card_gift, named_check, named_checks
from tests.donations.money_world import MoneyWorld
from volunteers.messaging import delivery
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


def send(gift, *, by, method="email", to_address="maria@example.org", language="en",
         with_item=False):
    return acknowledgment_record(gift=gift, method=method, to_address=to_address,
                                 language=language, with_item=with_item, by=by)


def keys(gifts) -> list[tuple[str, int]]:
    return [(gift.kind, gift.pk) for gift in gifts]


def delivered(acknowledgment) -> object:
    """Send the acknowledgment's outbox row now, as the send task does; its email."""
    assert delivery.message_send(message_id=acknowledgment.message_id) == "sent"
    assert len(mail.outbox) == 1
    return mail.outbox[0]


def html_of(email) -> str:
    return next(body for body, kind in email.alternatives if kind == "text/html")


# --- Which gifts need one -----------------------------------------------------------------


def test_gifts_to_acknowledge_are_named_checks_envelopes_and_card_gifts_over_the_threshold(
        world, settings):
    settings.ACKNOWLEDGMENT_THRESHOLD_CENTS = 25000
    big, envelope, small, anonymous = named_checks(world, 0, [
        {"amount_cents": 30000, "donor_name": "Maria Lopez", "number": "1042"},
        {"amount_cents": 25000, "donor_name": "Tom Reyes", "kind": CountCheck.Kind.ENVELOPE},
        {"amount_cents": 24999, "donor_name": "Just Under"},
        {"amount_cents": 90000, "donor_name": ""},
    ])
    card = card_gift(world, 50000)
    card_gift(world, 70000, donor_name="")
    card_gift(world, 10000, donor_name="Small Card")

    gifts = gifts_to_acknowledge()

    assert sorted(keys(gifts)) == sorted([(CHECK, big.pk), (CHECK, envelope.pk),
                                          (CARD, card.pk)])
    assert {gift.how for gift in gifts} == {"check", "envelope", "card"}
    assert small.pk not in [gift.pk for gift in gifts]
    assert anonymous.pk not in [gift.pk for gift in gifts]


def test_gifts_to_acknowledge_leave_out_counts_not_agreed_and_the_matching_count(world):
    waiting = named_checks(world, 0, [{"amount_cents": 40000, "donor_name": "Ana"}],
                           agreed=False)[0]
    agreed = named_check(world, 1, 40000, donor_name="Ben Ortiz")

    gifts = gifts_to_acknowledge()

    # Count B holds the same check: the gift is listed once, from the agreed count (A).
    assert keys(gifts) == [(CHECK, agreed.pk)]
    assert gift_get(CHECK, waiting.pk) is None


def test_gifts_to_acknowledge_follow_the_threshold_setting(world, settings):
    check = named_check(world, 0, 10000)
    assert gifts_to_acknowledge() == []

    settings.ACKNOWLEDGMENT_THRESHOLD_CENTS = 10000

    assert keys(gifts_to_acknowledge()) == [(CHECK, check.pk)]


def test_gifts_to_acknowledge_of_one_drive_leave_out_other_drives(world):
    from tests.donations.books_fixtures import second_world

    ours = named_check(world, 0)
    other = second_world(world)
    theirs = named_check(other, 0, donor_name="Other Donor")

    assert keys(gifts_to_acknowledge(event=world.event)) == [(CHECK, ours.pk)]
    assert keys(gifts_to_acknowledge(event=other.event)) == [(CHECK, theirs.pk)]


def test_gifts_to_acknowledge_list_missing_ones_first(world):
    first = named_check(world, 0, donor_name="Acknowledged Already")
    second = named_check(world, 1, donor_name="Still Missing")
    send(gift_get(CHECK, first.pk), by=world.tess)

    gifts = gifts_to_acknowledge()

    assert keys(gifts) == [(CHECK, second.pk), (CHECK, first.pk)]
    assert [gift.missing for gift in gifts] == [True, False]


def test_a_failed_email_counts_as_missing(world):
    check = named_check(world, 0)
    acknowledgment = send(gift_get(CHECK, check.pk), by=world.tess)
    Message.objects.filter(pk=acknowledgment.message_id).update(status=Message.Status.FAILED)

    gift = gift_get(CHECK, check.pk)

    assert gift.email_failed is True
    assert gift.missing is True


# --- Once only ----------------------------------------------------------------------------


def test_acknowledgment_by_email_writes_the_outbox_row_in_the_same_transaction(world):
    check = named_check(world, 0, 30000)

    acknowledgment = send(gift_get(CHECK, check.pk), by=world.tess)

    message = Message.objects.get()
    assert acknowledgment.message_id == message.pk
    assert (message.kind, message.to_address, message.recipient_id, message.event_id) == (
        "donation_acknowledgment", "maria@example.org", None, world.event.pk)
    assert message.dedupe_key == f"donation_acknowledgment:check={check.pk}"
    assert (acknowledgment.method, acknowledgment.check_gift_id, acknowledgment.card_gift_id) == (
        "email", check.pk, None)
    assert (acknowledgment.amount_cents, acknowledgment.goods_value_cents,
            acknowledgment.deductible_cents) == (30000, 0, 30000)
    assert acknowledgment.by == world.tess
    audit = MoneyAudit.objects.get(action="acknowledgment.sent")
    assert audit.after["gift"] == f"check:{check.pk}"
    assert audit.after["method"] == "email"


def test_a_gift_is_acknowledged_only_once(world):
    check = named_check(world, 0)
    first = send(gift_get(CHECK, check.pk), by=world.tess)

    with pytest.raises(AlreadyAcknowledged) as refused:
        send(gift_get(CHECK, check.pk), by=world.ann, method="letter", to_address="")

    assert refused.value.acknowledgment == first
    assert "already went by email to maria@example.org" in refused.value.message
    assert Acknowledgment.objects.count() == 1
    assert Message.objects.count() == 1


def test_the_database_refuses_a_second_acknowledgment_of_a_gift(world):
    check = named_check(world, 0)
    first = send(gift_get(CHECK, check.pk), by=world.tess, method="letter")

    with pytest.raises(IntegrityError), transaction.atomic():
        Acknowledgment.objects.create(
            check_gift=check, event=world.event, method="letter", donor_name="x",
            amount_cents=1, deductible_cents=1, by=world.tess)
    assert list(Acknowledgment.objects.all()) == [first]


def test_a_letter_writes_no_outbox_row(world):
    check = named_check(world, 0, donor_address="12 Elm St, Fresno, CA 93721")

    acknowledgment = send(gift_get(CHECK, check.pk), by=world.tess, method="letter",
                          to_address="12 Elm St, Fresno, CA 93721")

    assert acknowledgment.method == "letter"
    assert acknowledgment.message_id is None
    assert acknowledgment.to_address == "12 Elm St, Fresno, CA 93721"
    assert Message.objects.count() == 0


@pytest.mark.parametrize(("method", "address", "language", "field"), [
    ("email", "", "en", "to_address"),
    ("email", "not an address", "en", "to_address"),
    ("email", "maria@example.org", "fr", "language"),
    ("pigeon", "maria@example.org", "en", "method"),
    ("letter", "x" * 301, "en", "to_address"),
])
def test_acknowledgment_refuses_bad_input_at_its_field(world, method, address, language, field):
    check = named_check(world, 0)

    with pytest.raises(MoneyError) as refused:
        send(gift_get(CHECK, check.pk), by=world.tess, method=method, to_address=address,
             language=language)

    assert refused.value.field == field
    assert Acknowledgment.objects.count() == 0
    assert Message.objects.count() == 0


def test_acknowledgment_is_possible_on_a_reconciled_drive(world):
    from donations.ledger import is_locked
    from donations.models import DriveMoneyStep

    check = named_check(world, 0)
    DriveMoneyStep.objects.create(event=world.event, kind=DriveMoneyStep.Kind.RECONCILED,
                                  by=world.tess)
    assert is_locked(world.event)

    acknowledgment = send(gift_get(CHECK, check.pk), by=world.tess)

    assert acknowledgment.pk is not None


# --- The figures --------------------------------------------------------------------------


def test_no_item_means_the_whole_gift_is_deductible(world):
    gift = gift_get(CHECK, named_check(world, 0, 30000).pk)

    assert gift_figures(gift, with_item=True) == (0, 30000)


def test_the_item_value_is_taken_off_the_deductible_part(world, wristband):
    gift = gift_get(CHECK, named_check(world, 0, 30000).pk)

    assert gift_figures(gift, with_item=True) == (2500, 27500)
    assert gift_figures(gift, with_item=False) == (0, 30000)


def test_the_deductible_part_is_never_below_zero(world, wristband):
    wristband.premium_value_cents = 40000
    wristband.save(update_fields=["premium_value_cents"])
    gift = gift_get(CHECK, named_check(world, 0, 30000).pk)

    assert gift_figures(gift, with_item=True) == (40000, 0)


def test_nothing_is_deductible_when_the_coalition_is_not_tax_exempt(world, settings):
    settings.COALITION = {**settings.COALITION, "tax_exempt": False}
    gift = gift_get(CHECK, named_check(world, 0, 30000).pk)

    assert gift_figures(gift, with_item=False) == (0, 0)


def test_street_gifts_are_taken_to_have_had_the_item_and_online_gifts_not(world, wristband):
    check = gift_get(CHECK, named_check(world, 0).pk)
    card = gift_get(CARD, card_gift(world).pk)

    assert (check.item_by_default, card.item_by_default) == (True, False)


def test_the_recorded_figures_include_the_item(world, wristband):
    gift = gift_get(CHECK, named_check(world, 0, 30000).pk)

    acknowledgment = send(gift, by=world.tess, with_item=True)

    assert (acknowledgment.amount_cents, acknowledgment.goods_value_cents,
            acknowledgment.deductible_cents) == (30000, 2500, 27500)


@pytest.mark.parametrize(("written", "language"), [
    ("es", "es"), ("es-MX", "es"), ("ES_us", "es"), ("Spanish", "es"), ("Español", "es"),
    ("en-US", "en"), ("English", "en"), ("fr", None), ("", None), (None, None),
])
def test_language_of_reads_what_a_processor_writes(written, language):
    assert language_of(written) == language


# --- The email ----------------------------------------------------------------------------


def test_email_in_english_names_the_coalition_the_amount_and_no_goods_or_services(world,
                                                                                  settings):
    check = named_check(world, 0, 30000, number="1042")
    acknowledgment = send(gift_get(CHECK, check.pk), by=world.tess)

    email = delivered(acknowledgment)

    name = settings.COALITION["name"]
    assert email.to == ["maria@example.org"]
    assert email.subject == f"Thank you for your gift to {name}: your acknowledgment"
    assert email.extra_headers["Content-Language"] == "en"
    for body in (email.body, html_of(email)):
        assert "Maria Lopez" in body
        assert "Thank you for your gift of" in body
        assert "$300.00" in body
        assert name in body
        assert "by check (no. 1042)" in body
        assert "No goods or services were provided in exchange for this contribution." in body
        assert "Fresno Street Drive" in body
    assert Message.objects.get().status == Message.Status.SENT


def test_email_in_spanish_for_a_donor_whose_language_is_spanish(world, settings):
    card = card_gift(world, 50000, donor_language="es-MX")
    gift = gift_get(CARD, card.pk)
    assert gift.language_or_default == "es"
    acknowledgment = send(gift, by=world.tess, to_address=gift.email, language="es")

    email = delivered(acknowledgment)

    name = settings.COALITION["name"]
    assert email.to == ["rosa@example.org"]
    assert email.subject == f"Gracias por su donativo a {name}: su comprobante"
    assert email.extra_headers["Content-Language"] == "es"
    for body in (email.body, html_of(email)):
        assert "Hola, Rosa Diaz:" in body
        assert "Gracias por su donativo de" in body
        assert "$500.00" in body
        assert "en línea, con tarjeta" in body
        assert "No se entregaron bienes ni servicios a cambio de esta contribución." in body
        assert "Thank you" not in body


def test_email_states_the_item_its_value_and_the_deductible_part(world, wristband):
    check = named_check(world, 0, 30000, kind=CountCheck.Kind.ENVELOPE)
    acknowledgment = send(gift_get(CHECK, check.pk), by=world.tess, with_item=True)

    email = delivered(acknowledgment)

    assert "in cash, in an envelope bearing your name" in email.body
    assert ("In exchange for your gift you received a Pledge 2 Stop Trafficking wristband, "
            "whose estimated fair market value is $25.00.") in email.body
    assert "deductible as a charitable contribution is $275.00" in email.body
    assert "No goods or services" not in email.body


def test_spanish_email_states_the_item_and_the_deductible_part(world, wristband):
    check = named_check(world, 0, 30000)
    acknowledgment = send(gift_get(CHECK, check.pk), by=world.tess, with_item=True,
                          language="es")

    email = delivered(acknowledgment)

    assert "con cheque" in email.body
    assert "cuyo valor justo de mercado estimado es de $25.00" in email.body
    assert "deducible como contribución caritativa es de $275.00" in email.body


def test_email_of_a_coalition_without_exemption_says_not_deductible(world, settings):
    settings.COALITION = {**settings.COALITION, "tax_exempt": False}
    check = named_check(world, 0, 30000)
    acknowledgment = send(gift_get(CHECK, check.pk), by=world.tess)

    email = delivered(acknowledgment)

    assert "this contribution is not tax deductible" in email.body
    assert acknowledgment.deductible_cents == 0


def test_email_says_what_was_recorded_even_if_the_drive_changes_later(world, wristband):
    check = named_check(world, 0, 30000)
    acknowledgment = send(gift_get(CHECK, check.pk), by=world.tess, with_item=True)
    wristband.premium_value_cents = 9900
    wristband.save(update_fields=["premium_value_cents"])

    email = delivered(acknowledgment)

    assert "$25.00" in email.body
    assert "$275.00" in email.body


def test_the_outbox_dispatcher_sends_the_acknowledgment_once(world,
                                                             django_capture_on_commit_callbacks):
    check = named_check(world, 0)
    with django_capture_on_commit_callbacks(execute=True):
        send(gift_get(CHECK, check.pk), by=world.tess)

    with django_capture_on_commit_callbacks(execute=True):
        delivery.messages_dispatch()
    with django_capture_on_commit_callbacks(execute=True):
        delivery.messages_dispatch()

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["maria@example.org"]
