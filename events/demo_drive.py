"""The demo street drive for `manage.py seed_demo`: "Pledge 2 Stop Trafficking" at 15 real
intersections in Fresno and Clovis, two windows each, cells held by six partner teams and
filled by their captains through the real services (holds, team sign-ups), one median that
needs a Fresno permit and has one, one deliberate gap and one cell below its minimum.

Safe to run twice: sites, permit and event are looked up by name or reference, a hold for
the same team and an existing sign-up are returned unchanged by the services."""

import contextlib
import datetime
from decimal import Decimal

from django.utils import timezone

from volunteers.demo import demo_email, ensure_person
from volunteers.models import Team, TeamMembership, User
from volunteers.services.signups import SignupError, signup_create
from volunteers.services.teams import team_captain_set

from .demo import at, ensure_event, next_weekday
from .holds import shift_hold
from .models import (
    ADULTS_ONLY_SITE_KINDS,
    Event,
    EventKind,
    Permit,
    PermitRequirement,
    Shift,
    ShiftRole,
    Site,
    SiteKind,
)

STREET_DRIVE_TITLE = "Pledge 2 Stop Trafficking Street Drive — Fresno & Clovis"
PERMIT_REFERENCE = "FRESNO-SCP-0142"
WINDOWS = [(9, 11), (11, 13)]
SIDEWALK_NOTES = "Stay on the sidewalk behind the curb; never step into traffic."
SIDEWALK_NOTES_ES = "Quédate en la banqueta detrás del borde; nunca te metas al tráfico."
MEDIAN_NOTES = ("Median permit: safety vests on, stay on the raised median, step off toward "
                "the curb only when the light is red for you.")
MEDIAN_NOTES_ES = ("Permiso de camellón: chaleco puesto, quédate en el camellón elevado y "
                   "bájate hacia la banqueta solo cuando tu semáforo esté en rojo.")

# name, address, latitude, longitude, kind, jurisdiction
SITES = [
    ("Blackstone & Shaw, NE corner", "N Blackstone Ave & E Shaw Ave, Fresno, CA 93710",
     "36.808100", "-119.790400", SiteKind.SIDEWALK, "Fresno"),
    ("Shaw & Cedar, SW corner", "E Shaw Ave & N Cedar Ave, Fresno, CA 93710",
     "36.808000", "-119.746600", SiteKind.SIDEWALK, "Fresno"),
    ("Herndon & Blackstone, SE corner", "E Herndon Ave & N Blackstone Ave, Fresno, CA 93720",
     "36.837300", "-119.790200", SiteKind.SIDEWALK, "Fresno"),
    ("Kings Canyon & Clovis, NW corner", "E Kings Canyon Rd & S Clovis Ave, Fresno, CA 93727",
     "36.736400", "-119.700000", SiteKind.SIDEWALK, "Fresno"),
    ("Shaw & Clovis, NE corner", "Shaw Ave & Clovis Ave, Clovis, CA 93612",
     "36.808200", "-119.699600", SiteKind.SIDEWALK, "Clovis"),
    ("Herndon & Fowler, SW corner", "Herndon Ave & Fowler Ave, Clovis, CA 93611",
     "36.837200", "-119.682000", SiteKind.SIDEWALK, "Clovis"),
    ("Palm & Bullard, NE corner", "N Palm Ave & W Bullard Ave, Fresno, CA 93711",
     "36.822700", "-119.807900", SiteKind.SIDEWALK, "Fresno"),
    ("First & Shields, SE corner", "N First St & E Shields Ave, Fresno, CA 93726",
     "36.779000", "-119.772400", SiteKind.SIDEWALK, "Fresno"),
    ("Ventura & Chestnut, NW corner", "E Ventura Ave & S Chestnut Ave, Fresno, CA 93702",
     "36.736900", "-119.728900", SiteKind.SIDEWALK, "Fresno"),
    ("Willow & Nees, SW corner", "N Willow Ave & E Nees Ave, Clovis, CA 93619",
     "36.851900", "-119.720000", SiteKind.SIDEWALK, "Clovis"),
    ("Shaw Ave median at Fresno St", "E Shaw Ave & N Fresno St (center median), Fresno, CA",
     "36.808100", "-119.781500", SiteKind.MEDIAN, "Fresno"),
    ("Bullard & West, NE corner", "W Bullard Ave & N West Ave, Fresno, CA 93711",
     "36.822800", "-119.825700", SiteKind.SIDEWALK, "Fresno"),
    ("Ashlan & Clovis, SE corner", "Ashlan Ave & Clovis Ave, Clovis, CA 93612",
     "36.793600", "-119.699700", SiteKind.SIDEWALK, "Clovis"),
    ("Herndon & Cedar, NW corner", "E Herndon Ave & N Cedar Ave, Fresno, CA 93720",
     "36.837500", "-119.746700", SiteKind.SIDEWALK, "Fresno"),
    ("Bullard & Clovis, SW corner", "Bullard Ave & Clovis Ave, Clovis, CA 93612",
     "36.822700", "-119.699800", SiteKind.SIDEWALK, "Clovis"),
]

