"""The public total of a fundraiser (issue 12): provisional until the books are reconciled,
final after; volunteers, sites and teams; no person's name and no per-person figure; a team
leaderboard only when the organizer turns it on; cached for anonymous visitors and refreshed
when the money (or the buckets still to count) changes; only published fundraisers have it."""

import datetime
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from donations.books import adjustment_entry_create, drive_reconcile, drive_reopen
from donations.card_csv import card_import_commit, default_days, guess_mapping, read_card_csv
from donations.custody import bucket_issue, bucket_return
from donations.handoff import personal_code
from donations.models import CardGift
from donations.money import format_cents
from donations.totals import public_figures
from events.models import Event, EventKind
from tests.donations.books_fixtures import (
    bank_adjustment,
    counted,
    proceeds_of,
    ready_to_reconcile,
)
from tests.donations.cards_fixtures import past_world, stripe_csv
from tests.donations.money_world import MoneyWorld
from tests.factories import (
    BucketFactory,
    EventFactory,
    SignupFactory,
    TeamFactory,
    UserFactory,
    captain,
    organizer,
)

pytestmark = pytest.mark.django_db

_references = itertools.count(1)


def started_drive(**fields) -> Event:
    """A fundraiser that began this morning (the public total's box shows from its start)."""
    start = timezone.now() - datetime.timedelta(hours=4)
    return EventFactory(**{"title": "Fresno Street Drive", "starts_at": start, **fields})


def raised_url(event: Event) -> str:
    return reverse("fundraiser_raised", args=[event.pk])


def card_gift(event: Event, cents: int, *, by, team=None, donor: str = "Dana Donorly"
              ) -> CardGift:
    return CardGift.objects.create(
        event=event, processor="stripe", reference=f"ch_{next(_references)}", team=team,
        code=(team.giving_code or "") if team else "", amount_cents=cents, fee_cents=60,
        donor_name=donor, donor_email="dana.donorly@example.org",
        given_at=timezone.now(), entered_by=by)


@pytest.fixture
def world() -> MoneyWorld:
    return MoneyWorld(buckets=3, event=started_drive())


def page(client, event: Event) -> str:
    response = client.get(raised_url(event))
    assert response.status_code == 200
    return response.content.decode()


# --- Provisional, then final -----------------------------------------------------------------


def test_public_total_is_provisional_while_buckets_wait_to_be_counted(client, world):
    counted(world, 0, 12000)
    counted(world, 1, 4550)
    card_gift(world.event, 2500, by=world.ann)

    html = page(client, world.event)

    assert "$190.50" in html  # 120.00 + 45.50 counted + 25.00 by card
    assert "Provisional" in html
    assert "Final" not in html
    assert "1 bucket is still to be counted." in html
    assert "<dt>Volunteers</dt><dd>3</dd>" in html
    assert "<dt>Sites</dt><dd>1</dd>" in html
    assert "<dt>Teams</dt><dd>1</dd>" in html


def test_public_total_turns_final_after_reconciliation(client, world,
                                                       django_capture_on_commit_callbacks):
    ready_to_reconcile(world)
    before = page(client, world.event)

    with django_capture_on_commit_callbacks(execute=True):
        drive_reconcile(event=world.event, by=world.tess, explanations={})
    after = page(client, world.event)

    assert "Provisional" in before and "Final" not in before
    assert "$252.75" in before
    assert "Final" in after and "Provisional" not in after
    assert "$252.75" in after
    assert "still to be counted" not in after


def test_public_total_turns_provisional_again_when_the_books_are_reopened(
        client, world, django_capture_on_commit_callbacks):
    ready_to_reconcile(world)
    drive_reconcile(event=world.event, by=world.tess, explanations={})
    assert "Final" in page(client, world.event)

    with django_capture_on_commit_callbacks(execute=True):
        drive_reopen(event=world.event, by=world.superuser, reason="A bank line was wrong.")

    assert "Provisional" in page(client, world.event)


def test_public_total_counts_a_drive_with_nothing_yet(client):
    event = EventFactory(title="Clovis Drive")

    html = page(client, event)

    assert "$0.00" in html
    assert "Provisional" in html
    assert "<dt>Volunteers</dt><dd>0</dd>" in html


