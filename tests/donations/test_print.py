"""Collector badges, run sheets and the donor disclosure card: issued once and numbered, what
each printed page says, and who may open it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from donations.badges import badge_issue_all, badge_return, badge_revoke
from donations.custody import bucket_issue
from donations.handoff import personal_code
from donations.models import Badge
from events.models import Event, ShiftRole
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
from volunteers.models import Signup

pytestmark = pytest.mark.django_db


@pytest.fixture
def drive():
    """A drive in a week: a corner held for the Grace team (Ana and Ben on it), another
    corner with Cleo on her own, a setup shift without a site (Dev), Eve waiting."""
    boss = organizer()
    boss.display_name, boss.phone = "Maria Delgado", "(559) 555-0100"
    boss.save()
    event = EventFactory(title="Pledge Drive", contact=boss)
    grace, other = TeamFactory(name="Grace Church"), TeamFactory(name="Rotary")
    corner = SiteFactory(name="Blackstone & Shaw", safety_notes="Stay off the median.")
    market = SiteFactory(name="Tower Market")
    held = ShiftFactory(event=event, site=corner, held_for=grace)
    alone = ShiftFactory(event=event, site=market, starts_at=event.starts_at
                         + datetime.timedelta(hours=3))
    setup = ShiftFactory(event=event, role=ShiftRole.SETUP)
    people = {}
    for key, name, phone in [("ana", "Ana Ruiz", "(559) 555-0111"),
                             ("ben", "Ben Okafor", "(559) 555-0112"),
                             ("cleo", "Cleo Park", "(559) 555-0113"),
                             ("dev", "Dev Shah", "(559) 555-0114"),
                             ("eve", "Eve Long", "(559) 555-0115")]:
        people[key] = UserFactory(display_name=name, phone=phone)
    for key in ("ana", "ben"):
        TeamMembershipFactory(team=grace, user=people[key])
        SignupFactory(shift=held, volunteer=people[key], team=grace)
    SignupFactory(shift=alone, volunteer=people["cleo"])
    SignupFactory(shift=setup, volunteer=people["dev"])
    SignupFactory(shift=held, volunteer=people["eve"], status=Signup.Status.WAITLISTED,
                  confirmed_at=None)
    grace_captain = captain()
    TeamMembershipFactory(team=grace, user=grace_captain, is_captain=True)
    other_captain = captain()
    TeamMembershipFactory(team=other, user=other_captain, is_captain=True)
    return {"event": event, "boss": boss, "grace": grace, "held": held, "alone": alone,
            "corner": corner, "market": market, "captain": grace_captain,
            "other_captain": other_captain, **people}


# --- Issuing badges ----------------------------------------------------------------------


def test_badge_issue_all_numbers_street_collectors_earliest_shift_first(drive):
    new = badge_issue_all(event=drive["event"], by=drive["boss"])

    assert [(b.number, b.volunteer.name) for b in new] == [
        (1, "Ana Ruiz"), (2, "Ben Okafor"), (3, "Cleo Park")]  # no Dev (setup), no Eve


def test_badge_issue_all_twice_keeps_the_existing_badges(drive):
    first = badge_issue_all(event=drive["event"], by=drive["boss"])
    codes = {b.pk: b.code for b in first}

    again = badge_issue_all(event=drive["event"], by=drive["boss"])

    assert again == []
    assert {b.pk: b.code for b in Badge.objects.filter(event=drive["event"])} == codes


def test_badge_issue_all_adds_newcomers_after_the_highest_number(drive):
    badge_issue_all(event=drive["event"], by=drive["boss"])
    badge_revoke(badge=Badge.objects.get(number=3), by=drive["boss"])
    newcomer = UserFactory(display_name="Fay Wong")
    SignupFactory(shift=drive["alone"], volunteer=newcomer)

    new = badge_issue_all(event=drive["event"], by=drive["boss"])

    assert [(b.number, b.volunteer) for b in new] == [(4, newcomer)]
    assert Badge.objects.get(number=3).revoked_at is not None  # kept as it was


def test_badge_issue_all_on_a_cancelled_drive_is_refused_at_the_page(client, drive):
    Event.objects.filter(pk=drive["event"].pk).update(status=Event.Status.CANCELLED)
    client.force_login(drive["boss"])

    response = client.post(reverse("organize_event_badges", args=[drive["event"].pk]),
                           follow=True)

    assert "This drive is cancelled" in response.content.decode()
    assert Badge.objects.count() == 0


def test_badge_page_issues_badges_and_lists_them(client, drive):
    client.force_login(drive["boss"])
    url = reverse("organize_event_badges", args=[drive["event"].pk])

    before = client.get(url).content.decode()
    response = client.post(url, follow=True)

    assert "3 people on street shifts have no badge yet." in before
    page = response.content.decode()
    assert "3 new badges issued." in page
    assert "Ana Ruiz" in page and "Cleo Park" in page
    assert "Everyone on a street shift has a badge." in page


def test_badge_return_and_revoke_through_the_page(client, drive):
    badge_issue_all(event=drive["event"], by=drive["boss"])
    one, two = Badge.objects.order_by("number")[:2]
    client.force_login(drive["boss"])

    client.post(reverse("organize_badge_return", args=[one.pk]))
    client.post(reverse("organize_badge_return", args=[one.pk]))  # re-posted: no change
    response = client.post(reverse("organize_badge_revoke", args=[two.pk]), follow=True)

    one.refresh_from_db()
    two.refresh_from_db()
    assert one.returned_at is not None and one.revoked_at is None
    assert two.revoked_at is not None
    page = response.content.decode()
    assert "Handed back" in page and "Revoked" in page


def test_badge_return_twice_keeps_the_first_time(drive):
    badge_issue_all(event=drive["event"], by=drive["boss"])
    badge = Badge.objects.get(number=1)
    first = badge_return(badge=badge, by=drive["boss"]).returned_at

    second = badge_return(badge=badge, by=drive["boss"]).returned_at

    assert first == second


# --- What the printed pages say -----------------------------------------------------------


def test_badges_print_page_has_one_badge_per_collector_with_qr(client, drive, settings):
    settings.SITE_URL = "https://rally.example.org"
    badge_issue_all(event=drive["event"], by=drive["boss"])
    badge_return(badge=Badge.objects.get(number=2), by=drive["boss"])  # Ben: not printed
    client.force_login(drive["boss"])

    response = client.get(reverse("organize_event_badges_print", args=[drive["event"].pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('class="print-sheet collector-badge"') == 2
    ana = Badge.objects.get(number=1)
    assert f"https://rally.example.org/verify/{ana.code}/" in page
    assert page.count("<svg") == 2
    assert ">Ana<" in page and ">Cleo<" in page  # first names only
    assert "Ruiz" not in page and "Ben" not in page
    assert "Badge no. 1" in page and "Badge no. 3" in page
    assert settings.COALITION["name"] in page and settings.COALITION["phone"] in page
    assert "1-888-373-7888" in page
    assert 'href="/static/css/print.css"' in page or "css/print" in page


def test_run_sheets_show_sites_people_phones_buckets_seals_and_safety(client, drive):
    boss = drive["boss"]
    bucket = BucketFactory(number=17)
    bucket_issue(bucket=bucket, shift=drive["held"], to=drive["ana"], seal_number="S-1001",
                 by=boss, receiver_code=personal_code(drive["ana"], drive["event"]))
    client.force_login(boss)

    response = client.get(reverse("organize_event_run_sheets", args=[drive["event"].pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('class="print-sheet run-sheet"') == 2  # Grace Church, then Cleo alone
    grace, teamless = page.split('class="print-sheet run-sheet"')[1:]
    assert "Run sheet: Grace Church" in grace
    assert "Blackstone &amp; Shaw" in grace and "Stay off the median." in grace
    assert "Ana Ruiz, (559) 555-0111" in grace and "Ben Okafor, (559) 555-0112" in grace
    assert "Bucket 17" in grace and "S-1001" in grace
    assert "Cleo Park" not in grace and "Eve Long" not in grace
    assert "collectors without a team" in teamless and "Cleo Park, (559) 555-0113" in teamless
    assert "Bucket 17" not in teamless
    for sheet in (grace, teamless):
        assert "safety vest" in sheet
        assert "Work in pairs" in sheet
        assert "Stay on the sidewalk" in sheet
        assert "back away and call 911" in sheet
        assert "hand it over: never resist" in sheet
        assert "1-888-373-7888" in sheet
        assert "Maria Delgado, (559) 555-0100" in sheet


def test_run_sheets_query_count_does_not_grow_with_teams(client, drive,
                                                          django_assert_max_num_queries):
    client.force_login(drive["boss"])
    url = reverse("organize_event_run_sheets", args=[drive["event"].pk])
    client.get(url)
    for n in range(6):
        team = TeamFactory()
        shift = ShiftFactory(event=drive["event"], site=SiteFactory(), held_for=team)
        for _ in range(3):
            SignupFactory(shift=shift, volunteer=UserFactory(), team=team)
        bucket_issue(bucket=BucketFactory(), shift=shift, to=shift.signups.first().volunteer,
                     seal_number=f"S-{n}", by=drive["boss"], override_reason="test")

    with django_assert_max_num_queries(12):
        response = client.get(url)

    assert response.content.decode().count('class="print-sheet run-sheet"') == 8


def test_badge_list_query_count_does_not_grow_with_badges(client, drive,
                                                          django_assert_max_num_queries):
    for _ in range(20):
        SignupFactory(shift=drive["alone"], volunteer=UserFactory())
    badge_issue_all(event=drive["event"], by=drive["boss"])
    client.force_login(drive["boss"])

    with django_assert_max_num_queries(10):
        assert client.get(reverse("organize_event_badges",
                                  args=[drive["event"].pk])).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("organize_event_badges_print",
                                  args=[drive["event"].pk])).status_code == 200


def test_disclosure_card_says_name_address_tax_status_and_deductibility(client, drive,
                                                                         settings):
    settings.COALITION = {**settings.COALITION, "address": "PO Box 9, Fresno, CA 93701",
                          "ein": "12-3456789", "tax_exempt": True, "deductible_percent": 100}
    client.force_login(drive["boss"])

    response = client.get(reverse("organize_event_disclosure_card", args=[drive["event"].pk]))

    page = response.content.decode()
    assert "Solicitation or Sale for Charitable Purposes Card" in page
    assert settings.COALITION["name"] in page
    assert "PO Box 9, Fresno, CA 93701" in page and "12-3456789" in page
    assert "501(c)(3)" in page
    assert "100% of your gift may be deducted" in page
    assert "Signed and dated under penalty of perjury" in page


def test_disclosure_card_of_a_coalition_without_exemption_says_not_deductible(client, drive,
                                                                              settings):
    settings.COALITION = {**settings.COALITION, "tax_exempt": False}
    client.force_login(drive["boss"])

    page = client.get(reverse("organize_event_disclosure_card",
                              args=[drive["event"].pk])).content.decode()

    assert "does not have a charitable tax exemption" in page
    assert "This contribution is not tax deductible." in page
    assert "may be deducted" not in page


# --- My shifts: the personal handoff code on the drive day --------------------------------


def test_my_shifts_shows_the_handoff_code_and_qr_on_the_drive_day(client, drive):
    today = timezone.now() + datetime.timedelta(minutes=5)
    event = EventFactory(starts_at=today, ends_at=today + datetime.timedelta(hours=2))
    shift = ShiftFactory(event=event, site=SiteFactory(), starts_at=today,
                         ends_at=today + datetime.timedelta(hours=1))
    SignupFactory(shift=shift, volunteer=drive["cleo"])
    client.force_login(drive["cleo"])

    page = client.get(reverse("my_shifts")).content.decode()

    code = personal_code(drive["cleo"], event)
    assert page.count(code) == 1
    assert "Your handoff code for today" in page
    assert page.count('class="qr"') == 1
    # Cleo's other street shift is in a week: no code for that drive yet.
    assert personal_code(drive["cleo"], drive["event"]) not in page


def test_my_shifts_query_count_is_the_same_with_a_handoff_code(client, drive,
                                                               django_assert_num_queries):
    client.force_login(drive["cleo"])
    client.get(reverse("my_shifts"))
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()  # the page rendered (not its copy, volunteers.page_copies)
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("my_shifts"))
    today = timezone.now() + datetime.timedelta(minutes=5)
    event = EventFactory(starts_at=today, ends_at=today + datetime.timedelta(hours=2))
    shift = ShiftFactory(event=event, site=SiteFactory(), starts_at=today,
                         ends_at=today + datetime.timedelta(hours=1))
    SignupFactory(shift=shift, volunteer=drive["cleo"])

    with django_assert_num_queries(len(before)):
        page = client.get(reverse("my_shifts")).content.decode()

    assert personal_code(drive["cleo"], event) in page


# --- Who may open what --------------------------------------------------------------------

PAGES = ["organize_event_badges", "organize_event_badges_print", "organize_event_run_sheets",
         "organize_event_disclosure_card"]


def role(drive, name):
    return {"volunteer": drive["ana"], "captain": drive["captain"],
            "other_captain": drive["other_captain"], "organizer": drive["boss"],
            "treasurer": treasurer()}.get(name)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(("who", "status"), [
    ("anonymous", 302), ("volunteer", 403), ("captain", 403), ("other_captain", 403),
    ("treasurer", 403), ("organizer", 200),
])
def test_print_pages_are_for_organizers_only(client, drive, page, who, status):
    person = role(drive, who)
    if person is not None:
        client.force_login(person)

    response = client.get(reverse(page, args=[drive["event"].pk]))

    assert response.status_code == status
    if who == "anonymous":
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("action", ["organize_badge_return", "organize_badge_revoke"])
@pytest.mark.parametrize(("who", "status"), [
    ("anonymous", 302), ("volunteer", 403), ("captain", 403), ("other_captain", 403),
    ("treasurer", 403), ("organizer", 302),
])
def test_badge_actions_are_for_organizers_only(client, drive, action, who, status):
    badge_issue_all(event=drive["event"], by=drive["boss"])
    badge = Badge.objects.get(number=1)
    person = role(drive, who)
    if person is not None:
        client.force_login(person)

    response = client.post(reverse(action, args=[badge.pk]))

    badge.refresh_from_db()
    assert response.status_code == status
    changed = badge.returned_at is not None or badge.revoked_at is not None
    assert changed == (who == "organizer")


def test_issuing_badges_is_refused_to_everyone_but_organizers(client, drive):
    for who in ("volunteer", "captain", "other_captain", "treasurer"):
        client.force_login(role(drive, who))
        assert client.post(reverse("organize_event_badges",
                                   args=[drive["event"].pk])).status_code == 403
    assert Badge.objects.count() == 0
