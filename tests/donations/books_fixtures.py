"""Money rows for the books tests, written directly with the ORM (not through the counting and
banking services), on top of a ``MoneyWorld``: a count session, count sheets, blind counts A
and B (and recounts), agreed counts, odd items and what they brought, deposits and their items,
bank lines, matches and bank adjustments allocated to buckets.

``counted(world, index, cents)`` is the usual step: bucket ``index`` counted by ann (A) and ben
(B), equal, agreed. ``deposited(world, agreed, by=...)`` puts agreed counts into one deposit;
``banked(deposit, amount)`` matches it to a new bank line. Nothing here checks the rules the
services enforce; tests that need a refusal call the services."""

import datetime
import itertools

from django.utils import timezone

from donations.models import (
    AdjustmentAllocation,
    AgreedCount,
    BankAdjustment,
    BankLine,
    BankMatch,
    Count,
    CountCheck,
    CountLine,
    CountSession,
    CountSheet,
    Deposit,
    DepositItem,
    OddItem,
    OddItemProceeds,
)
from donations.money import BY_CODE, DENOMINATIONS, lines_total

_slips = itertools.count(1)
_references = itertools.count(1)


def quantities_for(cents: int) -> dict[str, int]:
    """Notes and coins (no rolls) worth exactly ``cents``, the largest first."""
    quantities = {}
    left = cents
    for denomination in DENOMINATIONS:
        if denomination.kind == "roll" or denomination.code == "coin_100":
            continue
        number, left = divmod(left, denomination.unit_cents)
        if number:
            quantities[denomination.code] = number
    return quantities


def session_for(world, *, by=None, place="Peoples Church hall") -> CountSession:
    return CountSession.objects.create(event=world.event, place=place,
                                       opened_by=by or world.ann)


def sheet_for(world, returned, *, session=None, by=None) -> CountSheet:
    session = session or session_for(world, by=by)
    return CountSheet.objects.create(session=session, event=world.event, bucket=returned.bucket,
                                     returned=returned, team=returned.team,
                                     opened_by=by or world.ann)


def count_of(sheet: CountSheet, *, counter, letter: str, quantities: dict[str, int] | None = None,
             checks: tuple[int, ...] = (), odd: tuple[str, ...] = (), override_reason: str = "",
             at=None) -> Count:
    quantities = quantities or {}
    cash = lines_total(quantities)
    checks_cents = sum(checks)
    count = Count.objects.create(
        sheet=sheet, event=sheet.event, letter=letter, counter=counter, cash_cents=cash,
        checks_cents=checks_cents, total_cents=cash + checks_cents,
        override_reason=override_reason, submitted_at=at or timezone.now())
    CountLine.objects.bulk_create([
        CountLine(count=count, denomination=code, unit_cents=BY_CODE[code].unit_cents,
                  quantity=quantity) for code, quantity in quantities.items() if quantity])
    CountCheck.objects.bulk_create([
        CountCheck(count=count, payer=f"Payer {n}", amount_cents=amount)
        for n, amount in enumerate(checks)])
    OddItem.objects.bulk_create([OddItem(count=count, description=text) for text in odd])
    return count


def agree(sheet: CountSheet, count: Count, matched: Count, *, at=None) -> AgreedCount:
    return AgreedCount.objects.create(
        sheet=sheet, count=count, matched=matched, event=sheet.event, bucket=sheet.bucket,
        team=sheet.team, cash_cents=count.cash_cents, checks_cents=count.checks_cents,
        total_cents=count.total_cents, agreed_at=at or timezone.now())


def counted(world, index: int, cents: int, *, a=None, b=None, session=None,
            odd: tuple[str, ...] = (), checks: tuple[int, ...] = (), at=None,
            override_reason: str = "") -> AgreedCount:
    """Bucket ``index`` of the world counted A (``a``, default ann) and B (``b``, default ben)
    to ``cents`` in cash (plus ``checks``), agreed ``at`` (default now)."""
    sheet = sheet_for(world, world.returns[index], session=session)
    quantities = quantities_for(cents)
    first = count_of(sheet, counter=a or world.ann, letter="A", quantities=quantities,
                     checks=checks, odd=odd, override_reason=override_reason)
    second = count_of(sheet, counter=b or world.ben, letter="B", quantities=quantities,
                      checks=checks, odd=odd)
    return agree(sheet, first, second, at=at)


