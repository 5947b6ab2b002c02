"""Demo teams, sign-ups and check-ins for `manage.py seed_demo` (safe to run again).

Upcoming places are taken through the real services (so the waitlist, audit rows and
outbox behave as in production); last year's drive is history, written directly: its shifts
are over, so no service would accept a sign-up for them any more."""

import contextlib
import datetime
from decimal import Decimal

from django.utils import timezone

from events.models import Event, Rsvp, Shift, ShiftRole

from .models import Signup, SignupChange, Team, TeamMembership, User
from .services.signups import SignupError, signup_create
from .services.teams import team_captain_set

DEMO_TEAMS = [
    ("Peoples Church Outreach", "Peoples Church",
     "Sunday-school teachers and the youth ministry's parents."),
    ("Rotary Club of Fresno", "Rotary Club of Fresno",
     "Rotarians who staff the Shaw and Blackstone corners every year."),
    ("FPU Students Against Trafficking", "Fresno Pacific University Students",
     "Students from the university's justice club."),
    ("Clovis Hope Church", "Clovis Hope Church", "Volunteers from the Clovis campus."),
]


def _teams(people: dict) -> list[Team]:
    captains = people["captains"]
    volunteers = people["volunteers"][1:]  # Sam Patel (the demo volunteer) joins below
    organizer = people["organizers"][0]
    teams = []
    for index, (name, partner, description) in enumerate(DEMO_TEAMS):
        team, _created = Team.objects.get_or_create(
            name=name, defaults={"partner_organization": partner, "description": description}
        )
        teams.append(team)
        for member in volunteers[index * 10:(index + 1) * 10]:
            TeamMembership.objects.get_or_create(team=team, user=member)
        captain = captains[index % len(captains)]
        TeamMembership.objects.get_or_create(team=team, user=captain)
        team_captain_set(team=team, user=captain, is_captain=True, by=organizer)
    # The demo volunteer is in the church team; one volunteer is in two teams.
    TeamMembership.objects.get_or_create(team=teams[0], user=people["volunteers"][0])
    TeamMembership.objects.get_or_create(team=teams[3], user=volunteers[4])
    return teams


def _mark_trained(training: Event | None, people: list[User]) -> None:
    if training is None:
        return
    for person in people:
        rsvp, _created = Rsvp.objects.get_or_create(event=training, user=person)
        if not rsvp.attended:
            rsvp.attended = True
            rsvp.save(update_fields=["attended"])


def _sign_up(shift: Shift, members: list[User], *, by: User, team: Team | None) -> None:
    for member in members:
        # A refusal is possible when the demo is re-run after someone changed shifts by hand.
        with contextlib.suppress(SignupError):
            signup_create(shift=shift, volunteer=member, by=by, team=team)


def _upcoming_drive(drive: Event, teams: list[Team], people: dict) -> None:
    """Some collector shifts well filled, some short, the setup shift full with a waitlist."""
    shifts = list(drive.shifts.order_by("starts_at", "pk"))
    collectors = [s for s in shifts if s.role == ShiftRole.COLLECTOR]
    setup = next((s for s in shifts if s.role == ShiftRole.SETUP), None)
    counters = [s for s in shifts if s.role == ShiftRole.COUNTER]
    # The demo volunteer (Sam Patel) keeps a free calendar, to try signing up.
    members = {
        team.pk: list(team.members.exclude(pk=people["volunteers"][0].pk).order_by("pk"))
        for team in teams
    }
    captains = people["captains"]
    organizer = people["organizers"][0]
    plan = [(0, 9), (1, 5), (2, 3)]  # (team, how many) for the first collector shifts
    for shift, (team_index, count) in zip(collectors, plan, strict=False):
        team = teams[team_index]
        crew = [m for m in members[team.pk] if m not in captains][:count]
        _mark_trained(shift.required_training, crew)
        _sign_up(shift, crew, by=captains[team_index % len(captains)], team=team)
    if setup is not None:
        elsewhere = {m.pk for team in teams[:3] for m in members[team.pk]}
        crew = [m for m in members[teams[3].pk] if m not in captains and m.pk not in elsewhere]
        crew = crew[:setup.capacity + 2]
        for person in crew:  # each signs up on their own: the last two find it full
            _sign_up(setup, [person], by=person, team=None)
    if counters:
        _sign_up(counters[0], captains[:2], by=organizer, team=None)


def _past_drive(past: Event, teams: list[Team], people: dict) -> None:
    """Last year's drive: everyone checked in, one no-show, one corrected time sheet."""
    organizer = people["organizers"][0]
    shifts = list(past.shifts.order_by("starts_at", "pk"))
    crowd = [people["volunteers"][0]] + [
        m for team in teams for m in team.members.order_by("pk") if m not in people["captains"]
    ]
    seen: set[int] = set()
    crowd = [p for p in crowd if not (p.pk in seen or seen.add(p.pk))]
    start = 0
    for number, shift in enumerate(shifts):
        size = min(shift.needed, 6)
        for offset, person in enumerate(crowd[start:start + size]):
            attendance = (
                Signup.Attendance.NO_SHOW if (number, offset) == (1, 2)
                else Signup.Attendance.PRESENT
            )
            team = next((t for t in teams if t.members.filter(pk=person.pk).exists()), None)
            signup, created = Signup.objects.get_or_create(
                shift=shift,
                volunteer=person,
                defaults={
                    "status": Signup.Status.CONFIRMED,
                    "team": team,
                    "confirmed_at": shift.starts_at - datetime.timedelta(days=20),
                    "attendance": attendance,
                    "checked_in_at": shift.starts_at + datetime.timedelta(minutes=5),
                    "checked_in_by": organizer,
                    "created_at": shift.starts_at - datetime.timedelta(days=20),
                },
            )
            if not created:
                continue
            SignupChange.objects.create(signup=signup, action=SignupChange.Action.SIGNED_UP,
                                        by=person, at=signup.created_at)
            SignupChange.objects.create(
                signup=signup,
                action=(SignupChange.Action.CHECKED_IN if attendance == "present"
                        else SignupChange.Action.NO_SHOW),
                by=organizer, at=signup.checked_in_at,
            )
            if (number, offset) == (0, 1):  # stayed an extra hour to help pack up
                signup.hours_override = Decimal("4.00")
                signup.save(update_fields=["hours_override"])
                SignupChange.objects.create(
                    signup=signup, action=SignupChange.Action.HOURS_CORRECTED, by=organizer,
                    at=shift.ends_at + datetime.timedelta(hours=2),
                    detail="3.00 h → 4.00 h (stayed to pack up)",
                )
        start += size


def seed_signups(people: dict[str, list[User]], events: dict[str, Event]) -> dict[str, Team]:
    """Teams from partner organizations with captains and members, training attendance,
    this year's drive partly filled (one shift full with a waitlist), and last year's drive
    (``events["past_drive"]``, when there is one) with check-ins and hours."""
    teams = _teams(people)
    drive = events.get("drive")
    if drive is not None and drive.starts_at > timezone.now():
        _upcoming_drive(drive, teams, people)
    past = events.get("past_drive")
    if past is not None:
        _past_drive(past, teams, people)
    return {team.name: team for team in teams}
