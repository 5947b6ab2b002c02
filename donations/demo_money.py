"""Demo books for `manage.py seed_demo` (issue 11): October's Fresno street drive, its buckets
back, its money half counted and banked, so a treasurer can finish it.

Next month's drive (events/demo_drive.py) keeps buckets out on the street to show every
custody state, and a drive with buckets still out cannot be reconciled; so the books live on
October's drive, four Saturdays back, at four of the same corners with the same partner
teams. Written through the services, as the counting table and the bank would:

- buckets 41-48 go out with eight collectors and come back sealed;
- an evening count session at Peoples Church: Ruth Okafor and Tom Alvarez count blind;
  bucket 43's counts differ by a $5 note, Pastor James Whitfield recounts and agrees with
  Ruth; bucket 44 holds a 10-peso coin, pending until exchanged; bucket 45 holds a $300
  check from a named donor;
- Tom deposits buckets 41-46 (slip DS-20781, bag B-0412); the bank credits $20 less (a
  counterfeit $20 note from bucket 43), typed as a bank line, matched, and explained by a
  bank adjustment allocated to bucket 43;
- bucket 47 is counted but not yet deposited; bucket 48 is back but not counted.

The drive is therefore "open", not reconciled: Grace Nakamura (treasurer@example.org), who
neither counted nor deposited, can have 48 counted, deposit 47 and 48, match the bank line
and reconcile. The custody and count steps are dated when seed_demo runs, not on the drive's
day (the services stamp the time). Safe to run twice: every step carries a fixed request
token or is looked up before it is made."""

import datetime
import uuid

from django.utils import timezone

from events.demo import at, ensure_event, next_weekday
from events.demo_drive import SITES, _holders, ensure_site
from events.models import Event, EventKind, Shift, ShiftRole
from volunteers.models import Signup, TeamMembership, User

from .banking import bank_adjustment_create, bank_line_create, bank_match, deposit_create, same_line
from .counting import count_submit, session_open, sheet_open
from .custody import bucket_create, bucket_issue, bucket_return
from .demo import token
from .handoff import personal_code
from .models import AgreedCount, BankAdjustment, Bucket, CountSession, CustodyEvent, Deposit

PLACE = "Peoples Church, fellowship hall"
SLIP = "DS-20781"
BUCKETS = range(41, 49)
UNCOUNTED = 48
RECOUNTED = 43
_COUNT_TOKENS = uuid.UUID("0c7f3f5e-8a51-4d0e-b4a7-6a4e3d2c1b00")

# What each counted bucket held, as {denomination code: quantity}.
HELD = {
    41: {"bill_20": 3, "bill_10": 4, "bill_5": 6, "bill_1": 23, "coin_25": 14, "coin_10": 9,
         "coin_5": 5, "coin_1": 17},
    42: {"bill_10": 1, "bill_5": 3, "bill_1": 12, "coin_25": 8, "coin_5": 6, "coin_1": 9},
    43: {"bill_20": 5, "bill_10": 2, "bill_5": 7, "bill_1": 31, "coin_25": 22, "coin_10": 12,
         "coin_1": 40},
    44: {"bill_20": 1, "bill_5": 2, "bill_1": 16, "coin_25": 19, "coin_10": 7, "coin_1": 21},
    45: {"bill_50": 1, "bill_20": 2, "bill_5": 4, "bill_1": 19, "coin_25": 11, "roll_25": 1},
    46: {"bill_20": 2, "bill_10": 3, "bill_1": 27, "coin_100": 2, "coin_25": 16},
    47: {"bill_10": 2, "bill_5": 5, "bill_2": 1, "bill_1": 14, "coin_10": 21, "coin_1": 33},
}
CHECKS = {
    45: [{"number": "4471", "payer": "Robert & Linda Chen", "amount_cents": 30000,
          "donor_name": "Robert and Linda Chen",
          "donor_address": "2871 W Bullard Ave, Fresno, CA 93711"}],
    41: [{"number": "1182", "payer": "Iglesia Fuente de Vida", "amount_cents": 5000,
          "donor_name": "", "donor_address": ""}],
}
ODD = {44: ["Mexican 10-peso coin"]}
DEPOSITED = (41, 42, 43, 44, 45, 46)


def _token(step: str) -> uuid.UUID:
    return uuid.uuid5(_COUNT_TOKENS, step)


def _counters() -> tuple[User, User, User]:
    """Ruth and Tom count; Pastor James (an organizer and a treasurer) recounts."""
    people = {u.email: u for u in User.objects.filter(email__in=[
        "treasurer2@example.org", "treasurer3@example.org", "organizer2@example.org"])}
    return (people["treasurer2@example.org"], people["treasurer3@example.org"],
            people["organizer2@example.org"])


