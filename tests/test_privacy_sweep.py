"""Every page of Rally, found by walking the URL configuration, is opened by every kind of
person, and no answer may carry someone else's phone, emergency contact or email address
unless the privacy rule allows it (issue #7):

- a person sees their own details;
- organizers see everyone's;
- a captain sees the details of the accepted members of the teams they captain, and the
  addresses they invited (typed by the captain: showing them back tells nothing new);
- a team member sees their captains' email (not their phone: the profile promises a phone is
  shown only to organizers and one's captain);
- someone on a shift of an event sees its organizer contact's phone and email ("whom to
  call"), as invites and personal calendar feeds carry them.

Every person has distinctive strings, so the check is an exact substring test. A page added
later is covered automatically; if its URL has a parameter this file cannot fill, the test
fails and says what to add to ``candidates``."""

import datetime
import itertools
import logging
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from events.models import Event, EventKind, Rsvp
from tests.factories import (
    EventFactory,
    RoleGrantFactory,
    ShiftFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
    in_days,
)
from volunteers.models import Message, Role, Signup, TeamInvitation, TeamMembership
from volunteers.rules import is_organizer
from volunteers.services.signups import signup_create
from volunteers.services.teams import OPEN_INVITATION, team_invite

pytestmark = pytest.mark.django_db

# Who opens every page (None: not logged in).
VIEWERS = ["anonymous", "volunteer", "outsider", "captain", "other_captain", "organizer",
           "treasurer", "invitee"]

# People in the world; the index makes each one's strings unique (none is a substring of
# another's).
PEOPLE = ["organizer", "treasurer", "contact", "captain", "volunteer", "member2", "former",
          "other_captain", "other_member", "outsider", "invitee"]
NO_ACCOUNT_EMAIL = "nobody.99@privacy.test"


def private_strings(person) -> list[str]:
    return [s for s in (person.phone, person.emergency_contact_name,
                        person.emergency_contact_phone, person.email) if s]


