"""Builds the benchmark data set: a 300-shift bucket-drive day and a 10-place shift for the
sign-up race. Run by bench/run.py with the benchmark's DATABASE_URL."""

import datetime
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from events.models import Event, EventKind, Shift, ShiftRole  # noqa: E402
from volunteers.models import Role, RoleGrant, Signup, User  # noqa: E402

SHIFTS = 300
RACERS = 20


def session_for(user: User) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def street_drive(start, people) -> int:
    """A street drive for the sites board and the drive-day view: 50 sites x 6 two-hour
    windows, 30 teams (each with a captain), two cells in three held, sign-ups through the
    holding team, 100 buckets in custody."""
    from decimal import Decimal

    from events.models import Site
    from volunteers.models import Team, TeamMembership

    event = Event.objects.create(
        kind=EventKind.FUNDRAISER, title="Benchmark Street Drive", venue_name="Fresno",
        address="Fresno, CA", starts_at=start, ends_at=start + datetime.timedelta(hours=12),
        status=Event.Status.PUBLISHED,
    )
    sites = Site.objects.bulk_create(
        Site(name=f"Bench corner {i + 1}", address=f"Corner {i + 1}, Fresno, CA",
             latitude=Decimal("36.75") + Decimal(i) / 500, longitude=Decimal("-119.80"),
             jurisdiction="Fresno", min_people=2, max_people=4)
        for i in range(50)
    )
    teams = Team.objects.bulk_create(Team(name=f"Bench team {i + 1}") for i in range(30))
    TeamMembership.objects.bulk_create(
        TeamMembership(team=team, user=people[i], is_captain=True) for i, team in enumerate(teams)
    )
    shifts = Shift.objects.bulk_create(
        Shift(event=event, site=site, role=ShiftRole.COLLECTOR,
              starts_at=start + datetime.timedelta(hours=2 * w),
              ends_at=start + datetime.timedelta(hours=2 * w + 2), needed=2, capacity=4,
              held_for=teams[(i + w) % 30] if (i + w) % 3 else None)
        for i, site in enumerate(sites) for w in range(6)
    )
    Signup.objects.bulk_create(
        Signup(shift=shift, volunteer=people[100 + (index * 3 + n) % 500], status="confirmed",
               team=shift.held_for, confirmed_at=timezone.now())
        for index, shift in enumerate(shifts) for n in range(index % 4)
    )
    street_custody(event)
    return event.pk