def october_drive(people: dict) -> Event:
    """Four Saturdays back: four corners, one window, two collectors of a partner team each."""
    organizer = people["organizers"][0]
    day = next_weekday(timezone.localdate(), 5, weeks_ahead=-5)  # four Saturdays back
    drive = ensure_event(
        title="Pledge 2 Stop Trafficking Street Drive — Fresno, October",
        kind=EventKind.FUNDRAISER,
        description="October's street drive at four Fresno corners: counted, banked and "
                    "being reconciled.",
        title_es="Colecta en la calle «Pledge 2 Stop Trafficking» — Fresno, octubre",
        description_es="La colecta de octubre en cuatro esquinas de Fresno: contada, "
                       "depositada y en conciliación.",
        venue_name="Staging: Peoples Church parking lot",
        address="7172 N Cedar Ave, Fresno, CA 93720",
        latitude="36.837700", longitude="-119.753900",
        starts_at=at(day, 9), ends_at=at(day, 13),
        status=Event.Status.PUBLISHED, contact=organizer, created_by=organizer,
    )
    sites = [ensure_site(*row, by=organizer) for row in SITES[:4]]
    teams = _holders(people, organizer)[:4]
    for site, team in zip(sites, teams, strict=True):
        shift, _created = Shift.objects.get_or_create(
            event=drive, site=site, starts_at=at(day, 9),
            defaults={"role": ShiftRole.COLLECTOR, "ends_at": at(day, 13), "needed": 2,
                      "capacity": 4, "min_age": site.min_age, "held_for": team})
        members = (TeamMembership.objects.filter(team=team, is_captain=False)
                   .select_related("user").order_by("pk"))[:2]
        for membership in members:
            # Written directly: the sign-up services refuse shifts in the past.
            Signup.objects.get_or_create(
                shift=shift, volunteer=membership.user,
                defaults={"status": Signup.Status.CONFIRMED, "team": team,
                          "confirmed_at": at(day, 9) - datetime.timedelta(days=10)})
    return drive


def _trips(people: dict, drive: Event) -> dict[int, CustodyEvent]:
    """Buckets 41-48 out with the drive's collectors and back; their "returned" rows."""
    organizer = people["organizers"][0]
    existing = set(Bucket.objects.filter(number__in=BUCKETS).values_list("number", flat=True))
    for number in BUCKETS:
        if number not in existing:
            bucket_create(number=number, kind=Bucket.Kind.BUCKET, by=organizer)
    buckets = {b.number: b for b in Bucket.objects.filter(number__in=BUCKETS)}
    collectors = list(Signup.objects.filter(shift__event=drive, status=Signup.Status.CONFIRMED)
                      .select_related("shift", "volunteer").order_by("shift__site__name", "pk"))
    for number, signup in zip(BUCKETS, collectors, strict=False):
        person = signup.volunteer
        bucket_issue(bucket=buckets[number], shift=signup.shift, to=person,
                     seal_number=f"FO-{5200 + number}", by=organizer,
                     receiver_code=personal_code(person, drive),
                     request_token=token(f"october-issue-{number}"))
        bucket_return(bucket=buckets[number], seal_number=f"FO-{5200 + number}",
                      seal_intact=True, by=organizer,
                      request_token=token(f"october-return-{number}"))
    return {row.bucket.number: row for row in CustodyEvent.objects.filter(
        kind=CustodyEvent.Kind.RETURNED, shift__event=drive).select_related("bucket")}


def _count(sheet, counter: User, number: int, letter: str, quantities=None) -> None:
    count_submit(sheet=sheet, counter=counter, quantities=quantities or HELD[number],
                 checks=CHECKS.get(number, []), odd_items=ODD.get(number, []),
                 request_token=_token(f"{number}-{letter}"))


def seed_books(people: dict) -> Event | None:
    drive = october_drive(people)
    returns = _trips(people, drive)
    if set(returns) != set(BUCKETS):
        return None  # an edited database: leave the books alone
    ruth, tom, james = _counters()
    session = CountSession.objects.filter(event=drive, place=PLACE).first()
    if session is None:
        session = session_open(event=drive, place=PLACE, by=ruth, present=[ruth, tom, james],
                               note="Buckets opened two at a time in front of both counters.")
    sheets = {number: sheet_open(session=session, returned=returns[number], by=ruth)
              for number in BUCKETS}
    for number in HELD:
        if AgreedCount.objects.filter(sheet=sheets[number]).exists():
            continue
        _count(sheets[number], ruth, number, "A")
        if number == RECOUNTED:  # Tom missed a $5 note; James recounts and agrees with Ruth
            missed = {**HELD[number], "bill_5": HELD[number]["bill_5"] - 1}
            _count(sheets[number], tom, number, "B", missed)
            _count(sheets[number], james, number, "C")
        else:
            _count(sheets[number], tom, number, "B")
    if Deposit.objects.filter(event=drive, slip_number=SLIP).exists():
        return drive
    agreed = {a.bucket.number: a for a in AgreedCount.objects.filter(event=drive)
              .select_related("bucket")}
    banked = [agreed[number] for number in DEPOSITED]
    counted = sum(a.total_cents for a in banked)
    today = timezone.localdate()
    deposit = deposit_create(event=drive, deposited_on=today, depositor=tom, slip_number=SLIP,
                             bag_number="B-0412", declared_cents=counted,
                             agreed_ids=[a.pk for a in banked], by=tom)
    line = {"posted_on": today, "amount_cents": counted - 2000, "reference": "0412-DS20781",
            "description": "BRANCH DEPOSIT 0412"}
    bank_line = same_line(**line) or bank_line_create(**line, by=tom)
    bank_match(deposit=deposit, bank_line=bank_line, by=tom)
    bank_adjustment_create(
        deposit=deposit, amount_cents=-2000, reason=BankAdjustment.Reason.COUNTERFEIT,
        explanation="The bank's counter found a counterfeit $20 note in the bag and kept it "
                    "(notice 26-0412-118). Ruth, Tom and James all counted five $20 notes in "
                    "bucket 43, so it came from there.",
        allocations={agreed[RECOUNTED].pk: -2000}, by=tom)
    return drive