# Two partner teams beside the four of volunteers.demo_signups (the first four holders),
# with people of their own: the first named is the captain.
NEW_TEAMS = [
    ("Kiwanis Club of Clovis", "Kiwanis Club of Clovis",
     "Kiwanians who take the Clovis corners north of Shaw.",
     ["Gary Lindqvist", "Barbara Ng", "Tom Castellanos", "Judy Heinz", "Ray Delgado",
      "Carol Whitfield", "Steve Mendez", "Linda Park"]),
    ("Fresno EOC Street Outreach", "Fresno Economic Opportunities Commission",
     "Outreach staff and volunteers from the agency's youth programs.",
     ["Marisol Vega", "Andre Washington", "Pa Nhia Xiong", "Jorge Ibarra", "Keisha Brown",
      "Daniel Cho", "Rosa Gutierrez", "Tyler Nguyen"]),
]
HOLDER_NAMES = [
    "Peoples Church Outreach", "Rotary Club of Fresno", "FPU Students Against Trafficking",
    "Clovis Hope Church", "Kiwanis Club of Clovis", "Fresno EOC Street Outreach",
]
# Which team holds each site (index into HOLDER_NAMES): partners near their own streets.
SITE_HOLDER = [0, 1, 0, 5, 3, 4, 2, 2, 5, 4, 1, 2, 3, 0, 4]
GAP = ("Kings Canyon & Clovis, NW corner", 1)  # window index: nobody holds or fills it
BELOW_MINIMUM = ("Ventura & Chestnut, NW corner", 0)  # held, one person: would stand alone


def ensure_site(name, address, latitude, longitude, kind, jurisdiction, *, by) -> Site:
    site = Site.objects.filter(name=name).first()
    if site is not None:
        return site
    median = kind == SiteKind.MEDIAN
    return Site.objects.create(
        name=name, address=address, latitude=Decimal(latitude), longitude=Decimal(longitude),
        kind=kind, jurisdiction=jurisdiction, min_people=2, max_people=3 if median else 4,
        min_age=18 if kind in ADULTS_ONLY_SITE_KINDS else None,
        safety_notes=MEDIAN_NOTES if median else SIDEWALK_NOTES,
        safety_notes_es=MEDIAN_NOTES_ES if median else SIDEWALK_NOTES_ES,
        created_by=by,
    )