def build_world() -> dict:
    w = {}
    for index, key in enumerate(PEOPLE):
        w[key] = UserFactory(
            email=f"{key.replace('_', '')}.{index:02d}@privacy.test",
            display_name=f"{key.replace('_', ' ').title()} Person",
            phone=f"(559) 555-10{index:02d}",
            emergency_contact_name=f"Kinname{index:02d} Zed",
            emergency_contact_phone=f"(559) 555-20{index:02d}",
        )
    for key, role in [("organizer", Role.ORGANIZER), ("contact", Role.ORGANIZER),
                      ("treasurer", Role.TREASURER), ("captain", Role.CAPTAIN),
                      ("other_captain", Role.CAPTAIN)]:
        RoleGrantFactory(user=w[key], role=role)

    w["team"] = TeamFactory(name="Privacy Team A")
    w["other_team"] = TeamFactory(name="Privacy Team B")
    for key, team, is_captain in [
        ("captain", "team", True), ("volunteer", "team", False), ("member2", "team", False),
        ("former", "team", False), ("other_captain", "other_team", True),
        ("other_member", "other_team", False),
    ]:
        TeamMembershipFactory(team=w[team], user=w[key], is_captain=is_captain)
    w["invitation"] = team_invite(team=w["team"], email=w["invitee"].email, by=w["captain"])
    w["ghost_invitation"] = team_invite(team=w["team"], email=NO_ACCOUNT_EMAIL,
                                        by=w["captain"])

    w["event"] = EventFactory(title="Privacy Drive", contact=w["contact"],
                              starts_at=in_days(5, 7))
    w["shift"] = ShiftFactory(event=w["event"], capacity=6, needed=3)
    w["other_shift"] = ShiftFactory(event=w["event"], capacity=6, needed=3,
                                    starts_at=w["event"].starts_at + datetime.timedelta(hours=4))
    w["draft"] = EventFactory(title="Privacy Draft", status=Event.Status.DRAFT)
    w["awareness"] = EventFactory(title="Privacy Talk", kind=EventKind.AWARENESS,
                                  contact=w["contact"])
    Rsvp.objects.create(event=w["awareness"], user=w["outsider"])
    Rsvp.objects.create(event=w["awareness"], user=w["volunteer"])

    def sign(key, shift, by=None, team=None):
        return signup_create(shift=w[shift], volunteer=w[key], by=w[by or key],
                             team=w[team] if team else None)

    w["team_signup"] = sign("volunteer", "shift", by="captain", team="team")
    w["personal_signup"] = sign("volunteer", "other_shift")
    sign("member2", "shift")
    w["former_signup"] = sign("former", "other_shift", by="captain", team="team")
    TeamMembership.objects.filter(user=w["former"]).delete()  # left the team afterwards
    w["other_team_signup"] = sign("other_member", "shift", by="other_captain",
                                  team="other_team")
    w["outsider_signup"] = sign("outsider", "shift")
    cancelled = sign("outsider", "other_shift")
    Signup.objects.filter(pk=cancelled.pk).update(status=Signup.Status.CANCELLED,
                                                  cancelled_at=timezone.now())
    w["cancelled_signup"] = cancelled

    from events.services import series_create

    w["series"] = series_create(
        by=w["organizer"], rrule="FREQ=MONTHLY;COUNT=2", first_start=in_days(40, 18),
        duration=datetime.timedelta(hours=1), kind=EventKind.MEETING,
        title="Privacy Meeting", contact=w["contact"],
    )
    w["message"] = Message.objects.filter(recipient=w["outsider"]).first()

    # A street corner held for the team: people on it see its captains' phones.
    from events.holds import shift_hold
    from events.models import PermitRequirement
    from tests.factories import PermitFactory, SiteFactory

    w["site"] = SiteFactory(name="Privacy Corner")
    w["permit"] = PermitFactory(sites=[w["site"]])
    w["permit_rule"] = PermitRequirement.objects.create(kind="median", jurisdiction="Fresno")
    w["site_shift"] = ShiftFactory(event=w["event"], capacity=6, needed=2, site=w["site"],
                                   starts_at=w["event"].starts_at + datetime.timedelta(hours=8))
    shift_hold(shift=w["site_shift"], team=w["team"], by=w["organizer"])
    sign("member2", "site_shift")
    w["site_team_signup"] = sign("volunteer", "site_shift", by="captain", team="team")
    # Collector badges of the drive (issue #10): the badge pages and /verify/<code>/.
    from donations.badges import badge_issue_all

    w["badge"] = badge_issue_all(event=w["event"], by=w["organizer"])[0]
    # Street buckets (issue #10): one out with the volunteer on the street shift, one in stock,
    # and an incident; the custody pages, "My bucket" and the incident log.
    from donations.custody import bucket_issue, incident_create
    from tests.factories import BucketFactory

    w["bucket"] = BucketFactory(number=501)
    w["stock_bucket"] = BucketFactory(number=502)
    bucket_issue(bucket=w["bucket"], shift=w["site_shift"], to=w["volunteer"],
                 seal_number="P-1", by=w["organizer"], override_reason="privacy sweep")
    incident_create(event=w["event"], kind="other", description="Privacy incident",
                    by=w["organizer"], shift=w["site_shift"], bucket=w["bucket"])
    # The treasurers' books (issue 11): member2's bucket back and counted twice (with a check
    # and an odd item), deposited; the money pages show counters and depositors by name.
    from donations.banking import deposit_create
    from donations.counting import count_submit, session_open, sheet_open
    from donations.custody import bucket_return

    second_treasurer = RoleGrantFactory(role=Role.TREASURER).user
    counted = BucketFactory(number=503)
    bucket_issue(bucket=counted, shift=w["site_shift"], to=w["member2"], seal_number="P-3",
                 by=w["organizer"], override_reason="privacy sweep")
    returned = bucket_return(bucket=counted, seal_number="P-3", seal_intact=True,
                             by=w["organizer"])
    w["count_session"] = session_open(event=w["event"], place="Privacy hall",
                                      by=w["treasurer"])
    w["sheet"] = sheet_open(session=w["count_session"], returned=returned, by=w["treasurer"])
    for counter in (w["treasurer"], second_treasurer):
        count_submit(sheet=w["sheet"], counter=counter, quantities={"bill_20": 2},
                     checks=[{"payer": "A Donor", "amount_cents": 30000,
                              "donor_name": "A Donor", "donor_address": "1 Donor Way"}],
                     odd_items=["A gift card"])
    w["odd_item"] = w["sheet"].agreed.count.odd_items.first()
    w["deposit"] = deposit_create(
        event=w["event"], deposited_on=timezone.localdate(), depositor=second_treasurer,
        slip_number="P-SLIP-1", declared_cents=34000, agreed_ids=[w["sheet"].agreed.pk],
        by=second_treasurer)
    # Issue 12: the $300 check needs an acknowledgment; one journal download.
    from donations.exports.journal import journal_export_create

    w["check"] = w["sheet"].agreed.count.checks.get()
    w["journal"] = journal_export_create(by=second_treasurer, event=w["event"])
    return w


