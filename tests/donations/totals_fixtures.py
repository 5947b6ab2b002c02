"""Drives with custody written at chosen times, for the totals, dashboard and team-page tests.

``Street(sites=2, teams=3)`` builds one fundraiser with ``sites`` collection sites (one street
shift each), ``teams`` teams, a collector who holds the buckets, an organizer (``by``) and two
treasurers (``ann`` and ``ben``, the counters of books_fixtures). ``street.trip(...)`` writes a
bucket's custody rows directly with the ORM (issued, handed over between teams at the same
site, returned, or left out / lost) at the minutes given, so attribution by time can be
checked; ``street.returns`` lists the "returned" rows in the order written, so
books_fixtures.counted(street, index, cents) counts them. ``card_gifts`` bulk-writes card
gifts. Nothing here checks the rules the services enforce."""

import datetime
import itertools

from django.utils import timezone

from donations.models import Bucket, CardGift, CustodyEvent
from tests.factories import (
    EventFactory,
    ShiftFactory,
    SiteFactory,
    TeamFactory,
    UserFactory,
    organizer,
    treasurer,
)

_references = itertools.count(1)
_numbers = itertools.count(50_000)


class Street:
    def __init__(self, *, sites: int = 1, teams: int = 1, event=None, start=None):
        self.event = event or EventFactory()
        self.start = start or timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(
            hours=12)
        self.sites = [SiteFactory() for _ in range(sites)]
        self.shifts = [ShiftFactory(event=self.event, site=site, starts_at=self.start,
                                    ends_at=self.start + datetime.timedelta(hours=12))
                       for site in self.sites]
        self.teams = [TeamFactory() for _ in range(teams)]
        self.by = organizer()
        self.ann = treasurer()
        self.ben = treasurer()
        self.collector = UserFactory()
        self.returns: list[CustodyEvent] = []
        self.buckets: list[Bucket] = []

    def at(self, minutes: float) -> datetime.datetime:
        return self.start + datetime.timedelta(minutes=minutes)

    def bucket(self) -> Bucket:
        bucket = Bucket.objects.create(number=next(_numbers))
        self.buckets.append(bucket)
        return bucket

    def trip(self, held: list[tuple[int, float]], *, site: int = 0, start: float = 0,
             end: str = "returned", bucket: Bucket | None = None) -> CustodyEvent | None:
        """A trip of ``bucket`` (default: a new one) at site ``site``: issued at ``start``
        minutes to team ``held[0][0]``, handed to ``held[1][0]`` after ``held[0][1]`` minutes,
        and so on; after the last stretch it is returned (``end="returned"``: the returned row
        is returned and kept in ``self.returns``), reported lost (``"lost"``), or left out
        (``"out"``). A team index of None: a step without a team."""
        bucket = bucket or self.bucket()
        shift = self.shifts[site]
        rows = []
        moment = start
        for index, (team, minutes) in enumerate(held):
            rows.append(CustodyEvent(
                bucket=bucket, kind="issued" if index == 0 else "handed_over", shift=shift,
                team=None if team is None else self.teams[team], holder=self.collector,
                seal_number="S-1", by=self.by, at=self.at(moment)))
            moment += minutes
        last_team = rows[-1].team
        if end == "returned":
            rows.append(CustodyEvent(
                bucket=bucket, kind="returned", shift=shift, team=last_team, seal_number="S-1",
                seal_intact=True, seal_matches=True, by=self.by, at=self.at(moment)))
        elif end == "lost":
            rows.append(CustodyEvent(bucket=bucket, kind="lost", shift=shift, team=last_team,
                                     by=self.by, at=self.at(moment)))
        written = CustodyEvent.objects.bulk_create(rows)
        if end != "returned":
            return None
        self.returns.append(written[-1])
        return written[-1]


def card_gifts(event, amounts: list[int], *, by, team=None, site=None, fee_cents: int = 0,
               processor: str = "stripe", donor_name: str = "", given_at=None,
               ) -> list[CardGift]:
    """Card gifts of ``amounts`` to ``team`` or ``site`` (neither: unattributed), one insert."""
    given_at = given_at or timezone.now()
    holder = team or site
    code = (holder.giving_code or "") if holder else "UNKNOWN-CODE"
    return CardGift.objects.bulk_create([
        CardGift(event=event, processor=processor, reference=f"ch_{next(_references)}",
                 code=code, team=team, site=site, amount_cents=amount, fee_cents=fee_cents,
                 donor_name=donor_name, given_at=given_at, entered_by=by)
        for amount in amounts])