def _permit(sites: list[Site], day: datetime.date, by: User) -> Permit:
    PermitRequirement.objects.get_or_create(
        kind=SiteKind.MEDIAN, jurisdiction="Fresno",
        defaults={"note": "City of Fresno: medians need a solicitation permit and insurance."},
    )
    permit = Permit.objects.filter(reference=PERMIT_REFERENCE).first()
    if permit is None:
        permit = Permit.objects.create(
            authority="City of Fresno, Public Works", reference=PERMIT_REFERENCE,
            valid_from=timezone.localdate() - datetime.timedelta(days=7),
            valid_until=day + datetime.timedelta(days=1),
            daily_start=datetime.time(7), daily_end=datetime.time(17), max_collectors=6,
            conditions="Reflective vests; no one under 18; off the median when flagged.",
            return_due=day + datetime.timedelta(days=14), created_by=by,
        )
        permit.sites.set(sites)
    return permit


def _holders(people: dict, organizer: User) -> list[Team]:
    for name, partner, description, names in NEW_TEAMS:
        team, _created = Team.objects.get_or_create(
            name=name, defaults={"partner_organization": partner, "description": description}
        )
        members = [ensure_person(demo_email(person), person) for person in names]
        for member in members:
            TeamMembership.objects.get_or_create(team=team, user=member)
        team_captain_set(team=team, user=members[0], is_captain=True, by=organizer)
    teams = {team.name: team for team in Team.objects.filter(name__in=HOLDER_NAMES)}
    return [teams[name] for name in HOLDER_NAMES]


def seed_street_drive(people: dict) -> Event:
    organizer = people["organizers"][0]
    day = next_weekday(timezone.localdate(), 5, weeks_ahead=3)  # a Saturday
    sites = [ensure_site(*row, by=organizer) for row in SITES]
    _permit([site for site in sites if site.kind == SiteKind.MEDIAN], day, organizer)
    drive = ensure_event(
        title=STREET_DRIVE_TITLE,
        kind=EventKind.FUNDRAISER,
        description=("Teams from churches, clubs and agencies stand at busy Fresno and Clovis "
                     "intersections with sealed donation buckets."),
        title_es="Colecta en la calle «Pledge 2 Stop Trafficking» — Fresno y Clovis",
        description_es=("Equipos de iglesias, clubes y agencias se colocan en intersecciones "
                        "de Fresno y Clovis con botes de donación sellados."),
        venue_name="Staging: Peoples Church parking lot",
        address="7172 N Cedar Ave, Fresno, CA 93720",
        latitude="36.837700", longitude="-119.753900",
        starts_at=at(day, 9), ends_at=at(day, 13),
        status=Event.Status.PUBLISHED, contact=organizer, created_by=organizer,
    )
    teams = _holders(people, organizer)
    captains = {
        m.team_id: m.user
        for m in TeamMembership.objects.filter(team__in=teams, is_captain=True)
        .select_related("user").order_by("-joined_at")
    }
    members = {team.pk: [] for team in teams}
    for membership in (TeamMembership.objects.filter(team__in=teams, is_captain=False)
                       .select_related("user").order_by("pk")):
        members[membership.team_id].append(membership.user)
    placed: dict[int, set[int]] = {}  # window -> people placed (some are in two teams)
    for site, holder in zip(sites, SITE_HOLDER, strict=True):
        for window, (start, end) in enumerate(WINDOWS):
            shift = Shift.objects.filter(event=drive, site=site, starts_at=at(day, start)).first()
            if shift is None:
                shift = Shift.objects.create(
                    event=drive, role=ShiftRole.COLLECTOR, starts_at=at(day, start),
                    ends_at=at(day, end), needed=site.min_people, capacity=site.max_people,
                    min_age=site.min_age, site=site)
            if (site.name, window) == GAP:
                continue
            team = teams[holder]
            shift_hold(shift=shift, team=team, by=organizer)
            want = 1 if (site.name, window) == BELOW_MINIMUM else site.min_people
            busy = placed.setdefault(window, set())
            crew = [m for m in members[team.pk] if m.pk not in busy][:want]
            for person in crew:
                busy.add(person.pk)
                with contextlib.suppress(SignupError):
                    signup_create(shift=shift, volunteer=person, by=captains[team.pk],
                                  team=team)
    return drive