# --- No names, no per-person figures, the leaderboard -----------------------------------------


def test_public_total_shows_no_names_and_no_per_person_figures(client, world):
    people = [*world.collectors, world.ann, world.ben, world.tess, world.organizer,
              world.volunteer, world.superuser]
    for index, person in enumerate(people):
        person.display_name = f"Personname{index:02d} Quorra"
        person.save(update_fields=["display_name"])
    ready_to_reconcile(world)
    card_gift(world.event, 30000, by=world.ann, donor="Dana Donorly")
    with_check = world.return_another()
    counted(world, world.returns.index(with_check), 1000, checks=(5000,))

    html = page(client, world.event)

    for person in [*people, *world.collectors[3:]]:
        assert person.display_name not in html
        assert person.email not in html
    assert "Personname" not in html
    assert "Dana Donorly" not in html and "dana.donorly" not in html
    assert "Payer 0" not in html  # the check's payer
    for per_bucket in ("$120.00", "$45.50", "$87.25", "$60.00"):
        assert per_bucket not in html
    assert world.team.name not in html  # no leaderboard unless the organizer asks
    assert "$612.75" in html  # 252.75 + 300.00 by card + 10.00 cash and 50.00 by check


def test_leaderboard_lists_team_totals_only_when_turned_on(client, world,
                                                           django_capture_on_commit_callbacks):
    other = TeamFactory(name="Clovis Rotary")
    counted(world, 0, 12000)
    counted(world, 1, 4550)
    rotary = world.return_another(team=other)
    counted(world, world.returns.index(rotary), 30000)
    card_gift(world.event, 1000, by=world.ann, team=other)
    off = page(client, world.event)

    with django_capture_on_commit_callbacks(execute=True):
        world.event.show_leaderboard = True
        world.event.save()
    on = page(client, world.event)

    assert world.team.name not in off and "Clovis Rotary" not in off
    assert "Clovis Rotary" in on and world.team.name in on
    assert on.index("Clovis Rotary") < on.index(world.team.name)  # highest first
    assert "$310.00" in on  # 300.00 counted + 10.00 by card
    assert "$165.50" in on
    assert "Team figures are provisional too" in on


