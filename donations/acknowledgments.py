"""Written acknowledgments for gifts from identifiable donors (issue 12).

A gift of ``settings.ACKNOWLEDGMENT_THRESHOLD_CENTS`` or more from a donor whose name Rally
knows needs a written acknowledgment (the coalition's name, the amount, the date, and either
"no goods or services were provided" or the item given in exchange, its value and the
deductible part). Such gifts are:

- a check or a named envelope of cash (:class:`CountCheck`) of a bucket's **agreed** count
  (``AgreedCount.count``) with a donor name written on the count form;
- a card or online gift (:class:`CardGift`) with a donor name from the processor's export.

Each is acknowledged once (``Acknowledgment`` is one-to-one with its gift and final on
PostgreSQL): by email through the outbox (a ``volunteers.Message`` written in the same
transaction, sent later by the dispatcher and rendered by :func:`acknowledgment_email` in the
language recorded), or by a printed letter recorded as sent. The figures are recorded with
it, so the letter printed again or the email sent late say what was decided then.

The text has one template per language (English and Spanish), reviewed as a whole rather
than phrase by phrase, since it is what a donor shows the tax authorities:
``emails/donation_acknowledgment[_es]{_subject.txt,.txt,.html}`` for the email and
``donations/money/acknowledgments/_text_<language>.html`` for the body shared by the HTML
email and the printed letter."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from events.dates import local_format
from events.models import Event

from .ledger import MoneyConflict, MoneyError, audit
from .models import Acknowledgment, AgreedCount, CardGift, CountCheck
from .money import format_cents

CHECK = "check"
CARD = "card"
GIFT_KINDS = (CHECK, CARD)  # the word in the URL: a CountCheck (check or envelope) or a CardGift
MESSAGE_KIND = "donation_acknowledgment"  # volunteers.messaging.kinds.Kind.DONATION_ACKNOWLEDGMENT
EMAIL_MAX = 254
ADDRESS_MAX = Acknowledgment._meta.get_field("to_address").max_length
# The email templates of each language; the letter's body is _text_<language>.html.
EMAIL_TEMPLATES = {"en": "emails/donation_acknowledgment",
                   "es": "emails/donation_acknowledgment_es"}
HOW_LABELS = {
    CountCheck.Kind.CHECK: gettext_lazy("Check"),
    CountCheck.Kind.ENVELOPE: gettext_lazy("Named envelope"),
    CARD: gettext_lazy("Card or online gift"),
}
# What a processor's file may say for a donor's language, besides a code like "es-MX".
LANGUAGE_NAMES = {"english": "en", "inglés": "en", "ingles": "en", "spanish": "es",
                  "español": "es", "espanol": "es", "castellano": "es"}


class AlreadyAcknowledged(MoneyConflict):
    """The gift has its acknowledgment already; ``acknowledgment`` says when and how."""

    def __init__(self, acknowledgment: Acknowledgment):
        super().__init__(already_sent_text(acknowledgment))
        self.acknowledgment = acknowledgment


def threshold_cents() -> int:
    return int(settings.ACKNOWLEDGMENT_THRESHOLD_CENTS)


def languages() -> dict[str, str]:
    """The languages an acknowledgment is written in: Rally's, each with its templates."""
    return {code: name for code, name in settings.LANGUAGES if code in EMAIL_TEMPLATES}


def default_language() -> str:
    """The coalition's language (the site's default)."""
    code = settings.LANGUAGE_CODE[:2]
    return code if code in EMAIL_TEMPLATES else "en"


def language_of(value: str | None) -> str | None:
    """The donor's language as Rally writes it ("en", "es"), from "es", "es-MX", "Spanish";
    None when unknown or not one Rally writes in."""
    text = (value or "").strip().lower()
    if not text:
        return None
    code = LANGUAGE_NAMES.get(text, text.replace("_", "-").split("-")[0])
    return code if code in languages() else None


# --- The gifts ---------------------------------------------------------------------------


