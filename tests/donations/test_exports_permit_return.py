"""The permit return through the view: per bucket collected at the permit's sites on its dates,
the collectors from custody, the amount, the total, the bank deposit references, the return
date, whether all the money is counted, lines to sign; the CSV; who may open it (organizers
and treasurers); queries that do not grow with the buckets."""

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from donations.custody import bucket_issue, bucket_return
from donations.exports import permit_return
from donations.handoff import personal_code
from donations.models import CustodyEvent
from tests.donations.books_fixtures import banked, counted, deposited, second_world
from tests.donations.exports_fixtures import days_from_today, full_books
from tests.donations.money_world import MoneyWorld
from tests.factories import (
    BucketFactory,
    PermitFactory,
    ShiftFactory,
    SignupFactory,
    SiteFactory,
    TeamFactory,
    captain,
    treasurer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return MoneyWorld(buckets=3)


@pytest.fixture
def permit(world):
    return PermitFactory(sites=[world.site], reference="SP-0042", return_due=days_from_today(20))


def return_url(permit, **query) -> str:
    address = reverse("permit_return", args=[permit.pk])
    return address + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def text_of(response) -> str:
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", body)


def read_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def street_bucket(world, *, site=None, starts_at=None, team=None):
    """One more bucket out and back on a shift of the drive at ``site`` (default: a new
    site), starting ``starts_at`` (default: the drive's start). Returns its return row."""
    shift = ShiftFactory(event=world.event, site=site or SiteFactory(),
                         starts_at=starts_at or world.event.starts_at)
    collector = SignupFactory(shift=shift, team=team).volunteer
    bucket = BucketFactory()
    bucket_issue(bucket=bucket, shift=shift, to=collector, seal_number="S-77",
                 by=world.organizer, receiver_code=personal_code(collector, world.event))
    returned = bucket_return(bucket=bucket, seal_number="S-77", seal_intact=True,
                             by=world.organizer)
    world.buckets.append(bucket)
    world.returns.append(returned)
    world.collectors.append(collector)
    return returned


def test_permit_return_url_is_under_the_permit():
    assert reverse("permit_return", args=[5]) == "/organize/permits/5/return/"


# --- What the return holds ---------------------------------------------------------------


def test_permit_return_lists_each_bucket_with_collectors_amount_and_bank_references(
        client, world, permit):
    books = full_books(world)
    client.force_login(world.organizer)

    response = client.get(return_url(permit))

    words = text_of(response)
    found = response.context["found"]
    assert response.status_code == 200
    assert [(row.bucket, row.collectors, row.amount_cents, row.deposit_slip,
             row.bank_reference, row.status) for row in found.rows] == [
        (world.buckets[index], [world.collectors[index].name], cents, "D-77",
         books.match.bank_line.reference, "counted")
        for index, cents in enumerate([17300, 5050, 6725])]
    assert found.total_cents == 29075
    assert found.all_counted
    assert "Total collected $290.75" in words
    assert "All the money collected under this permit is counted." in words
    for index in range(3):
        assert world.collectors[index].name in words
    assert f"bank ref. {books.match.bank_line.reference}" in words
    assert "Permit return: City of Fresno SP-0042" in words
    assert permit.return_due.strftime("%B") in words
    assert "Return due" in words
    assert "Organizer (permit holder): name and signature" in words
    assert "Treasurer: name and signature" in words
    assert escape(world.site.name) in words
    # The return agrees with the drive's totals by site.
    from donations.totals import drive_totals

    [site_line] = [line for line in drive_totals(world.event).by_site if line.key == world.site.pk]
    assert site_line.cash_cents == found.total_cents


def test_permit_return_leaves_out_other_sites_and_other_dates(world, permit):
    counted(world, 0, 1000)
    elsewhere = street_bucket(world)
    later = street_bucket(world, site=world.site,
                          starts_at=world.event.starts_at + datetime.timedelta(days=40))
    counted(world, 3, 2000)
    counted(world, 4, 4000)

    found = permit_return(permit)

    assert [row.bucket for row in found.rows] == [world.buckets[index] for index in range(3)]
    assert elsewhere.bucket not in [row.bucket for row in found.rows]
    assert later.bucket not in [row.bucket for row in found.rows]
    assert found.total_cents == 1000


def test_permit_return_counts_only_the_share_held_on_the_permits_dates(world):
    day_one = world.event.starts_at
    permit = PermitFactory(sites=[world.site], valid_from=timezone.localdate(day_one),
                           valid_until=timezone.localdate(day_one))
    next_day = ShiftFactory(event=world.event, site=world.site,
                            starts_at=day_one + datetime.timedelta(days=1))
    other_team = TeamFactory(name="Clovis Rotary")
    first, second = SignupFactory(shift=world.shift).volunteer, SignupFactory(
        shift=next_day).volunteer
    bucket = BucketFactory()
    rows = [
        CustodyEvent(bucket=bucket, kind="issued", shift=world.shift, team=world.team,
                     holder=first, seal_number="S-1", by=world.organizer, at=day_one),
        CustodyEvent(bucket=bucket, kind="handed_over", shift=next_day, team=other_team,
                     holder=second, from_holder=first, seal_number="S-1", by=world.organizer,
                     at=day_one + datetime.timedelta(hours=24)),
        CustodyEvent(bucket=bucket, kind="returned", shift=next_day, team=other_team,
                     from_holder=second, seal_number="S-1", seal_intact=True,
                     seal_matches=True, by=world.organizer,
                     at=day_one + datetime.timedelta(hours=27)),
    ]
    for row in rows:
        row.save()
    world.buckets.append(bucket)
    world.returns.append(rows[-1])
    counted(world, 3, 9000)

    found = permit_return(permit)

    [row] = [row for row in found.rows if row.bucket == bucket]
    assert (row.amount_cents, row.figure_cents, row.shared) == (8000, 9000, True)
    assert row.collectors == [first.name]
    assert row.teams == [world.team.name]


def test_permit_return_says_when_money_is_not_all_counted(client, world, permit):
    counted(world, 0, 1000)
    out = world.bucket_out()
    client.force_login(world.organizer)

    response = client.get(return_url(permit))

    words = text_of(response)
    found = response.context["found"]
    assert not found.all_counted
    assert [row.status for row in found.rows] == ["counted", "waiting", "waiting", "out"]
    assert found.rows[-1].bucket == out
    assert "Not all the money is counted yet: the total below is provisional." in words
    assert "2 buckets are back and waiting to be counted." in words
    assert "1 bucket is still out." in words
    assert "Total counted so far (provisional) $10.00" in words
    assert "Not counted yet" in words and "Still out" in words
    assert "1 counted bucket is not in a bank deposit yet." not in words


def test_permit_return_without_collections_says_so(client, permit):
    client.force_login(treasurer())
    permit.sites.set([SiteFactory()])

    response = client.get(return_url(permit))

    assert response.status_code == 200
    assert "No bucket was collected at this permit's sites on its dates." in text_of(response)
    assert response.context["found"].total_cents == 0


def test_permit_return_spans_every_drive_under_the_permit(world, permit):
    counted(world, 0, 1000)
    other = second_world(world, buckets=1)
    permit.sites.add(other.site)
    counted(other, 0, 2500)

    found = permit_return(permit)

    assert {row.event for row in found.rows} == {world.event, other.event}
    assert found.total_cents == 3500


# --- The CSV ----------------------------------------------------------------------------------


def test_permit_return_csv_has_a_row_per_bucket_and_the_total(client, world, permit):
    full_books(world)
    client.force_login(world.tess)

    response = client.get(return_url(permit, format="csv"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="permit-return-city-of-fresno-sp-0042.csv"')
    rows = read_csv(response)
    assert rows[0] == ["drive", "date", "bucket", "collectors", "teams", "sites", "status",
                       "amount", "deposit_slip", "bank_reference"]
    day = timezone.localdate(world.event.starts_at).isoformat()
    assert rows[1][:8] == [world.event.title, day, str(world.buckets[0].number),
                           world.collectors[0].name, world.team.name, world.site.name,
                           "counted", "173.00"]
    assert rows[1][8] == "D-77"
    assert [row[7] for row in rows[1:4]] == ["173.00", "50.50", "67.25"]
    assert rows[-1] == ["total", "", "", "", "", "", "", "290.75", "", ""]


def test_permit_return_csv_marks_the_total_provisional_until_all_is_counted(client, world,
                                                                             permit):
    counted(world, 0, 1000)
    client.force_login(world.organizer)

    rows = read_csv(client.get(return_url(permit, format="csv")))

    assert [row[6] for row in rows[1:4]] == ["counted", "not counted yet", "not counted yet"]
    assert [row[7] for row in rows[1:4]] == ["10.00", "", ""]
    assert rows[-1][6:8] == ["provisional", "10.00"]


def test_permit_return_csv_quotes_names_that_look_like_formulas(client, world, permit):
    collector = world.collectors[0]
    collector.display_name = "=cmd|' /C calc'!A0"
    collector.save(update_fields=["display_name"])
    counted(world, 0, 1000)
    client.force_login(world.organizer)

    rows = read_csv(client.get(return_url(permit, format="csv")))

    assert rows[1][3] == "'=cmd|' /C calc'!A0"


# --- Who may open it --------------------------------------------------------------------------


def test_permit_return_sends_anonymous_people_to_log_in(client, permit):
    for address in (return_url(permit), return_url(permit, format="csv")):
        response = client.get(address)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("who", ["volunteer", "captain"])
def test_permit_return_refuses_volunteers_and_captains(client, world, permit, who):
    client.force_login(captain() if who == "captain" else getattr(world, who))

    assert client.get(return_url(permit)).status_code == 403
    assert client.get(return_url(permit, format="csv")).status_code == 403


@pytest.mark.parametrize("who", ["organizer", "tess", "superuser"])
def test_permit_return_opens_for_organizers_treasurers_and_superusers(client, world, permit,
                                                                     who):
    counted(world, 0, 1000)
    client.force_login(getattr(world, who))

    page = client.get(return_url(permit))

    assert page.status_code == 200
    assert client.get(return_url(permit, format="csv")).status_code == 200
    body = page.content.decode()
    # Links only to pages the person may open.
    edit = f'href="{reverse("organize_permit_edit", args=[permit.pk])}"'
    books = f'href="{reverse("money_drive", args=[world.event.pk])}"'
    assert (edit in body) == (who != "tess")
    assert (books in body) == (who != "organizer")


def test_permit_return_of_a_permit_that_does_not_exist_is_404(client, world):
    client.force_login(world.organizer)

    assert client.get(reverse("permit_return", args=[10**9])).status_code == 404


# --- Queries ----------------------------------------------------------------------------------


def _queries(client, person, permit, **query) -> int:
    client.force_login(person)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(return_url(permit, **query)).status_code == 200
    return len(queries)


def test_permit_return_queries_do_not_grow_with_the_buckets(client):
    small = MoneyWorld(buckets=2)
    banked(deposited(small, [counted(small, index, 1000) for index in range(2)]))
    small_permit = PermitFactory(sites=[small.site])
    few = (_queries(client, small.organizer, small_permit),
           _queries(client, small.organizer, small_permit, format="csv"))

    big = second_world(small, buckets=12)
    agreed = [counted(big, index, 1000 + index) for index in range(10)]
    banked(deposited(big, agreed[:5]))
    banked(deposited(big, agreed[5:]))
    big.bucket_out()
    big_permit = PermitFactory(sites=[big.site])
    many = (_queries(client, big.organizer, big_permit),
            _queries(client, big.organizer, big_permit, format="csv"))

    assert len(permit_return(big_permit).rows) == 13
    assert many == few