def allowed_strings(w: dict, viewer) -> set[str]:
    """What the privacy rule lets ``viewer`` see of other people, computed from the data."""
    if viewer is None:
        return set()
    if is_organizer(viewer):
        return {s for key in PEOPLE for s in private_strings(w[key])} | {NO_ACCOUNT_EMAIL}
    allowed = set(private_strings(viewer))
    captained = set(TeamMembership.objects.filter(user=viewer, is_captain=True)
                    .values_list("team_id", flat=True))
    mine = set(TeamMembership.objects.filter(user=viewer).values_list("team_id", flat=True))
    for membership in TeamMembership.objects.filter(team_id__in=captained).select_related("user"):
        allowed.update(private_strings(membership.user))
    allowed.update(TeamInvitation.objects.filter(team_id__in=captained,
                                                 status__in=OPEN_INVITATION)
                   .values_list("email", flat=True))
    for membership in TeamMembership.objects.filter(team_id__in=mine, is_captain=True):
        allowed.add(membership.user.email)
    contacts = Signup.objects.filter(
        volunteer=viewer, status__in=[Signup.Status.CONFIRMED, Signup.Status.WAITLISTED],
        shift__event__contact__isnull=False,
    ).values_list("shift__event__contact", flat=True)
    for contact in {w[key] for key in PEOPLE if w[key].pk in set(contacts)}:
        allowed.update([contact.phone, contact.email])
    # On a street shift: the captains of the team holding it, or of the team it was taken
    # through, with their phone (whom to call at the corner).
    street = Signup.objects.filter(volunteer=viewer, status=Signup.Status.CONFIRMED,
                                   shift__site__isnull=False)
    teams = {team for pair in street.values_list("shift__held_for", "team") for team in pair}
    for membership in TeamMembership.objects.filter(team_id__in=teams - {None},
                                                    is_captain=True).select_related("user"):
        allowed.update([membership.user.phone, membership.user.email])
    return allowed


# --- Walking the URL configuration --------------------------------------------------------

# Skipped: Django's admin (staff only, guarded by Django itself) and django-allauth's
# account pages (login, sign-up, email addresses, password): third-party views that only
# ever show the logged-in person's own addresses, some behind secret keys sent by email.
SKIPPED_NAMESPACES = {"admin"}
SKIPPED_VIEW_MODULES = ("allauth.",)


def url_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            yield from url_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def params_of(pattern: URLPattern) -> list[str]:
    if isinstance(pattern.pattern, RoutePattern):
        return list(pattern.pattern.converters)
    return list(pattern.pattern.regex.groupindex)


def objects_by_collection(w: dict) -> dict[str, list]:
    """A URL's ``<pk>`` is named by the path segment before it (``teams/<pk>/``,
    ``organize/rsvps/<pk>/attendance/``): the world's objects of each collection."""
    rsvps = list(Rsvp.objects.filter(event=w["awareness"]).order_by("pk"))
    return {
        "teams": [w["team"], w["other_team"]],
        "invitations": [w["invitation"], w["ghost_invitation"]],
        "events": [w["event"], w["awareness"]],
        "shifts": [w["shift"], w["other_shift"], w["site_shift"]],
        "signups": [w[k] for k in ("team_signup", "personal_signup", "former_signup",
                                   "cancelled_signup")],
        "series": [w["series"]],
        "messages": [w["message"]],
        "rsvps": rsvps,
        "sites": [w["site"]],
        "permits": [w["permit"]],
        "rules": [w["permit_rule"]],
        "badges": [w["badge"]],
        "buckets": [w["bucket"], w["stock_bucket"]],
        # the treasurers' books (issue 11)
        "drives": [w["event"]],
        "sessions": [w["count_session"]],
        "sheets": [w["sheet"]],
        "odd-items": [w["odd_item"]],
        "deposits": [w["deposit"]],
        "journal": [w["journal"]],
    }


def candidates(route: str, name: str, param: str, w: dict, viewer) -> list:
    """The values to try for one URL parameter: real objects of the world."""
    if param == "token":  # a feed's secret: the viewer's own (anyone else gets a 404)
        return [getattr(viewer, "calendar_token", None) or "not-a-token"]
    by_param = {
        "event_pk": [w["event"].pk],
        "shift_pk": [w["shift"].pk, w["other_shift"].pk, w["site_shift"].pk],
        "user_pk": [w["volunteer"].pk],
        "invitation_pk": [w["invitation"].pk, w["ghost_invitation"].pk],
        "code": [w["badge"].code, "not-a-badge-code"],  # /verify/<code>/ (issue #10)
    }
    if param in by_param:
        return by_param[param]
    if param == "kind":  # a gift to acknowledge (issue 12)
        return ["check"]
    if param == "pk" and "<str:kind>" in route:
        return [w["check"].pk]
    if param == "pk":
        match = re.search(r"([\w-]+)/<int:pk>", route)
        collection = match.group(1) if match else None
        objects = objects_by_collection(w).get(collection)
        if objects:
            return [obj.pk for obj in objects]
    pytest.fail(
        f"tests/test_privacy_sweep.py cannot fill <{param}> of {route!r} (URL {name!r}): add "
        f"the objects it names to build_world() and candidates(), so that the privacy sweep "
        f"opens this page too.", pytrace=False,
    )