@dataclass
class Gift:
    """A gift that needs an acknowledgment, whichever record it comes from."""

    kind: str  # CHECK or CARD: the word in the URL
    record: CountCheck | CardGift
    event: Event
    donor_name: str
    amount_cents: int
    given_at: datetime.datetime  # a card gift's time; for a check, when its bucket came back
    how: str  # "check", "envelope" or "card"
    number: str  # the check number, or the processor's reference
    bucket: object | None
    team: object | None
    email: str  # the donor's email when Rally has it (card gifts)
    address: str  # the donor's postal address when written (checks and envelopes)
    language: str | None  # the donor's language when known (card gifts)
    acknowledgment: Acknowledgment | None

    @property
    def pk(self) -> int:
        return self.record.pk

    @property
    def how_label(self) -> str:
        return str(HOW_LABELS[self.how])

    @property
    def email_failed(self) -> bool:
        """Its email acknowledgment could not be sent (the outbox gave up)."""
        from volunteers.models import Message

        ack = self.acknowledgment
        return bool(ack is not None and ack.method == Acknowledgment.Method.EMAIL
                    and ack.message is not None and ack.message.status == Message.Status.FAILED)

    @property
    def missing(self) -> bool:
        return self.acknowledgment is None or self.email_failed

    @property
    def item_offered(self) -> bool:
        """The drive hands out an item of some value in exchange for a gift."""
        return bool(self.event.premium_description and self.event.premium_value_cents > 0)

    @property
    def item_by_default(self) -> bool:
        """A street gift (check or envelope) is taken to have had the drive's item; an online
        gift is not. The treasurer can say otherwise."""
        return self.item_offered and self.kind == CHECK

    @property
    def language_or_default(self) -> str:
        return self.language or default_language()


def _agreed_checks():
    """Checks and named envelopes of agreed counts (the count whose figure is the bucket's)."""
    agreed = AgreedCount.objects.filter(count_id=OuterRef("count_id"))
    return (CountCheck.objects.filter(Exists(agreed)).exclude(donor_name="")
            .select_related("count__event", "count__sheet__bucket", "count__sheet__team",
                            "count__sheet__returned", "acknowledgment__by",
                            "acknowledgment__message"))


def _named_card_gifts():
    return (CardGift.objects.exclude(donor_name="")
            .select_related("event", "team", "acknowledgment__by", "acknowledgment__message"))


def _acknowledgment_of(record) -> Acknowledgment | None:
    try:
        return record.acknowledgment
    except Acknowledgment.DoesNotExist:
        return None


def gift_from_check(check: CountCheck) -> Gift:
    sheet = check.count.sheet
    return Gift(
        kind=CHECK, record=check, event=check.count.event, donor_name=check.donor_name.strip(),
        amount_cents=check.amount_cents, given_at=sheet.returned.at, how=check.kind,
        number=check.number, bucket=sheet.bucket, team=sheet.team, email="",
        address=check.donor_address, language=None, acknowledgment=_acknowledgment_of(check))


def gift_from_card(card: CardGift) -> Gift:
    return Gift(
        kind=CARD, record=card, event=card.event, donor_name=card.donor_name.strip(),
        amount_cents=card.amount_cents, given_at=card.given_at, how=CARD,
        number=card.reference, bucket=None, team=card.team, email=card.donor_email,
        address="", language=language_of(card.donor_language),
        acknowledgment=_acknowledgment_of(card))


def gifts_to_acknowledge(*, event: Event | None = None) -> list[Gift]:
    """Every gift that needs an acknowledgment (of ``event``, or of every drive), missing ones
    first, then the latest first. Two queries, however many gifts."""
    minimum = threshold_cents()
    checks = _agreed_checks().filter(amount_cents__gte=minimum)
    cards = _named_card_gifts().filter(amount_cents__gte=minimum)
    if event is not None:
        checks = checks.filter(count__event_id=event.pk)
        cards = cards.filter(event_id=event.pk)
    gifts = [gift_from_check(c) for c in checks] + [gift_from_card(c) for c in cards]
    gifts.sort(key=lambda g: (g.donor_name.casefold(), g.kind, g.pk))
    gifts.sort(key=lambda g: g.given_at, reverse=True)
    gifts.sort(key=lambda g: not g.missing)
    return gifts


def gift_get(kind: str, pk: int) -> Gift | None:
    """The gift ``kind``/``pk`` if it needs an acknowledgment, else None."""
    minimum = threshold_cents()
    if kind == CHECK:
        check = _agreed_checks().filter(pk=pk, amount_cents__gte=minimum).first()
        return gift_from_check(check) if check is not None else None
    if kind == CARD:
        card = _named_card_gifts().filter(pk=pk, amount_cents__gte=minimum).first()
        return gift_from_card(card) if card is not None else None
    return None