def street_custody(event) -> None:
    """The drive-day view's data (issue #10): half the people of each shift in progress
    checked in, and 100 numbered buckets, each issued to a collector of a started shift; of
    those from ended windows, one in three returned, one in three handed over to the next
    window, the rest overdue; two lost or stolen with an incident. The rows are what the
    custody services write, inserted in bulk."""
    from donations.models import Bucket, CustodyEvent, Incident

    now = timezone.now()
    organizer = User.objects.get(email="bench-organizer@example.org")
    started = list(Shift.objects.filter(event=event, starts_at__lte=now)
                   .order_by("starts_at", "site_id"))
    crews = {}
    for signup in Signup.objects.filter(shift__in=started).order_by("pk"):
        crews.setdefault(signup.shift_id, []).append(signup)
    current = [s for s in started if s.ends_at > now]
    present = [signup.pk for shift in current for signup in crews.get(shift.pk, [])[::2]]
    Signup.objects.filter(pk__in=present).update(attendance="present", checked_in_at=now)
    staffed = [s for s in started if crews.get(s.pk)]
    next_window = {(s.site_id, s.starts_at): s for s in started}
    buckets = Bucket.objects.bulk_create(Bucket(number=n + 1) for n in range(100))
    issued, later = [], []
    for n, bucket in enumerate(buckets):
        shift = staffed[(n * 7) % len(staffed)]
        holder = crews[shift.pk][0].volunteer_id
        at = shift.starts_at - datetime.timedelta(minutes=20)
        issued.append(CustodyEvent(bucket=bucket, kind="issued", shift=shift,
                                   team_id=shift.held_for_id, holder_id=holder,
                                   seal_number=f"B-{n + 1}", by=organizer, at=at))
        if shift.ends_at > now:
            continue
        following = next_window.get((shift.site_id, shift.ends_at))
        if n % 3 == 0:
            later.append(CustodyEvent(bucket=bucket, kind="returned", shift=shift,
                                      from_holder_id=holder, seal_number=f"B-{n + 1}",
                                      seal_intact=n % 9 != 0, seal_matches=True,
                                      by=organizer, at=shift.ends_at))
        elif n % 3 == 1 and following is not None and crews.get(following.pk):
            later.append(CustodyEvent(bucket=bucket, kind="handed_over", shift=following,
                                      from_holder_id=holder,
                                      holder_id=crews[following.pk][0].volunteer_id,
                                      seal_number=f"B-{n + 1}", by=organizer,
                                      at=shift.ends_at))
    CustodyEvent.objects.bulk_create(issued)
    CustodyEvent.objects.bulk_create(later)
    for row, kind in ((issued[-1], "stolen"), (issued[-2], "lost")):
        incident = Incident.objects.create(
            event=event, kind="theft" if kind == "stolen" else "lost_bucket",
            site_id=row.shift.site_id, shift=row.shift, bucket=row.bucket,
            description="Bench incident", police_report_number="BENCH-1",
            reported_by=organizer)
        CustodyEvent.objects.create(bucket=row.bucket, kind=kind, shift=row.shift,
                                    incident=incident, by=organizer, at=now)