def test_organizer_turns_the_leaderboard_on_in_the_event_form(
        client, world, django_capture_on_commit_callbacks):
    counted(world, 0, 12000)
    assert world.team.name not in page(client, world.event)  # now in the cache
    organizer_client = type(client)()
    organizer_client.force_login(world.organizer)
    edit = organizer_client.get(reverse("organize_event_edit", args=[world.event.pk]))
    assert 'name="show_leaderboard"' in edit.content.decode()
    event = world.event
    form = {
        "kind": EventKind.FUNDRAISER, "title": event.title,
        "starts_at": timezone.localtime(event.starts_at).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": timezone.localtime(event.ends_at).strftime("%Y-%m-%dT%H:%M"),
        "venue_name": event.venue_name, "address": event.address,
        "visibility": Event.Visibility.PUBLIC, "cancel_cutoff_hours": 24,
        "reminder_hours": "24", "show_leaderboard": "on",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(reverse("organize_event_edit", args=[event.pk]), form)

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.show_leaderboard is True
    html = page(client, event)
    assert world.team.name in html
    assert "$120.00" in html

    del form["show_leaderboard"]
    with django_capture_on_commit_callbacks(execute=True):
        organizer_client.post(reverse("organize_event_edit", args=[event.pk]), form)

    event.refresh_from_db()
    assert event.show_leaderboard is False
    assert world.team.name not in page(client, event)


def test_event_form_leaderboard_is_off_for_a_new_event(client):
    client.force_login(organizer())
    start = timezone.localtime() + datetime.timedelta(days=20)
    response = client.post(reverse("organize_event_create"), {
        "kind": EventKind.FUNDRAISER, "title": "Madera Drive",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + datetime.timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"),
        "visibility": Event.Visibility.PUBLIC, "cancel_cutoff_hours": 24,
        "reminder_hours": "24",
    })

    assert response.status_code == 302
    assert Event.objects.get(title="Madera Drive").show_leaderboard is False


# --- The cache --------------------------------------------------------------------------------


def test_public_total_is_served_from_the_cache_without_queries(client, world,
                                                               django_assert_num_queries):
    counted(world, 0, 12000)
    first = client.get(raised_url(world.event))

    with django_assert_num_queries(0):
        second = client.get(raised_url(world.event))

    assert second.content == first.content
    assert second["Cache-Control"] == "public, max-age=60"
    assert first["Cache-Control"] == "public, max-age=60"


def test_public_total_for_a_logged_in_person_is_never_cached(client, world):
    client.force_login(world.volunteer)

    response = client.get(raised_url(world.event))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_public_total_without_a_change_stays_as_cached(client, world):
    """Money written without a commit hook (a bulk update no service makes) is not seen until
    the cached copy expires: the page really comes from the cache."""
    before = page(client, world.event)
    CardGift.objects.bulk_create([CardGift(
        event=world.event, processor="paypal", reference="PP-1", amount_cents=99900,
        given_at=timezone.now(), entered_by=world.ann)])

    assert page(client, world.event) == before


CHANGES = {
    # name: (arrange -> state, act(state), what the page shows after)
    "an agreed count": (lambda w: None, lambda w, s: counted(w, 0, 12000), "$120.00"),
    "a card gift": (lambda w: None, lambda w, s: card_gift(w.event, 4200, by=w.ann), "$42.00"),
    "an odd item's proceeds": (
        lambda w: counted(w, 0, 12000, odd=("A 10 euro note",)),
        lambda w, s: proceeds_of(s.count.odd_items.get(), s, by=w.ann, amount_cents=1100),
        "$131.00"),
    "a bank adjustment": (
        lambda w: ready_to_reconcile(w),
        lambda w, s: bank_adjustment(s[1], {s[0][0]: -2000}, by=w.ann),
        "$232.75"),
    "an adjustment entry": (
        lambda w: ready_to_reconcile(w),
        lambda w, s: adjustment_entry_create(
            event=w.event, amount_cents=500, reason="A $5 bill found in the bucket's lid.",
            approved_by=w.ben, by=w.tess, corrects_agreed=s[0][0]),
        "$257.75"),
    # Custody alone (the collector signed up beforehand): the street-drive counter.
    "a bucket back, not counted yet": (
        lambda w: _everything_counted_and_a_collector(w),
        lambda w, s: _issue(w, s, back=True),
        "1 bucket is still to be counted."),
    "a bucket out on the street": (
        lambda w: _everything_counted_and_a_collector(w),
        lambda w, s: _issue(w, s, back=False),
        "1 bucket is still to be counted."),
}


def _everything_counted_and_a_collector(world):
    for index in range(len(world.returns)):
        counted(world, index, 1000)
    return SignupFactory(shift=world.shift, team=world.team).volunteer, BucketFactory()


def _issue(world, state, *, back: bool):
    collector, bucket = state
    bucket_issue(bucket=bucket, shift=world.shift, to=collector, seal_number="S-77",
                 by=world.organizer, receiver_code=personal_code(collector, world.event))
    if back:
        bucket_return(bucket=bucket, seal_number="S-77", seal_intact=True, by=world.organizer)


@pytest.mark.parametrize("change", CHANGES)
def test_public_total_is_refreshed_when_what_it_shows_changes(client, world, change,
                                                     django_capture_on_commit_callbacks):
    arrange, act, shown = CHANGES[change]
    state = arrange(world)
    before = page(client, world.event)

    with django_capture_on_commit_callbacks(execute=True):
        act(world, state)
    after = page(client, world.event)

    assert shown not in before
    assert shown in after


def test_public_total_is_refreshed_by_a_processor_file_imported(
        client, django_capture_on_commit_callbacks):
    """The card import writes its gifts in bulk (no signal per gift): its CardImport row is
    what refreshes the pages."""
    world = past_world()
    headers, rows = read_card_csv(SimpleUploadedFile("payments.csv",
                                                     stripe_csv(world.day).encode()))
    mapping = guess_mapping(headers, rows, processor="stripe")
    since, until = default_days(world.event)
    mapping.update({"since": since.isoformat(), "until": until.isoformat()})
    before = page(client, world.event)

    with django_capture_on_commit_callbacks(execute=True):
        card_import_commit(event=world.event, file_name="payments.csv", headers=headers,
                           rows=rows, mapping=mapping, by=world.ann)
    after = page(client, world.event)

    total = public_figures(world.event).total_cents
    assert total > 0
    assert format_cents(total) not in before
    assert format_cents(total) in after


def test_public_total_leaderboard_follows_a_team_renamed(client, world,
                                                         django_capture_on_commit_callbacks):
    world.event.show_leaderboard = True
    world.event.save()
    counted(world, 0, 12000)
    assert world.team.name in page(client, world.event)

    with django_capture_on_commit_callbacks(execute=True):
        world.team.name = "Peoples Church Youth Group"
        world.team.save()

    assert "Peoples Church Youth Group" in page(client, world.event)


def _drive_of(size: int, *, teams: int, gifts: int) -> Event:
    """A started drive with ``size`` counted buckets shared by ``teams`` teams and ``gifts``
    card gifts, the leaderboard on."""
    world = MoneyWorld(buckets=0, event=started_drive(title=f"Drive of {size}",
                                                      show_leaderboard=True))
    crews = [world.team] + [TeamFactory(name=f"Crew {size}-{n:02d}") for n in range(1, teams)]
    for index in range(size):
        returned = world.return_another(team=crews[index % len(crews)])
        counted(world, world.returns.index(returned), 1000 + index)
    CardGift.objects.bulk_create([
        CardGift(event=world.event, processor="stripe", reference=f"big-{size}-{n}",
                 team=crews[n % len(crews)], amount_cents=500, given_at=timezone.now(),
                 entered_by=world.ann) for n in range(gifts)])
    return world.event


def test_public_total_runs_a_constant_number_of_queries(client):
    """2 buckets of 2 teams with 2 card gifts, or 100 buckets of 30 teams with 1,000 card
    gifts: the same number of queries."""
    small = _drive_of(2, teams=2, gifts=2)
    big = _drive_of(100, teams=30, gifts=1000)

    with CaptureQueriesContext(connection) as small_queries:
        small_html = page(client, small)
    with CaptureQueriesContext(connection) as big_queries:
        big_html = page(client, big)

    assert small_html.count("<tr>") == 2 + 1  # the header row and one per team
    assert big_html.count("<tr>") == 30 + 1
    assert len(big_queries) == len(small_queries)
    # The event, then public_figures (the books, custody, card gifts, names, sign-ups, sites).
    assert len(big_queries) <= 25


# --- Who may see it ---------------------------------------------------------------------------


def _login(client, world, who: str):
    people = {
        "volunteer": world.volunteer, "captain": captain(), "organizer": world.organizer,
        "treasurer": world.ann, "superuser": world.superuser,
    }
    if who != "anonymous":
        client.force_login(people[who])


@pytest.mark.parametrize("who", ["anonymous", "volunteer", "captain", "organizer",
                                 "treasurer", "superuser"])
def test_public_total_is_open_to_everyone(client, world, who):
    _login(client, world, who)

    response = client.get(raised_url(world.event))

    assert response.status_code == 200


@pytest.mark.parametrize(("fields", "who", "status"), [
    ({"status": Event.Status.DRAFT}, "anonymous", 404),
    ({"status": Event.Status.DRAFT}, "organizer", 404),
    ({"status": Event.Status.DRAFT}, "superuser", 404),
    ({"kind": EventKind.AWARENESS}, "anonymous", 404),
    ({"kind": EventKind.TRAINING}, "organizer", 404),
    ({"kind": EventKind.MEETING}, "treasurer", 404),
    ({"visibility": Event.Visibility.MEMBERS}, "anonymous", 404),
    ({"visibility": Event.Visibility.MEMBERS}, "volunteer", 200),
    ({"status": Event.Status.CANCELLED}, "anonymous", 200),
])
def test_public_total_exists_only_for_visible_fundraisers(client, world, fields, who, status):
    Event.objects.filter(pk=world.event.pk).update(**fields)
    _login(client, world, who)

    response = client.get(raised_url(world.event))

    assert response.status_code == status


def test_public_total_of_an_unknown_event_is_404(client):
    assert client.get(reverse("fundraiser_raised", args=[987654])).status_code == 404


# --- The box on the event page and the home page ---------------------------------------------


def test_event_page_shows_raised_so_far_then_raised_final(client, world,
                                                          django_capture_on_commit_callbacks):
    url = reverse("event_detail", args=[world.event.pk])
    ready_to_reconcile(world)
    before = client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        drive_reconcile(event=world.event, by=world.tess, explanations={})
    after = client.get(url).content.decode()

    assert "Raised so far: <strong>$252.75</strong> (provisional)" in before
    assert f'href="{raised_url(world.event)}"' in before
    assert "Raised: <strong>$252.75</strong> (final)" in after


@pytest.mark.parametrize("fields", [
    {"starts_at": timezone.now() + datetime.timedelta(days=3)},  # not begun
    {"kind": EventKind.AWARENESS},
    {"status": Event.Status.CANCELLED},
])
def test_event_page_has_no_box_before_the_drive_or_for_other_events(client, fields):
    event = started_drive(**fields)

    html = client.get(reverse("event_detail", args=[event.pk])).content.decode()

    assert "Raised" not in html
    assert reverse("fundraiser_raised", args=[event.pk]) not in html


def test_event_page_with_the_box_is_still_served_from_the_cache(client, world,
                                                                django_assert_num_queries):
    counted(world, 0, 12000)
    url = reverse("event_detail", args=[world.event.pk])
    first = client.get(url)

    with django_assert_num_queries(0):
        second = client.get(url)

    assert "$120.00" in first.content.decode()
    assert second.content == first.content


def test_event_page_for_a_logged_in_person_reads_the_box_from_the_cache(client, world):
    counted(world, 0, 12000)
    client.force_login(world.volunteer)
    url = reverse("event_detail", args=[world.event.pk])
    client.get(url)

    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()

    assert "Raised so far: <strong>$120.00</strong>" in html
    assert not [q for q in queries if "donations_" in q["sql"]]


def test_home_shows_the_drive_that_began_most_recently(client):
    now = timezone.now()
    older = started_drive(title="Fresno Drive 2025", starts_at=now - datetime.timedelta(days=300))
    newer = started_drive(title="Visalia Drive")
    started_drive(title="Coming Drive", starts_at=now + datetime.timedelta(days=5))
    started_drive(title="Draft Drive", status=Event.Status.DRAFT)
    started_drive(title="Cancelled Drive", status=Event.Status.CANCELLED)
    started_drive(title="Training", kind=EventKind.TRAINING)
    world = MoneyWorld(buckets=1, event=newer)
    counted(world, 0, 4200)

    html = client.get(reverse("home")).content.decode()

    assert "Visalia Drive" in html
    assert "Raised so far: <strong>$42.00</strong> (provisional)" in html
    assert f'href="{raised_url(newer)}"' in html
    assert raised_url(older) not in html


def test_home_shows_a_members_only_drive_only_to_people_logged_in(client):
    members = started_drive(title="Members Drive", visibility=Event.Visibility.MEMBERS)

    anonymous = client.get(reverse("home")).content.decode()
    client.force_login(UserFactory())
    member = client.get(reverse("home")).content.decode()

    assert raised_url(members) not in anonymous
    assert raised_url(members) in member


def test_home_with_the_box_is_served_from_the_cache_and_refreshed_by_money(
        client, world, django_assert_num_queries, django_capture_on_commit_callbacks):
    first = client.get(reverse("home"))
    with django_assert_num_queries(0):
        second = client.get(reverse("home"))

    with django_capture_on_commit_callbacks(execute=True):
        counted(world, 0, 12000)
    third = client.get(reverse("home")).content.decode()

    assert second.content == first.content
    assert "Raised so far: <strong>$0.00</strong>" in first.content.decode()
    assert "Raised so far: <strong>$120.00</strong>" in third


def test_home_for_a_logged_in_person_reads_the_box_from_the_cache(client, world):
    counted(world, 0, 12000)
    client.force_login(world.volunteer)
    client.get(reverse("home"))

    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("home")).content.decode()

    assert "$120.00" in html
    assert not [q for q in queries if "donations_" in q["sql"] or "fundraiser" in q["sql"]]