def gift_of(acknowledgment: Acknowledgment) -> Gift:
    """The gift an acknowledgment is for, whatever the threshold is now."""
    if acknowledgment.check_gift_id is not None:
        return gift_from_check(_agreed_checks().get(pk=acknowledgment.check_gift_id))
    return gift_from_card(_named_card_gifts().get(pk=acknowledgment.card_gift_id))


# --- The figures and the text --------------------------------------------------------------


def gift_figures(gift: Gift, *, with_item: bool) -> tuple[int, int]:
    """(value of what the donor received, deductible part) in cents. The item counts only when
    the drive hands one out with a value; the deductible part is the amount less that value
    (never below 0), the coalition's deductible share of it (COALITION deductible_percent),
    and 0 when the coalition is not tax exempt."""
    goods = gift.event.premium_value_cents if with_item and gift.item_offered else 0
    coalition = settings.COALITION
    percent = int(coalition.get("deductible_percent", 100))
    if not coalition.get("tax_exempt", True) or percent <= 0:
        return goods, 0
    return goods, max(gift.amount_cents - goods, 0) * min(percent, 100) // 100


def letter_context(gift: Gift, *, language: str, with_item: bool = False,
                   acknowledgment: Acknowledgment | None = None) -> dict:
    """What the letter and the email say: from ``acknowledgment`` once there is one (its
    recorded figures and date), else as it would be sent now."""
    if acknowledgment is not None:
        amount = acknowledgment.amount_cents
        goods, deductible = acknowledgment.goods_value_cents, acknowledgment.deductible_cents
        language = acknowledgment.language
        written_at = acknowledgment.at
        donor_name = acknowledgment.donor_name
        address = acknowledgment.to_address
        method = acknowledgment.method
    else:
        amount = gift.amount_cents
        goods, deductible = gift_figures(gift, with_item=with_item)
        written_at = timezone.now()
        donor_name = gift.donor_name
        address = gift.address if gift.kind == CHECK else ""
        method = Acknowledgment.Method.LETTER
    coalition = settings.COALITION
    return {
        "gift": gift,
        "event": gift.event,
        "donor_name": donor_name,
        "donor_address": address if method == Acknowledgment.Method.LETTER else "",
        "amount_cents": amount,
        "goods_value_cents": goods,
        "deductible_cents": deductible,
        "item": gift.event.premium_description if goods > 0 else "",
        "how": gift.how,
        "check_number": gift.number if gift.how == CountCheck.Kind.CHECK else "",
        "given_on": local_format(gift.given_at, "day_month_year", language),
        "written_on": local_format(written_at, "day_month_year", language),
        "coalition": coalition,
        "tax_exempt": bool(coalition.get("tax_exempt", True))
        and int(coalition.get("deductible_percent", 100)) > 0,
        "language": language,
        "body_template": f"donations/money/acknowledgments/_text_{language}.html",
    }


def already_sent_text(acknowledgment: Acknowledgment) -> str:
    when = local_format(acknowledgment.at, "timestamp")
    by = acknowledgment.by.name if acknowledgment.by_id else ""
    if acknowledgment.method == Acknowledgment.Method.EMAIL:
        return _("This gift's acknowledgment already went by email to %(address)s on %(when)s "
                 "(%(by)s). It is sent only once.") % {
                     "address": acknowledgment.to_address, "when": when, "by": by}
    return _("This gift's acknowledgment was already recorded as a printed letter on %(when)s "
             "(%(by)s). It is sent only once.") % {"when": when, "by": by}


# --- Writing it ----------------------------------------------------------------------------


def _clean(*, gift: Gift, method: str, to_address: str, language: str) -> str:
    if method not in Acknowledgment.Method.values:
        raise MoneyError(_("Choose email or a printed letter."), "method")
    if language not in languages():
        raise MoneyError(_("Choose the language of the acknowledgment."), "language")
    address = " ".join((to_address or "").split())
    if method == Acknowledgment.Method.EMAIL:
        if not address:
            raise MoneyError(_("Write the donor's email address, like name@example.org."),
                             "to_address")
        try:
            if len(address) > EMAIL_MAX:
                raise ValidationError("too long")
            validate_email(address)
        except ValidationError:
            raise MoneyError(_("That is not an email address: write it like "
                               "name@example.org."), "to_address") from None
    elif len(address) > ADDRESS_MAX:
        raise MoneyError(_("That address is too long: at most %(n)s characters.")
                         % {"n": ADDRESS_MAX}, "to_address")
    return address


