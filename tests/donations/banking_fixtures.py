"""Agreed counts for the banking tests, written straight with the ORM (counting has its own
services and tests): a count session, a sheet per returned bucket of a ``MoneyWorld``, counts A
and B by two treasurers who agree, and the AgreedCount that is the bucket's figure."""

import datetime

from donations.models import (
    AgreedCount,
    BankLine,
    Count,
    CountSession,
    CountSheet,
    DriveMoneyStep,
    OddItem,
    OddItemProceeds,
)


def session_for(world) -> CountSession:
    return CountSession.objects.create(event=world.event, place="Peoples Church hall",
                                       opened_by=world.ann)


def agree(world, index: int = 0, *, total_cents: int = 10_000, checks_cents: int = 0,
          counters=None, session=None, returned=None, agreed_at=None) -> AgreedCount:
    """Bucket ``world.buckets[index]`` (its return ``world.returns[index]``, or the custody
    row ``returned``) counted twice alike: ``total_cents`` of which ``checks_cents`` in
    checks."""
    returned = returned or world.returns[index]
    event = returned.shift.event
    session = session or (session_for(world) if event == world.event else
                          CountSession.objects.create(event=event, place="Elsewhere",
                                                      opened_by=world.ann))
    sheet = CountSheet.objects.create(session=session, event=event, bucket=returned.bucket,
                                      returned=returned, team=returned.team,
                                      opened_by=world.ann)
    first, second = counters or (world.ann, world.ben)
    cash = total_cents - checks_cents
    counts = [Count.objects.create(sheet=sheet, event=event, letter=letter, counter=person,
                                   cash_cents=cash, checks_cents=checks_cents,
                                   total_cents=total_cents)
              for letter, person in (("A", first), ("B", second))]
    return AgreedCount.objects.create(sheet=sheet, count=counts[0], matched=counts[1],
                                      event=event, bucket=returned.bucket,
                                      team=returned.team, cash_cents=cash,
                                      checks_cents=checks_cents, total_cents=total_cents,
                                      **({"agreed_at": agreed_at} if agreed_at else {}))


def other_drive_return(world):
    """A bucket back from another drive (same site and team as ``world``)."""
    from donations.custody import bucket_issue, bucket_return
    from donations.handoff import personal_code
    from tests.factories import BucketFactory, EventFactory, ShiftFactory, SignupFactory

    event = EventFactory(title="Clovis Street Drive")
    shift = ShiftFactory(event=event, site=world.site)
    collector = SignupFactory(shift=shift, team=world.team).volunteer
    bucket = BucketFactory()
    bucket_issue(bucket=bucket, shift=shift, to=collector, seal_number="C-1",
                 by=world.organizer, receiver_code=personal_code(collector, event))
    return bucket_return(bucket=bucket, seal_number="C-1", seal_intact=True,
                         by=world.organizer)


def agree_all(world, amounts: list[int]) -> list[AgreedCount]:
    """The first ``len(amounts)`` buckets agreed at these totals, in one session."""
    session = session_for(world)
    return [agree(world, index, total_cents=cents, session=session)
            for index, cents in enumerate(amounts)]


def proceeds(agreed: AgreedCount, amount_cents: int, *, by, description="Canadian $5 note",
             how=OddItemProceeds.How.EXCHANGED) -> OddItemProceeds:
    """An odd item found in ``agreed``'s bucket, exchanged for ``amount_cents``."""
    item = OddItem.objects.create(count=agreed.count, description=description)
    return OddItemProceeds.objects.create(odd_item=item, agreed=agreed, event=agreed.event,
                                          how=how, amount_cents=amount_cents, by=by)


def bank_line(amount_cents: int, *, by, posted_on: datetime.date | None = None,
              reference: str = "", description: str = "DEPOSIT") -> BankLine:
    from django.utils import timezone

    return BankLine.objects.create(posted_on=posted_on or timezone.localdate(),
                                   amount_cents=amount_cents, reference=reference,
                                   description=description, source=BankLine.Source.TYPED,
                                   entered_by=by)


def lock(world) -> DriveMoneyStep:
    """The drive reconciled (its books locked), as the books helper's service leaves it."""
    return DriveMoneyStep.objects.create(event=world.event, kind=DriveMoneyStep.Kind.RECONCILED,
                                         by=world.tess)
