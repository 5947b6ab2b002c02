"""The drive-day view (/organize/events/<id>/live/) and the safety vest at check-in, through
the views; custody arranged with the real services (donations/custody.py)."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from donations.custody import (
    bucket_hand_over,
    bucket_issue,
    bucket_report_missing,
    bucket_return,
)
from donations.handoff import personal_code
from donations.models import Bucket, CustodyEvent, Incident
from events.models import Event
from tests.factories import (
    BucketFactory,
    EventFactory,
    ShiftFactory,
    SignupFactory,
    SiteFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
    captain,
    organizer,
    treasurer,
)
from volunteers.models import Signup, SignupChange
from volunteers.services.checkin import signup_mark_attendance

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def boss():
    return organizer()


@pytest.fixture
def drive():
    now = timezone.now()
    return EventFactory(starts_at=now - 4 * HOUR, ends_at=now + 4 * HOUR)


def street_shift(event, site, *, start, hours=2, **fields):
    return ShiftFactory(event=event, site=site, starts_at=start,
                        ends_at=start + hours * HOUR, needed=site.min_people,
                        capacity=site.max_people, **fields)


def issue(bucket, shift, person, boss, seal="S-1"):
    return bucket_issue(bucket=bucket, shift=shift, to=person, seal_number=seal, by=boss,
                        receiver_code=personal_code(person, shift.event))


def checked_in(shift, boss, person=None):
    signup = SignupFactory(shift=shift, volunteer=person or UserFactory())
    signup_mark_attendance(signup=signup, attendance=Signup.Attendance.PRESENT, by=boss)
    return signup


def live(client, event, **params):
    response = client.get(reverse("drive_day", args=[event.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def alerts(page: str) -> str:
    start = page.index('id="alerts-heading"')
    return page[start:page.index('id="buckets-heading"')]


def test_drive_day_overdue_bucket_first_with_holder(client, boss, drive):
    now = timezone.now()
    early, late = SiteFactory(name="Zeta corner"), SiteFactory(name="Alpha corner")
    ended = street_shift(drive, early, start=now - 3 * HOUR)
    street_shift(drive, late, start=now - HOUR)
    holder = UserFactory(display_name="Rosa Gutierrez", phone="(559) 555-0199")
    SignupFactory(shift=ended, volunteer=holder)
    issue(BucketFactory(number=12), ended, holder, boss)
    client.force_login(boss)

    page = live(client, drive)

    assert "Overdue: bucket 12" in alerts(page)
    assert "Rosa Gutierrez" in alerts(page)
    assert "(559) 555-0199" in alerts(page)
    # Alerts come first, and the site with the overdue bucket leads the list of sites.
    assert page.index("Zeta corner") < page.index("Alpha corner")


def test_drive_day_returned_bucket_is_not_overdue(client, boss, drive):
    now = timezone.now()
    ended = street_shift(drive, SiteFactory(), start=now - 3 * HOUR)
    holder = SignupFactory(shift=ended).volunteer
    bucket = BucketFactory(number=5)
    issue(bucket, ended, holder, boss)
    bucket_return(bucket=bucket, seal_number="S-1", seal_intact=True, by=boss)
    client.force_login(boss)

    page = live(client, drive)

    assert "Overdue" not in alerts(page)
    assert "Nothing needs you right now." in page


def test_drive_day_bucket_where_nobody_is_checked_in_is_unattended(client, boss, drive):
    now = timezone.now()
    site = SiteFactory(name="Shaw & Cedar")
    shift = street_shift(drive, site, start=now - HOUR)
    holder = SignupFactory(shift=shift).volunteer  # confirmed, not checked in
    issue(BucketFactory(number=7), shift, holder, boss)
    client.force_login(boss)

    page = live(client, drive)

    assert "Unattended: bucket 7" in alerts(page)
    assert "at Shaw &amp; Cedar, where nobody is checked in" in alerts(page)


def test_drive_day_checked_in_team_makes_bucket_attended(client, boss, drive):
    now = timezone.now()
    shift = street_shift(drive, SiteFactory(min_people=2), start=now - HOUR)
    first = checked_in(shift, boss)
    checked_in(shift, boss)
    issue(BucketFactory(number=8), shift, first.volunteer, boss)
    client.force_login(boss)

    page = live(client, drive)

    assert "Unattended" not in alerts(page)
    assert "Below minimum" not in alerts(page)
    assert "0 alerts" in page
    assert "Bucket 8" in page


def test_drive_day_handed_over_bucket_follows_the_next_shift(client, boss, drive):
    now = timezone.now()
    site = SiteFactory()
    ended = street_shift(drive, site, start=now - 3 * HOUR)
    next_shift = street_shift(drive, site, start=now - HOUR)
    giver = SignupFactory(shift=ended).volunteer
    taker = checked_in(next_shift, boss, UserFactory(display_name="Andre Washington"))
    checked_in(next_shift, boss)
    bucket = BucketFactory(number=9)
    issue(bucket, ended, giver, boss)
    bucket_hand_over(bucket=bucket, to=taker.volunteer, by=boss,
                     receiver_code=personal_code(taker.volunteer, drive))
    client.force_login(boss)

    page = live(client, drive)

    assert "Overdue" not in alerts(page)
    assert "Unattended" not in alerts(page)
    assert "Andre Washington" in page


def test_drive_day_site_below_minimum_alert(client, boss, drive):
    now = timezone.now()
    shift = street_shift(drive, SiteFactory(name="Palm & Bullard", min_people=3),
                         start=now - HOUR)
    checked_in(shift, boss)
    SignupFactory(shift=shift)  # confirmed but not here
    client.force_login(boss)

    page = live(client, drive)

    assert "Below minimum: Palm &amp; Bullard" in alerts(page)
    assert "1 checked in, minimum 3" in alerts(page)


def test_drive_day_future_shift_is_not_below_minimum(client, boss, drive):
    street_shift(drive, SiteFactory(min_people=3), start=timezone.now() + HOUR)
    client.force_login(boss)

    page = live(client, drive)

    assert "Below minimum" not in alerts(page)
    assert "No shift now" in page


def test_drive_day_counts_buckets_by_state(client, boss, drive):
    now = timezone.now()
    shift = street_shift(drive, SiteFactory(), start=now - HOUR)
    people = [SignupFactory(shift=shift).volunteer for _ in range(4)]
    out, back, lost, stolen = (BucketFactory() for _ in range(4))
    BucketFactory.create_batch(2)  # never issued: in stock
    BucketFactory(is_active=False)  # retired: counted nowhere
    for bucket, person in zip((out, back, lost, stolen), people, strict=True):
        issue(bucket, shift, person, boss)
    bucket_return(bucket=back, seal_number="S-1", seal_intact=True, by=boss)
    bucket_report_missing(bucket=lost, kind="lost", description="Left at the bus stop",
                          by=boss)
    bucket_report_missing(bucket=stolen, kind="stolen", description="Grabbed and run",
                          police_report_number="FPD-26-0412", by=boss)
    client.force_login(boss)

    response = client.get(reverse("drive_day", args=[drive.pk]))

    assert response.context["day"].counts == {
        "in_stock": 2, "out": 1, "returned": 1, "missing": 2}
    page = response.content.decode()
    assert '<div class="count-out"><dt>Out</dt><dd>1</dd></div>' in page
    assert '<div class="count-missing"><dt>Lost or stolen</dt><dd>2</dd></div>' in page


def test_drive_day_returned_on_an_earlier_drive_is_in_stock(client, boss, drive):
    now = timezone.now()
    earlier = EventFactory(starts_at=now - 30 * 24 * HOUR, ends_at=now - 29 * 24 * HOUR)
    old_shift = street_shift(earlier, SiteFactory(), start=earlier.starts_at)
    bucket = BucketFactory()
    issue(bucket, old_shift, SignupFactory(shift=old_shift).volunteer, boss)
    bucket_return(bucket=bucket, seal_number="S-1", seal_intact=True, by=boss)
    client.force_login(boss)

    response = client.get(reverse("drive_day", args=[drive.pk]))

    assert response.context["day"].counts == {
        "in_stock": 1, "out": 0, "returned": 0, "missing": 0}


def test_drive_day_shows_incidents_with_police_report(client, boss, drive):
    shift = street_shift(drive, SiteFactory(name="Herndon & Fowler"),
                         start=timezone.now() - HOUR)
    bucket = BucketFactory(number=31)
    issue(bucket, shift, SignupFactory(shift=shift).volunteer, boss)
    bucket_report_missing(bucket=bucket, kind="stolen", description="A man grabbed it",
                          police_report_number="FPD-26-0412", by=boss)
    client.force_login(boss)

    page = live(client, drive)

    incidents = page[page.index('id="incidents-heading"'):]
    assert "Theft" in incidents
    assert "police report FPD-26-0412" in incidents
    assert "bucket 31" in incidents
    assert "A man grabbed it" in incidents


def test_drive_day_polls_its_partial(client, boss, drive):
    client.force_login(boss)
    url = reverse("drive_day", args=[drive.pk])

    page = live(client, drive)
    partial = client.get(url, {"partial": "1"}, headers={"HX-Request": "true"})

    assert f'hx-get="{url}?partial=1"' in page
    assert 'hx-trigger="every 30s"' in page
    assert '<meta http-equiv="refresh" content="30">' in page  # inside <noscript>
    assert partial.status_code == 200
    body = partial.content.decode()
    assert "<html" not in body
    assert 'id="alerts-heading"' in body
    assert "no-cache" in partial["Cache-Control"]


def test_drive_day_phones_for_organizers_only(client, drive):
    now = timezone.now()
    shift = street_shift(drive, SiteFactory(), start=now - HOUR)
    SignupFactory(shift=shift, volunteer=UserFactory(phone="(559) 555-0123"))
    client.force_login(treasurer())

    page = live(client, drive)

    assert "555-0123" not in page


def test_drive_day_vest_shown(client, boss, drive):
    shift = street_shift(drive, SiteFactory(), start=timezone.now() - HOUR)
    SignupFactory(shift=shift, volunteer=UserFactory(display_name="Vera Vest"),
                  vest_given=True)
    client.force_login(boss)

    page = live(client, drive)

    assert "Vera Vest · Not checked in · vest" in page


def big_drive(boss, buckets: int, sites: int, volunteers: int) -> Event:
    now = timezone.now()
    event = EventFactory(starts_at=now - 4 * HOUR, ends_at=now + 4 * HOUR)
    places = [SiteFactory() for _ in range(sites)]
    shifts = [street_shift(event, site, start=start) for site in places
              for start in (now - 3 * HOUR, now - HOUR)]
    people = [SignupFactory(shift=shifts[i % len(shifts)]).volunteer for i in range(volunteers)]
    Signup.objects.filter(pk__in=Signup.objects.filter(shift__event=event)
                          .values("pk")[:volunteers // 2]).update(attendance="present")
    for n in range(buckets):
        shift = shifts[n % len(shifts)]
        person = Signup.objects.filter(shift=shift).first().volunteer
        bucket = BucketFactory()
        CustodyEvent.objects.create(bucket=bucket, kind="issued", shift=shift, holder=person,
                                    seal_number=f"S{n}", by=boss)
        if n % 4 == 1:
            CustodyEvent.objects.create(bucket=bucket, kind="returned", shift=shift,
                                        seal_number=f"S{n}", seal_intact=True,
                                        seal_matches=True, by=boss)
    assert len(people) == volunteers
    return event


def test_drive_day_queries_do_not_grow(client, boss, django_assert_max_num_queries):
    small = big_drive(boss, buckets=2, sites=2, volunteers=4)
    client.force_login(boss)
    url = reverse("drive_day", args=[small.pk])
    client.get(url)  # warm: session, permissions
    cache.clear()  # measure the rendering, not the cached body
    with django_assert_max_num_queries(9) as small_run:
        assert client.get(url).status_code == 200

    large = big_drive(boss, buckets=100, sites=50, volunteers=300)
    url = reverse("drive_day", args=[large.pk])
    cache.clear()
    with django_assert_max_num_queries(len(small_run.captured_queries)):
        response = client.get(url)

    assert response.status_code == 200
    assert response.content.count(b'<article class="live-site') == 50
    assert Bucket.objects.count() == 102


def test_drive_day_body_is_rendered_once_per_change(client, boss, drive,
                                                    django_assert_max_num_queries,
                                                    django_capture_on_commit_callbacks):
    """Every phone polling the view gets the body rendered once per 30 s slot; a custody
    step (or a check-in, an incident...) makes it stale at once."""
    client.force_login(boss)
    url = reverse("drive_day", args=[drive.pk])
    client.get(url)
    with django_assert_max_num_queries(4):  # session, user, roles, event
        client.get(url, {"partial": "1"})
    with django_capture_on_commit_callbacks(execute=True):
        Incident.objects.create(event=drive, kind=Incident.Kind.AGGRESSION,
                                description="Shouting driver at the median", reported_by=boss)
    body = client.get(url, {"partial": "1"}).content.decode()

    assert "Shouting driver at the median" in body


def test_drive_day_draft_is_for_organizers_only(client, drive):
    drive.status = Event.Status.DRAFT
    drive.save()
    client.force_login(treasurer())

    assert client.get(reverse("drive_day", args=[drive.pk])).status_code == 404


# --- Who may see it ------------------------------------------------------------------------


def team_captain(shift):
    team = TeamFactory()
    shift.held_for = team
    shift.save()
    person = captain()
    TeamMembershipFactory(team=team, user=person, is_captain=True)
    SignupFactory(shift=shift, team=team,
                  volunteer=TeamMembershipFactory(team=team).user)
    return person


@pytest.mark.parametrize("role, status", [
    ("anonymous", 302), ("volunteer", 403), ("captain_of_team", 403),
    ("captain_of_other_team", 403), ("organizer", 200), ("treasurer", 200),
])
def test_drive_day_permissions_by_role(client, drive, role, status):
    shift = street_shift(drive, SiteFactory(), start=timezone.now() - HOUR)
    person = {
        "anonymous": lambda: None,
        "volunteer": lambda: SignupFactory(shift=shift).volunteer,
        "captain_of_team": lambda: team_captain(shift),
        "captain_of_other_team": lambda: TeamMembershipFactory(
            user=captain(), is_captain=True).user,
        "organizer": organizer,
        "treasurer": treasurer,
    }[role]()
    if person is not None:
        client.force_login(person)

    response = client.get(reverse("drive_day", args=[drive.pk]))

    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/login/")


def test_drive_day_linked_from_the_event_header(client, boss, drive):
    client.force_login(boss)

    page = client.get(reverse("site_board", args=[drive.pk])).content.decode()

    assert f'href="{reverse("drive_day", args=[drive.pk])}"' in page


# --- The safety vest at check-in -----------------------------------------------------------


def vest(client, signup, value, htmx=False):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(reverse("signup_vest", args=[signup.pk]), {"vest": value},
                       headers=headers)


def test_vest_given_recorded_with_history(client, boss, drive):
    shift = street_shift(drive, SiteFactory(), start=timezone.now())
    signup = SignupFactory(shift=shift)
    client.force_login(boss)

    response = vest(client, signup, "1", htmx=True)

    assert response.status_code == 200
    assert "Safety vest given" in response.content.decode()
    assert "Vest taken back" in response.content.decode()
    signup.refresh_from_db()
    assert signup.vest_given is True
    change = SignupChange.objects.get(signup=signup)
    assert (change.by, change.action) == (boss, SignupChange.Action.VEST_GIVEN)


def test_vest_taken_back_and_repeat_records_once(client, boss, drive):
    shift = street_shift(drive, SiteFactory(), start=timezone.now())
    signup = SignupFactory(shift=shift)
    client.force_login(boss)

    vest(client, signup, "1")
    vest(client, signup, "1")
    response = vest(client, signup, "0")

    assert response.status_code == 302
    signup.refresh_from_db()
    assert signup.vest_given is False
    assert list(SignupChange.objects.filter(signup=signup).values_list("action", flat=True)) == [
        SignupChange.Action.VEST_GIVEN, SignupChange.Action.VEST_RETURNED]


def test_vest_toggle_on_checkin_row_of_street_shift_only(client, boss, drive):
    street = street_shift(drive, SiteFactory(), start=timezone.now())
    indoor = ShiftFactory(event=drive, starts_at=timezone.now())
    SignupFactory(shift=street)
    SignupFactory(shift=indoor)
    client.force_login(boss)

    street_page = client.get(reverse("shift_checkin", args=[street.pk])).content.decode()
    indoor_page = client.get(reverse("shift_checkin", args=[indoor.pk])).content.decode()

    assert "Vest given" in street_page
    assert "Vest given" not in indoor_page


def test_vest_refused_on_indoor_shift(client, boss, drive):
    signup = SignupFactory(shift=ShiftFactory(event=drive, starts_at=timezone.now()))
    client.force_login(boss)

    response = vest(client, signup, "1", htmx=True)

    assert response.status_code == 409
    assert "street shifts only" in response.content.decode()
    signup.refresh_from_db()
    assert signup.vest_given is False


def test_vest_bad_value_is_422(client, boss, drive):
    signup = SignupFactory(shift=street_shift(drive, SiteFactory(), start=timezone.now()))
    client.force_login(boss)

    response = vest(client, signup, "maybe", htmx=True)

    assert response.status_code == 422
    assert "Choose whether the vest was given." in response.content.decode()


def test_vest_before_checkin_opens_is_refused(client, boss, drive):
    signup = SignupFactory(shift=street_shift(drive, SiteFactory(),
                                              start=timezone.now() + 3 * HOUR))
    client.force_login(boss)

    response = vest(client, signup, "1", htmx=True)

    assert response.status_code == 409
    signup.refresh_from_db()
    assert signup.vest_given is False


@pytest.mark.parametrize("role, status", [
    ("anonymous", 302), ("volunteer", 403), ("captain_of_team", 200),
    ("captain_of_other_team", 403), ("organizer", 200), ("treasurer", 403),
])
def test_vest_permissions_by_role(client, drive, role, status):
    shift = street_shift(drive, SiteFactory(), start=timezone.now())
    team = TeamFactory()
    member = TeamMembershipFactory(team=team).user
    signup = SignupFactory(shift=shift, team=team, volunteer=member)
    lead = captain()
    TeamMembershipFactory(team=team, user=lead, is_captain=True)
    person = {
        "anonymous": lambda: None,
        "volunteer": lambda: member,
        "captain_of_team": lambda: lead,
        "captain_of_other_team": lambda: TeamMembershipFactory(
            user=captain(), is_captain=True).user,
        "organizer": organizer,
        "treasurer": treasurer,
    }[role]()
    if person is not None:
        client.force_login(person)

    response = vest(client, signup, "1", htmx=True)

    assert response.status_code == status
    signup.refresh_from_db()
    assert signup.vest_given is (status == 200)


# --- The map's popups ----------------------------------------------------------------------


def test_map_lists_buckets_out_at_each_site(client, boss, drive):
    now = timezone.now()
    site = SiteFactory(name="Bullard & West")
    ended = street_shift(drive, site, start=now - 3 * HOUR)
    holder = SignupFactory(shift=ended, volunteer=UserFactory(display_name="Tom C")).volunteer
    issue(BucketFactory(number=21), ended, holder, boss)
    client.force_login(boss)

    response = client.get(reverse("drive_map", args=[drive.pk]))

    (entry,) = response.context["sites"]
    assert entry["buckets"] == [{"number": 21, "holder": "Tom C", "overdue": True}]
    assert "(overdue)" in response.content.decode()


# --- The demo buckets ----------------------------------------------------------------------


def test_seed_demo_buckets_in_every_state(client):
    from django.core.management import call_command

    from donations.models import Incident
    from events.demo_drive import STREET_DRIVE_TITLE

    call_command("seed_demo")

    drive = Event.objects.get(title=STREET_DRIVE_TITLE)
    kinds = list(CustodyEvent.objects.order_by("bucket__number", "at", "pk")
                 .values_list("bucket__number", "kind"))
    assert Bucket.objects.filter(number__in=range(1, 41)).count() == 40
    assert (5, "handed_over") in kinds
    assert [e.bucket.number for e in CustodyEvent.objects.filter(kind="returned")
            if e.flagged] == [8]
    assert Incident.objects.get(bucket__number=10).police_report_number == "FPD-26-118734"
    client.force_login(organizer())
    counts = client.get(reverse("drive_day", args=[drive.pk])).context["day"].counts
    # 11-40 never issued, and 41-48 back from October's drive (issue 11's books): in stock.
    assert counts == {"in_stock": 38, "out": 5, "returned": 3, "missing": 2}


def test_drive_day_overdue_bucket_is_not_also_unattended(client, boss, drive):
    ended = street_shift(drive, SiteFactory(), start=timezone.now() - 3 * HOUR)
    issue(BucketFactory(number=3), ended, SignupFactory(shift=ended).volunteer, boss)
    client.force_login(boss)

    page = live(client, drive)

    assert "Overdue: bucket 3" in alerts(page)
    assert "Unattended" not in alerts(page)
    assert "1 alert" in alerts(page)