def money_drive(people) -> dict:
    """The treasurers' pages (issue 11): a past drive whose 100 buckets came back, each counted
    A and B (agreed) through the counting services in one count session; 50 in a deposit
    matched to its bank line, 50 counted and waiting. Custody rows are inserted in bulk."""
    from donations.banking import bank_line_create, bank_match, deposit_create
    from donations.counting import count_submit, session_open, sheet_open
    from donations.models import AgreedCount, Bucket, CustodyEvent

    organizer = User.objects.get(email="bench-organizer@example.org")
    counters = []
    for n in range(3):
        person = User.objects.create_user(f"bench-treasurer{n}@example.org", "x",
                                          display_name=f"Treasurer {n}")
        RoleGrant.objects.create(user=person, role=Role.TREASURER)
        counters.append(person)
    start = timezone.now() - datetime.timedelta(days=2)
    event = Event.objects.create(
        kind=EventKind.FUNDRAISER, title="Benchmark Counted Drive", venue_name="Peoples Church",
        address="7172 N Cedar Ave, Fresno, CA 93720", starts_at=start,
        ends_at=start + datetime.timedelta(hours=4), status=Event.Status.PUBLISHED)
    from events.models import Site

    site = Site.objects.order_by("pk").first()
    shift = Shift.objects.create(event=event, role=ShiftRole.COLLECTOR, site=site,
                                 starts_at=start, ends_at=start + datetime.timedelta(hours=4),
                                 needed=2, capacity=200)
    collectors = people[:100]
    Signup.objects.bulk_create(Signup(shift=shift, volunteer=p, status="confirmed",
                                      confirmed_at=start) for p in collectors)
    buckets = Bucket.objects.bulk_create(Bucket(number=1000 + n) for n in range(100))
    from volunteers.models import Team

    teams = list(Team.objects.order_by("pk")[:30])
    CustodyEvent.objects.bulk_create(
        CustodyEvent(bucket=b, kind="issued", shift=shift, holder=collectors[n],
                     team=teams[n % len(teams)] if teams else None,
                     seal_number=f"M-{n}", by=organizer, at=start)
        for n, b in enumerate(buckets))
    returns = CustodyEvent.objects.bulk_create(
        CustodyEvent(bucket=b, kind="returned", shift=shift, from_holder=collectors[n],
                     seal_number=f"M-{n}", seal_intact=True, seal_matches=True, by=organizer,
                     at=start + datetime.timedelta(hours=4))
        for n, b in enumerate(buckets))
    session = session_open(event=event, place="Bench hall", by=counters[0],
                           present=counters[:2])
    checks = [{"payer": "A donor", "amount_cents": 2500}]
    for n, returned in enumerate(returns):
        sheet = sheet_open(session=session, returned=returned, by=counters[0])
        held = {"bill_20": n % 7, "bill_5": n % 5, "bill_1": 10 + n % 13, "coin_25": n % 17,
                "coin_1": n % 31}
        for counter in counters[:2]:
            count_submit(sheet=sheet, counter=counter, quantities=held,
                         checks=checks if n % 10 == 0 else [], odd_items=[])
    banked = list(AgreedCount.objects.filter(event=event).order_by("pk")[:50])
    total = sum(a.total_cents for a in banked)
    deposit = deposit_create(event=event, deposited_on=timezone.localdate(),
                             depositor=counters[1], slip_number="BENCH-1",
                             declared_cents=total, agreed_ids=[a.pk for a in banked],
                             by=counters[1])
    line = bank_line_create(posted_on=timezone.localdate(), description="BENCH DEPOSIT",
                            amount_cents=total, reference="BENCH-1", by=counters[1])
    bank_match(deposit=deposit, bank_line=line, by=counters[1])
    # 1,000 card gifts through the donation page, with the teams' codes (issue 12).
    from donations.models import CardGift

    for n, team in enumerate(teams):
        team.giving_code = f"BT-{n:02d}"
    Team.objects.bulk_update(teams, ["giving_code"])
    CardGift.objects.bulk_create(
        CardGift(event=event, processor="stripe", reference=f"ch_bench_{n}",
                 code=teams[n % len(teams)].giving_code if n % 10 else "",
                 team=teams[n % len(teams)] if n % 10 else None, amount_cents=500 + n * 7,
                 fee_cents=45, given_at=start + datetime.timedelta(minutes=n % 240),
                 entered_by=counters[1])
        for n in range(1000))
    Event.objects.filter(pk=event.pk).update(show_leaderboard=True)
    return {"money_event": event.pk, "money_session": session.pk, "money_deposit": deposit.pk,
            "treasurer_session": session_for(counters[2])}