def urls_for(w: dict, viewer) -> list[tuple[str, str]]:
    urls = []
    for route, pattern in url_patterns():
        if pattern.lookup_str.startswith(SKIPPED_VIEW_MODULES):
            continue
        params = params_of(pattern)
        if not pattern.name:
            pytest.fail(f"The URL {route!r} has no name; name it so the sweep can open it.",
                        pytrace=False)
        choices = [candidates(route, pattern.name, param, w, viewer) for param in params]
        for values in itertools.product(*choices):
            kwargs = dict(zip(params, values, strict=True))
            urls.append((pattern.name, reverse(pattern.name, kwargs=kwargs)))
    return urls


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    text = content.decode("utf-8", errors="replace")
    if "calendar" in response.get("Content-Type", ""):
        text = text.replace("\r\n ", "").replace("\\,", ",").replace("\\;", ";")
    return text



@pytest.fixture(autouse=True)
def viewer_kept(settings):
    """Each person as volunteers.viewer_cache keeps them after their first request: what
    this sweep proves holds for the kept person too."""
    settings.VIEWER_CACHE = True

@pytest.fixture
def world(db):
    return build_world()


def test_no_page_shows_anyone_elses_contact_details_beyond_the_rule(client, world):
    everything = {s for key in PEOPLE for s in private_strings(world[key])}
    everything.add(NO_ACCOUNT_EMAIL)
    opened = 0
    leaks = []
    logging.disable(logging.WARNING)  # 1,000 "Not Found"/"Forbidden" lines slow it down
    try:
        opened, leaks = sweep(client, world, everything)
    finally:
        logging.disable(logging.NOTSET)

    assert leaks == []
    assert opened > 100  # the walk found the pages


def sweep(client, world, everything) -> tuple[int, list]:
    opened = 0
    leaks = []
    for viewer_key in VIEWERS:
        viewer = None if viewer_key == "anonymous" else world[viewer_key]
        client.logout()
        if viewer is not None:
            client.force_login(viewer)
        forbidden = everything - allowed_strings(world, viewer)
        for name, url in urls_for(world, viewer):
            response = client.get(url)
            opened += 1
            body = body_of(response)
            leaks += [(viewer_key, name, url, response.status_code, s)
                      for s in forbidden if s in body]
    return opened, leaks


# --- The rule itself, on the pages where it matters most --------------------------------


def test_captain_sees_accepted_members_contacts_not_the_invitees(client, world):
    client.force_login(world["captain"])

    page = client.get(reverse("team_detail", args=[world["team"].pk])).content.decode()

    assert world["member2"].phone in page and world["member2"].emergency_contact_name in page
    assert world["invitee"].phone not in page and world["invitee"].name not in page
    assert world["invitee"].email in page  # the address the captain typed
    assert world["former"].phone not in page


def test_captain_roster_shows_team_signups_only(client, world):
    client.force_login(world["captain"])

    other_shift = client.get(reverse("shift_roster", args=[world["other_shift"].pk]))
    shift = client.get(reverse("shift_roster", args=[world["shift"].pk]))

    # The member's own sign-up and a former member's team sign-up are out of reach.
    assert world["volunteer"].name not in other_shift.content.decode()
    assert world["former"].name not in other_shift.content.decode()
    assert world["volunteer"].phone in shift.content.decode()  # through the team
    assert world["member2"].name not in shift.content.decode()  # signed up on their own


def test_member_sees_captain_email_but_not_phone(client, world):
    client.force_login(world["volunteer"])

    page = client.get(reverse("team_detail", args=[world["team"].pk])).content.decode()

    assert world["captain"].email in page
    assert world["captain"].phone not in page
    assert world["member2"].email not in page


def test_captain_of_another_team_cannot_reach_this_teams_signups(client, world):
    client.force_login(world["other_captain"])

    cancel = client.post(reverse("signup_cancel", args=[world["team_signup"].pk]))
    remove = client.post(reverse("team_member_remove",
                                 args=[world["team"].pk, world["volunteer"].pk]))

    assert cancel.status_code in (403, 404)
    assert remove.status_code == 403
    assert Signup.objects.get(pk=world["team_signup"].pk).status == Signup.Status.CONFIRMED
