"""My shifts and the shift's page at a street site: the site, the window, teammates' first
names, the captain's phone (to people confirmed on the shift only), safety notes in the
reader's language, links that open the corner in the phone's map app; a private address is
shown only to people signed up there (not on the event page, nor in a public .ics file)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import (
    SignupFactory,
    SiteFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
)
from volunteers.models import Signup
from volunteers.services.signups import signup_create

from .conftest import make_shift

pytestmark = pytest.mark.django_db


@pytest.fixture
def corner():
    site = SiteFactory(
        name="Blackstone & Shaw, NE corner", address="N Blackstone Ave & E Shaw Ave",
        latitude=Decimal("36.808100"), longitude=Decimal("-119.790400"),
        safety_notes="Stay on the sidewalk.", safety_notes_es="Quédate en la acera.",
    )
    team = TeamFactory(name="Peoples Church Youth")
    captain = TeamMembershipFactory(
        team=team, is_captain=True,
        user=UserFactory(display_name="Grace Okafor", phone="(559) 555-0199"),
    ).user
    ana = TeamMembershipFactory(team=team, user=UserFactory(display_name="Ana Lopez")).user
    ben = TeamMembershipFactory(team=team, user=UserFactory(display_name="Ben Tran")).user
    shift = make_shift(site=site, held_for=team, capacity=3)
    for person in (ana, ben):
        signup_create(shift=shift, volunteer=person, by=person)
    return shift, captain, ana, ben


def test_my_shifts_shows_site_window_teammates_captain_and_map_links(client, corner):
    shift, _captain, ana, _ben = corner
    client.force_login(ana)

    page = client.get(reverse("my_shifts")).content.decode()

    assert "Blackstone &amp; Shaw, NE corner" in page
    assert "N Blackstone Ave &amp; E Shaw Ave" in page
    assert shift.label in page
    assert "With: Ben" in page
    assert "Tran" not in page  # first names only
    assert "Captain of Peoples Church Youth: Grace Okafor" in page
    assert 'href="tel:5595550199"' in page
    assert 'href="geo:36.808100,-119.790400?q=' in page
    assert 'href="https://maps.google.com/?q=36.808100%2C-119.790400"' in page
    assert "Stay on the sidewalk." in page
    assert "Held for Peoples Church Youth" in page


def test_my_shifts_safety_notes_in_the_readers_language(client, corner):
    _shift, _captain, ana, _ben = corner
    ana.language = "es"
    ana.save(update_fields=["language"])
    client.force_login(ana)

    page = client.get(reverse("my_shifts")).content.decode()

    assert "Quédate en la acera." in page


def test_my_shifts_hides_captain_phone_and_teammates_from_a_waiting_person(client, corner):
    shift, _captain, _ana, _ben = corner
    team = shift.held_for
    waiting = TeamMembershipFactory(team=team, user=UserFactory(display_name="Cy Diaz")).user
    member = TeamMembershipFactory(team=team).user
    signup_create(shift=shift, volunteer=member, by=member)  # fills the third place
    signup = signup_create(shift=shift, volunteer=waiting, by=waiting)
    assert signup.status == Signup.Status.WAITLISTED
    client.force_login(waiting)

    page = client.get(reverse("my_shifts")).content.decode()

    assert "Blackstone &amp; Shaw, NE corner" in page
    assert "555-0199" not in page
    assert "With:" not in page


def test_shift_page_shows_the_crew_to_people_on_it(client, corner):
    shift, _captain, _ana, ben = corner
    client.force_login(ben)

    response = client.get(reverse("shift_detail", args=[shift.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "With: Ana" in page
    assert "555-0199" in page


def test_shift_page_sends_others_to_the_event_page_without_the_phone(client, corner):
    shift, _captain, _ana, _ben = corner
    client.force_login(UserFactory())

    response = client.get(reverse("shift_detail", args=[shift.pk]))

    assert response.status_code == 302
    assert response["Location"] == (
        reverse("event_detail", args=[shift.event_id]) + f"#shift-{shift.pk}")


def test_shift_page_asks_anonymous_to_log_in(client, corner):
    shift, *_rest = corner

    response = client.get(reverse("shift_detail", args=[shift.pk]))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_event_page_shows_a_public_sites_address(client, corner):
    shift, *_rest = corner

    page = client.get(reverse("event_detail", args=[shift.event_id])).content.decode()

    assert "Blackstone &amp; Shaw, NE corner · N Blackstone Ave &amp; E Shaw Ave" in page


@pytest.fixture
def private_shift():
    site = SiteFactory(name="Fig Garden lot", address="5082 N Palm Ave (behind the bank)",
                       address_private=True)
    return make_shift(site=site)


def test_private_address_hidden_on_the_public_event_page(client, private_shift):
    page = client.get(reverse("event_detail", args=[private_shift.event_id])).content.decode()

    assert "Fig Garden lot" in page
    assert "5082 N Palm Ave" not in page


def test_private_address_hidden_from_a_volunteer_not_signed_up(client, private_shift):
    client.force_login(UserFactory())

    page = client.get(reverse("event_detail", args=[private_shift.event_id])).content.decode()

    assert "Fig Garden lot" in page
    assert "5082 N Palm Ave" not in page


def test_private_address_shown_to_the_person_signed_up(client, private_shift):
    person = UserFactory()
    signup_create(shift=private_shift, volunteer=person, by=person)
    client.force_login(person)

    event_page = client.get(reverse("event_detail", args=[private_shift.event_id]))
    my_shifts = client.get(reverse("my_shifts"))

    assert "5082 N Palm Ave" in event_page.content.decode()
    assert "5082 N Palm Ave" in my_shifts.content.decode()


def test_private_address_left_out_of_the_public_shift_download(client, private_shift):
    ics = client.get(reverse("shift_ics", args=[private_shift.pk])).content.decode()

    assert "LOCATION:Fig Garden lot" in ics
    assert "5082" not in ics
    assert "GEO:" not in ics


def test_my_shifts_queries_do_not_grow_with_sign_ups(client, django_assert_max_num_queries):
    person = UserFactory()
    team = TeamFactory()
    TeamMembershipFactory(team=team, user=person)
    for n in range(30):
        if n < 2:
            TeamMembershipFactory(team=team, is_captain=True)
        shift = make_shift(starts_in_hours=24 + 4 * n, site=SiteFactory(), held_for=team)
        SignupFactory(shift=shift, volunteer=person)
        SignupFactory(shift=shift, volunteer=UserFactory())
    client.force_login(person)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("my_shifts"))

    assert response.status_code == 200
    assert response.content.decode().count("Captain of") == 60