def personal_lists(start, people) -> dict:
    """My shifts and the feeds (issue 13): a season of 1,000 two-hour shifts over 100 days; one
    volunteer signed up for 200 of them (My shifts), another for all 1,000 (the personal feed);
    a team of 100 members (its page, seen by an organizer)."""
    from volunteers.models import Team, TeamMembership

    season = Event.objects.create(
        kind=EventKind.FUNDRAISER, title="Benchmark Season, 100 days", venue_name="Fresno",
        address="Fresno, CA", starts_at=start, ends_at=start + datetime.timedelta(days=100),
        status=Event.Status.PUBLISHED,
    )
    shifts = Shift.objects.bulk_create(
        Shift(event=season, role=ShiftRole.COLLECTOR, title=f"Season corner {i % 10 + 1}",
              starts_at=start + datetime.timedelta(days=i // 10, hours=i % 10),
              ends_at=start + datetime.timedelta(days=i // 10, hours=i % 10 + 1),
              needed=2, capacity=4)
        for i in range(1000)
    )
    mine, feed = people[598], people[599]
    Signup.objects.bulk_create(
        [Signup(shift=shift, volunteer=mine, status="confirmed", confirmed_at=timezone.now())
         for shift in shifts[::5]]
        + [Signup(shift=shift, volunteer=feed, status="confirmed", confirmed_at=timezone.now())
           for shift in shifts]
    )
    team = Team.objects.create(name="Benchmark Hundred")
    TeamMembership.objects.bulk_create(
        TeamMembership(team=team, user=person, is_captain=n < 3)
        for n, person in enumerate(people[200:300])
    )
    return {"my_shifts_session": session_for(mine), "feed_token": feed.calendar_token,
            "team": team.pk, "volunteer_session": session_for(people[597])}


def main() -> None:
    day = timezone.localdate() + datetime.timedelta(days=10)
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(6)))
    organizer = User.objects.create_user("bench-organizer@example.org", "x", display_name="Org")
    RoleGrant.objects.create(user=organizer, role=Role.ORGANIZER)
    people = User.objects.bulk_create(
        User(email=f"bench{i}@example.org", display_name=f"Volunteer {i}", confirmed_adult=True,
             phone="(559) 555-0100", calendar_token=f"bench-token-{i}")
        for i in range(600)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=p, email=p.email, verified=True, primary=True) for p in people
    )
    event = Event.objects.create(
        kind=EventKind.FUNDRAISER, title="Benchmark Bucket Drive", venue_name="Peoples Church",
        address="7172 N Cedar Ave, Fresno, CA 93720", starts_at=start,
        ends_at=start + datetime.timedelta(hours=14), status=Event.Status.PUBLISHED,
    )
    # 300 shifts: 30 intersections x 10 two-hour slots... packed into one day by overlapping
    # slots of an hour each, the shape of a large drive day.
    shifts = Shift.objects.bulk_create(
        Shift(event=event, role=ShiftRole.COLLECTOR, title=f"Corner {i % 30 + 1}",
              starts_at=start + datetime.timedelta(minutes=40 * (i // 30)),
              ends_at=start + datetime.timedelta(minutes=40 * (i // 30) + 120),
              needed=4, capacity=6)
        for i in range(SHIFTS)
    )
    signups = []
    for index, shift in enumerate(shifts):
        filled = index % 7  # 0..6 confirmed: some empty, some full
        for n in range(filled):
            person = people[(index * 7 + n) % len(people)]
            signups.append(Signup(shift=shift, volunteer=person, status="confirmed",
                                  confirmed_at=timezone.now()))
    Signup.objects.bulk_create(signups, ignore_conflicts=True)
    race_event = Event.objects.create(
        kind=EventKind.FUNDRAISER, title="Race Drive", venue_name="Clovis",
        address="Clovis, CA", starts_at=start + datetime.timedelta(days=1),
        ends_at=start + datetime.timedelta(days=1, hours=8), status=Event.Status.PUBLISHED,
    )
    race_shift = Shift.objects.create(
        event=race_event, role=ShiftRole.COLLECTOR, starts_at=race_event.starts_at,
        ends_at=race_event.starts_at + datetime.timedelta(hours=2), needed=10, capacity=10,
    )
    racers = User.objects.bulk_create(
        User(email=f"racer{i}@example.org", display_name=f"Racer {i}", confirmed_adult=True,
             calendar_token=f"racer-token-{i}")
        for i in range(RACERS)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=p, email=p.email, verified=True, primary=True) for p in racers
    )
    # The street drive is under way: windows from 5 hours ago (the drive-day view reads it
    # "now": two windows ended, one in progress, three to come).
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    street = street_drive(hour - datetime.timedelta(hours=5), people)
    money = money_drive(people)
    lists = personal_lists(start + datetime.timedelta(days=20), people)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the planner's statistics after the bulk seeding
            cursor.execute("ANALYZE")
    print(json.dumps({
        **money,
        **lists,
        "event": event.pk,
        "street_event": street,
        "signups": Signup.objects.filter(shift__event=event).count(),
        "race_shift": race_shift.pk,
        "organizer_session": session_for(organizer),
        "racer_sessions": [session_for(User.objects.get(pk=r.pk)) for r in racers],
    }))


if __name__ == "__main__":
    main()
