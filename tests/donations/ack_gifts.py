"""Gifts for the acknowledgment tests, on top of a ``MoneyWorld``: a bucket counted A and B
(ann and ben) with named checks or envelopes, agreed; a card gift from the processor's file.
Rows are written with the ORM, as books_fixtures does."""

import itertools

from django.utils import timezone

from donations.models import CardGift, Count, CountCheck
from tests.donations.books_fixtures import agree, sheet_for

_references = itertools.count(1)


def named_checks(world, index: int, checks: list[dict], *, agreed: bool = True,
                 session=None) -> list[CountCheck]:
    """Bucket ``index`` counted A (ann) and B (ben), each with the same ``checks`` (dicts of
    CountCheck fields: amount_cents, donor_name, kind ...), agreed unless ``agreed`` is
    False. Returns count A's checks (the agreed count's), in order."""
    sheet = sheet_for(world, world.returns[index], session=session)
    counts = []
    for letter, counter in (("A", world.ann), ("B", world.ben)):
        cents = sum(check["amount_cents"] for check in checks)
        count = Count.objects.create(sheet=sheet, event=sheet.event, letter=letter,
                                     counter=counter, cash_cents=0, checks_cents=cents,
                                     total_cents=cents)
        CountCheck.objects.bulk_create([
            CountCheck(count=count, **{"payer": check.get("donor_name") or "Payer", **check})
            for check in checks])
        counts.append(count)
    if agreed:
        agree(sheet, counts[0], counts[1])
    return list(counts[0].checks.order_by("pk"))


def named_check(world, index: int = 0, amount_cents: int = 30000, *,
                donor_name: str = "Maria Lopez", **fields) -> CountCheck:
    return named_checks(world, index, [{"amount_cents": amount_cents, "donor_name": donor_name,
                                        **fields}])[0]


def card_gift(world, amount_cents: int = 50000, *, donor_name: str = "Rosa Diaz",
              donor_email: str = "rosa@example.org", donor_language: str = "",
              team="world", **fields) -> CardGift:
    return CardGift.objects.create(
        event=world.event, processor="stripe", reference=f"ch_{next(_references)}",
        code="PCY", team=world.team if team == "world" else team, amount_cents=amount_cents,
        donor_name=donor_name, donor_email=donor_email, donor_language=donor_language,
        given_at=fields.pop("given_at", timezone.now()), entered_by=world.ann, **fields)