def proceeds_of(item: OddItem, agreed: AgreedCount, *, by, amount_cents: int,
                how: str = OddItemProceeds.How.EXCHANGED) -> OddItemProceeds:
    return OddItemProceeds.objects.create(odd_item=item, agreed=agreed, event=agreed.event,
                                          how=how, amount_cents=amount_cents, by=by)


def deposited(world, agreed: list[AgreedCount], *, by=None, declared: int | None = None,
              proceeds: list[OddItemProceeds] = (), slip: str | None = None,
              on: datetime.date | None = None) -> Deposit:
    """One deposit of ``agreed`` (and ``proceeds``) made by ``by`` (default ann); the slip
    declares what it holds unless ``declared`` says otherwise."""
    by = by or world.ann
    held = sum(a.total_cents for a in agreed) + sum(p.amount_cents for p in proceeds)
    deposit = Deposit.objects.create(
        event=world.event, deposited_on=on or timezone.localdate(), depositor=by,
        slip_number=slip or f"D-{next(_slips)}", bag_number="B-1",
        declared_cents=held if declared is None else declared, created_by=by)
    DepositItem.objects.bulk_create(
        [DepositItem(deposit=deposit, agreed=a, amount_cents=a.total_cents, added_by=by)
         for a in agreed]
        + [DepositItem(deposit=deposit, proceeds=p, amount_cents=p.amount_cents, added_by=by)
           for p in proceeds])
    return deposit


def bank_line(amount_cents: int, *, by, posted_on: datetime.date | None = None,
              reference: str | None = None) -> BankLine:
    return BankLine.objects.create(
        posted_on=posted_on or timezone.localdate(), description="DEPOSIT",
        amount_cents=amount_cents, reference=reference or f"REF-{next(_references)}",
        source=BankLine.Source.TYPED, entered_by=by)


def banked(deposit: Deposit, amount_cents: int | None = None, *, by=None) -> BankMatch:
    """``deposit`` matched to a new bank line of ``amount_cents`` (default: what it holds)."""
    held = sum(deposit.items.values_list("amount_cents", flat=True))
    by = by or deposit.created_by
    line = bank_line(held if amount_cents is None else amount_cents, by=by)
    return BankMatch.objects.create(bank_line=line, deposit=deposit, event=deposit.event,
                                    difference_cents=line.amount_cents - held, matched_by=by)


def bank_adjustment(deposit: Deposit, allocations: dict[AgreedCount, int], *, by,
                    reason: str = BankAdjustment.Reason.COUNTERFEIT,
                    explanation: str = "The bank removed a counterfeit $20 note.",
                    ) -> BankAdjustment:
    adjustment = BankAdjustment.objects.create(
        deposit=deposit, event=deposit.event, amount_cents=sum(allocations.values()),
        reason=reason, explanation=explanation, by=by)
    AdjustmentAllocation.objects.bulk_create([
        AdjustmentAllocation(adjustment=adjustment, agreed=agreed, amount_cents=cents)
        for agreed, cents in allocations.items()])
    return adjustment


def ready_to_reconcile(world, amounts: tuple[int, ...] = (12000, 4550, 8725), *,
                       depositor=None) -> tuple[list[AgreedCount], Deposit, BankMatch]:
    """Every bucket of the world counted (``amounts``, by ann and ben), deposited in one
    deposit by ``depositor`` (default ann) and matched to the bank to the cent."""
    agreed = [counted(world, index, cents) for index, cents in enumerate(amounts)]
    deposit = deposited(world, agreed, by=depositor)
    return agreed, deposit, banked(deposit)


def second_world(world, buckets: int = 1):
    """Another drive's MoneyWorld in the same test. MoneyWorld always names its team "Peoples
    Church Youth" (team names are unique), so the first world's team is renamed first."""
    from tests.donations.money_world import MoneyWorld

    world.team.name = f"{world.team.name} {world.team.pk}"
    world.team.save(update_fields=["name"])
    return MoneyWorld(buckets=buckets)