def acknowledgment_record(*, gift: Gift, method: str, to_address: str, language: str,
                          with_item: bool, by) -> Acknowledgment:
    """Acknowledge ``gift`` once: by email (``method`` "email": an outbox Message to
    ``to_address`` in ``language``, written in this transaction; the dispatcher is woken after
    commit) or as a printed letter recorded as sent ("letter"; ``to_address`` is the postal
    address, optional). ``with_item``: the donor received the drive's item, whose value is
    not deductible.

    One transaction: the gift's row is locked, so two treasurers acknowledging the same gift
    at once take turns and the second gets :class:`AlreadyAcknowledged` (a MoneyConflict that
    says when and how it went); a bad address or language is a MoneyError at its field.
    Audit ``acknowledgment.sent``."""
    from volunteers.messaging.delivery import publish_dispatch
    from volunteers.models import Message

    address = _clean(gift=gift, method=method, to_address=to_address, language=language)
    model = CountCheck if gift.kind == CHECK else CardGift
    gift_field = "check_gift" if gift.kind == CHECK else "card_gift"
    with transaction.atomic():
        list(model.objects.select_for_update().filter(pk=gift.pk).values_list("pk", flat=True))
        earlier = (Acknowledgment.objects.select_related("by")
                   .filter(**{f"{gift_field}_id": gift.pk}).first())
        if earlier is not None:
            raise AlreadyAcknowledged(earlier)
        goods, deductible = gift_figures(gift, with_item=with_item)
        message = None
        if method == Acknowledgment.Method.EMAIL:
            message = Message.objects.create(
                kind=MESSAGE_KIND, to_address=address, event_id=gift.event.pk,
                context={"language": language},
                dedupe_key=f"{MESSAGE_KIND}:{gift.kind}={gift.pk}")
            transaction.on_commit(publish_dispatch, robust=True)
        acknowledgment = Acknowledgment.objects.create(
            **{gift_field: gift.record}, event_id=gift.event.pk, method=method,
            donor_name=gift.donor_name[:200], to_address=address, language=language,
            amount_cents=gift.amount_cents, goods_value_cents=goods,
            deductible_cents=deductible, message=message, by=by)
        audit(action="acknowledgment.sent",
              subject=f"{gift.donor_name} {format_cents(gift.amount_cents)}", by=by,
              event=gift.event.pk,
              after={"gift": f"{gift.kind}:{gift.pk}", "acknowledgment": acknowledgment.pk,
                     "method": method, "language": language,
                     "amount_cents": gift.amount_cents, "goods_value_cents": goods,
                     "deductible_cents": deductible})
    gift.acknowledgment = acknowledgment
    return acknowledgment


# --- The email (rendered by the outbox when it is sent) -------------------------------------


def acknowledgment_email(message, *, now: datetime.datetime):
    """The email of an outbox row of kind ``donation_acknowledgment``, from its
    Acknowledgment as recorded, in the language recorded, to ``message.to_address``."""
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string

    from events.calendar import calendar_domain
    from volunteers.messaging.render import MessageFailed, _one_line, render_plain_text

    acknowledgment = (Acknowledgment.objects.select_related("by")
                      .filter(message_id=message.pk).first())
    if acknowledgment is None:
        raise MessageFailed("This message's acknowledgment no longer exists.")
    gift = gift_of(acknowledgment)
    language = acknowledgment.language if acknowledgment.language in EMAIL_TEMPLATES else "en"
    prefix = EMAIL_TEMPLATES[language]
    with translation.override(language), timezone.override(settings.TIME_ZONE):
        context = letter_context(gift, language=language, acknowledgment=acknowledgment)
        context.update({
            "recipient": {"name": acknowledgment.donor_name},
            "SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL,
            "COALITION": settings.COALITION, "HOTLINE": settings.HOTLINE,
        })
        subject = _one_line(render_plain_text(f"{prefix}_subject.txt", context))
        text = render_plain_text(f"{prefix}.txt", context)
        html = render_to_string(f"{prefix}.html", context)
    headers = {
        "Message-ID": f"<message-{message.pk}@{calendar_domain()}>",
        "Auto-Submitted": "auto-generated",
        "Content-Language": language,
    }
    reply_to = [settings.COALITION["email"]] if settings.COALITION.get("email") else []
    email = EmailMultiAlternatives(subject, text, to=[message.to_address], reply_to=reply_to,
                                   headers=headers)
    email.attach_alternative(html, "text/html")
    return email


def missing_count(gifts: list[Gift]) -> int:
    return sum(1 for gift in gifts if gift.missing)

