"""Giving codes: their shape, one code per team or site across both, "Make codes", reading a
code back from a processor's file, and the giving codes pages with who may open them."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from donations.cards import (
    CODE_SHAPE,
    Holder,
    clean_code,
    giving_code_set,
    giving_codes_make,
    new_code,
    read_code,
)
from donations.ledger import MoneyError
from donations.models import MoneyAudit
from tests.donations.cards_fixtures import gift
from tests.factories import (
    SiteFactory,
    TeamFactory,
    UserFactory,
    captain,
    organizer,
    treasurer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def grace():
    return TeamFactory(name="Grace Church Youth")


@pytest.fixture
def corner():
    return SiteFactory(name="Blackstone & Shaw")


@pytest.fixture
def boss():
    return organizer()


def page(response) -> str:
    return response.content.decode()


# --- The shape of a code -------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "stored"), [
    ("PCY-27", "PCY-27"), (" pcy-27 ", "PCY-27"), ("abc", "ABC"), ("A" * 20, "A" * 20),
    ("2026-FRESNO", "2026-FRESNO"), ("", None), ("   ", None)])
def test_codes_are_stored_in_capitals_and_empty_clears(typed, stored):
    assert clean_code(typed) == stored


@pytest.mark.parametrize(("typed", "message"), [
    ("AB", "A giving code has 3 to 20 characters."),
    ("A" * 21, "A giving code has 3 to 20 characters."),
    ("PCY 27", "Use only letters A to Z"), ("PCY_27", "Use only letters A to Z"),
    ("-PCY", "Use only letters A to Z"), ("PCY-", "Use only letters A to Z"),
    ("ÑANDÚ", "Use only letters A to Z"), ("PCY/27", "Use only letters A to Z")])
def test_codes_of_the_wrong_shape_are_refused_at_the_code(typed, message):
    with pytest.raises(MoneyError) as refused:
        clean_code(typed)

    assert refused.value.field == "code" and refused.value.message.startswith(message)


# --- Reading a code back -------------------------------------------------------------------

KNOWN = {"PCY-27": Holder("team", 1, "Peoples Church Youth"),
         "BS-44": Holder("site", 2, "Blackstone & Shaw"),
         "AB-C1": Holder("team", 3, "A"), "ABC-1": Holder("team", 4, "B")}


@pytest.mark.parametrize(("cell", "code", "holder"), [
    ("PCY-27", "PCY-27", 1), ("pcy-27", "PCY-27", 1), ("  pcy 27 ", "PCY-27", 1),
    ("PCY27", "PCY-27", 1), ("code=PCY-27", "PCY-27", 1), ("Giving code: bs-44", "BS-44", 2),
    ("https://example.org/donate?code=bs-44&utm=x", "BS-44", 2),
    ("Team PCY-27 rocks!", "PCY-27", 1), ("code pcy 27", "PCY-27", 1),
    ("team_code=PCY-27", "PCY-27", 1), ("ZZZ-99", "ZZZ-99", None),
    ("code: abc12 thanks", "ABC12", None), ("In memory of Mom", "", None),
    ("BARCODE 123", "", None), ("", "", None), ("ABC1", "ABC1", None)])
def test_a_code_is_read_from_a_field_or_free_text(cell, code, holder):
    read = read_code(cell, KNOWN)

    assert read.code == code
    assert (read.holder.pk if read.holder else None) == holder


def test_reading_codes_from_the_database_knows_teams_and_sites(grace, corner):
    grace.giving_code, corner.giving_code = "GCY-2", "BS-7"
    grace.save()
    corner.save()

    assert read_code("gcy-2").holder == Holder("team", grace.pk, grace.name)
    assert read_code("BS-7").holder == Holder("site", corner.pk, corner.name)


# --- Setting a code ------------------------------------------------------------------------


def test_a_team_code_is_set_changed_and_cleared_with_audit_lines(grace, boss):
    giving_code_set(holder=grace, code="gcy-2", by=boss)
    giving_code_set(holder=grace, code="GCY-2", by=boss)  # unchanged: no line
    giving_code_set(holder=grace, code="GCY-3", by=boss)
    giving_code_set(holder=grace, code="", by=boss)

    grace.refresh_from_db()
    assert grace.giving_code is None
    lines = list(MoneyAudit.objects.filter(action="giving_code.set").order_by("pk"))
    assert [(line.before["code"], line.after["code"]) for line in lines] == [
        (None, "GCY-2"), ("GCY-2", "GCY-3"), ("GCY-3", None)]
    assert lines[0].subject == "Team Grace Church Youth: giving code" and lines[0].by == boss


def test_a_site_cannot_take_a_teams_code_nor_a_team_a_sites(grace, corner, boss):
    giving_code_set(holder=grace, code="GCY-2", by=boss)
    giving_code_set(holder=corner, code="BS-7", by=boss)

    with pytest.raises(MoneyError) as site_refused:
        giving_code_set(holder=corner, code="gcy-2", by=boss)
    with pytest.raises(MoneyError) as team_refused:
        giving_code_set(holder=grace, code="BS-7", by=boss)

    assert site_refused.value.message == (
        "GCY-2 is already the giving code of the team Grace Church Youth. Each team and site "
        "has its own code.")
    assert team_refused.value.message.startswith(
        "BS-7 is already the giving code of the site Blackstone & Shaw.")
    corner.refresh_from_db()
    grace.refresh_from_db()
    assert (grace.giving_code, corner.giving_code) == ("GCY-2", "BS-7")


def test_two_teams_cannot_share_a_code(grace, boss):
    other = TeamFactory(name="Rotary")
    giving_code_set(holder=grace, code="GCY-2", by=boss)

    with pytest.raises(MoneyError) as refused:
        giving_code_set(holder=other, code="GCY-2", by=boss)

    assert refused.value.field == "code"


# --- Making codes --------------------------------------------------------------------------


def test_make_codes_fills_every_team_and_active_site_without_one(grace, corner, boss):
    kept = TeamFactory(name="Rotary", giving_code="ROT-1")
    retired = SiteFactory(name="Old Market", is_active=False)

    made = giving_codes_make(by=boss)

    assert {holder.name for holder, _code in made} == {grace.name, corner.name}
    grace.refresh_from_db()
    corner.refresh_from_db()
    retired.refresh_from_db()
    kept.refresh_from_db()
    assert re.fullmatch(r"GCY-[A-Z2-9]{2}", grace.giving_code)
    assert re.fullmatch(r"BS-[A-Z2-9]{2}", corner.giving_code)
    assert kept.giving_code == "ROT-1" and retired.giving_code is None
    line = MoneyAudit.objects.get(action="giving_code.made")
    assert line.after == {"teams": {grace.name: grace.giving_code},
                          "sites": {corner.name: corner.giving_code}}
    assert giving_codes_make(by=boss) == []
    assert MoneyAudit.objects.filter(action="giving_code.made").count() == 1


def test_made_codes_are_unique_readable_and_of_the_right_shape():
    taken: set[str] = set()
    for _n in range(1_000):  # more than the 31 x 31 two-character endings
        code = new_code("Peoples Church Youth", taken)
        assert CODE_SHAPE.match(code) and code not in taken
        assert not set(code.split("-")[1]) & set("01ILO")
        taken.add(code)
    assert any(len(code) == len("PCY-ABC") for code in taken)  # two characters ran out


@pytest.mark.parametrize(("name", "stem"), [
    ("Peoples Church Youth", "PCY"), ("Rotary", "ROTA"), ("Iglesia Ñuñoa", "IN"),
    ("St. Mary's Knights of Columbus Council", "SMSK"), ("我们", "T"), ("X", "TX")])
def test_made_codes_start_with_the_names_initials(name, stem):
    assert new_code(name, set()).split("-")[0] == stem


# --- The pages -----------------------------------------------------------------------------


def codes_urls(grace, corner) -> list[str]:
    return [reverse("money_giving_codes"), reverse("money_giving_code_team", args=[grace.pk]),
            reverse("money_giving_code_site", args=[corner.pk])]


def test_organizers_treasurers_and_superusers_open_the_giving_codes_pages(client, grace,
                                                                          corner):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    for address in codes_urls(grace, corner):
        client.logout()
        assert client.get(address)["Location"].startswith(reverse("account_login"))
        assert client.post(address, {"action": "make", "code": "X-1"}).status_code == 302
        for person in (UserFactory(), captain()):
            client.force_login(person)
            assert client.get(address).status_code == 403, address
            assert client.post(address, {"action": "make", "code": "ABC"}).status_code == 403
        for person in (organizer(), treasurer(), superuser):
            client.force_login(person)
            assert client.get(address).status_code == 200, (address, person)
    grace.refresh_from_db()
    assert grace.giving_code is None and not MoneyAudit.objects.exists()


def test_codes_page_lists_teams_and_sites_with_link_and_qr(client, grace, corner, boss,
                                                           settings):
    settings.DONATION_PAGE_URL = "https://coalition.example.org/give"
    grace.giving_code = "GCY-2"
    grace.save()
    client.force_login(boss)

    response = client.get(reverse("money_giving_codes"))

    text = page(response)
    assert "GCY-2" in text and "https://coalition.example.org/give?code=GCY-2" in text
    assert text.count("<svg") == 1
    assert "Blackstone &amp; Shaw" in text
    assert "1 team or site has no giving code yet." in text
    assert 'href="/money/"' not in text  # organizers do not see the money link


def test_make_codes_button_gives_every_one_a_code(client, grace, corner, boss):
    client.force_login(boss)

    response = client.post(reverse("money_giving_codes"), {"action": "make"}, follow=True)

    assert "2 giving codes made." in page(response)
    assert page(response).count("<svg") == 2
    again = client.post(reverse("money_giving_codes"), {"action": "make"}, follow=True)
    assert "Every team and site already has a giving code." in page(again)


def test_unknown_step_on_the_codes_page_changes_nothing(client, grace, boss):
    client.force_login(boss)

    response = client.post(reverse("money_giving_codes"), {"action": "drop"}, follow=True)

    assert "Choose a step on this page" in page(response)
    grace.refresh_from_db()
    assert grace.giving_code is None


def test_a_teams_code_is_set_on_its_page(client, grace, boss):
    client.force_login(boss)
    url = reverse("money_giving_code_team", args=[grace.pk])

    response = client.post(url, {"code": " gcy-2 "}, follow=True)

    grace.refresh_from_db()
    assert grace.giving_code == "GCY-2"
    assert response.redirect_chain[-1][0] == reverse("money_giving_codes")
    assert "The giving code of Grace Church Youth is now GCY-2." in page(response)
    removed = client.post(url, {"code": ""}, follow=True)
    assert "Grace Church Youth no longer has a giving code." in page(removed)


def test_a_code_taken_by_a_site_is_refused_at_the_field_with_the_input_kept(client, grace,
                                                                            corner, boss):
    corner.giving_code = "BS-7"
    corner.save()
    client.force_login(boss)

    response = client.post(reverse("money_giving_code_team", args=[grace.pk]),
                           {"code": "bs-7"})

    assert response.status_code == 422
    assert response.context["form"].errors["code"] == [
        "BS-7 is already the giving code of the site Blackstone & Shaw. Each team and site "
        "has its own code."]
    assert 'value="bs-7"' in page(response)
    grace.refresh_from_db()
    assert grace.giving_code is None


def test_a_site_code_of_the_wrong_shape_is_refused_at_the_field(client, corner, boss):
    client.force_login(boss)

    response = client.post(reverse("money_giving_code_site", args=[corner.pk]),
                           {"code": "no spaces"})

    assert response.status_code == 422
    assert response.context["form"].errors["code"][0].startswith("Use only letters A to Z")


def test_changing_a_code_that_gifts_came_with_warns_about_printed_sheets(client, boss):
    from tests.donations.cards_fixtures import past_world

    world = past_world()
    gift(world, team=world.team, code=world.team.giving_code)
    client.force_login(boss)

    text = page(client.get(reverse("money_giving_code_team", args=[world.team.pk])))

    assert "1 card gift already came with this code." in text
    assert "run sheets and badges already printed carry the old code" in text


def test_missing_team_or_site_is_404(client, boss):
    client.force_login(boss)

    assert client.get(reverse("money_giving_code_team", args=[999_999])).status_code == 404
    assert client.get(reverse("money_giving_code_site", args=[999_999])).status_code == 404


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_codes_page_runs_the_same_queries_for_5_and_50_teams_and_sites(client, boss):
    client.force_login(boss)
    counted = {}
    for total in (5, 50):
        while len(TeamFactory._meta.model.objects.all()) < total:
            TeamFactory()
            SiteFactory()
        giving_codes_make(by=boss)
        counted[total] = count_queries(client, reverse("money_giving_codes"))
    assert counted[5] == counted[50]


def test_codes_pages_have_no_inline_script_or_style(client, grace, corner, boss):
    giving_codes_make(by=boss)
    client.force_login(boss)

    for url in codes_urls(grace, corner):
        text = page(client.get(url))
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), url
        assert " style=" not in text, url


def test_code_changes_are_on_the_money_audit_trail(client, grace, corner, boss):
    giving_code_set(holder=grace, code="GCY-2", by=boss)
    giving_codes_make(by=boss)
    client.force_login(treasurer())

    text = page(client.get(reverse("money_audit")))

    assert "Team Grace Church Youth: giving code" in text and "giving_code.set" in text
    assert "Giving codes made" in text
