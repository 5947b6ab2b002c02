"""The card gift pages through the views, as a treasurer uses them after a drive: the import's
steps (good file, duplicate, bad row, unknown team code, wrong columns, another processor's
columns, a tampered or replayed file, sent twice), the drive's gift list and its filter, who
may open each page, query counts for 1,000 gifts, and the giving link on run sheets and
badges."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from donations.badges import badge_issue_all
from donations.models import CardGift, CardImport, DriveMoneyStep, MoneyAudit
from events.models import EventKind
from tests.donations.cards_fixtures import (
    SITE_CODE,
    TEAM_CODE,
    gift,
    import_url,
    mapping_data,
    other_csv,
    past_world,
    paypal_csv,
    stripe_csv,
    upload,
)
from tests.factories import EventFactory, UserFactory, captain

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return past_world()


@pytest.fixture
def ann(client, world):
    client.force_login(world.ann)
    return world.ann


def page(response) -> str:
    return response.content.decode()


def gifts_url(world, query: str = "") -> str:
    return reverse("money_card_gifts", args=[world.event.pk]) + query


def previewed(client, world, text=None, **changes):
    mapped = upload(client, world.event, text or stripe_csv(world.day))
    assert mapped.status_code == 200, page(mapped)
    return client.post(import_url(world.event), mapping_data(mapped, step="preview", **changes))


# --- Who may open the pages ----------------------------------------------------------------


def test_only_treasurers_and_superusers_open_the_card_gift_pages(client, world):
    team_captain = captain()
    for address in (gifts_url(world), import_url(world.event)):
        client.logout()
        assert client.get(address)["Location"].startswith(reverse("account_login"))
        assert client.post(address, {"step": "upload"}).status_code == 302
        for person in (world.volunteer, world.organizer, world.collectors[0], team_captain):
            client.force_login(person)
            assert client.get(address).status_code == 403, (address, person)
            assert client.post(address, {"step": "upload"}).status_code == 403
        for person in (world.tess, world.superuser):
            client.force_login(person)
            assert client.get(address).status_code == 200, (address, person)


def test_card_pages_of_an_event_that_is_not_a_fundraiser_are_404(client, world, ann):
    meeting = EventFactory(kind=EventKind.MEETING)

    assert client.get(reverse("money_card_gifts", args=[meeting.pk])).status_code == 404
    assert client.get(reverse("money_card_import", args=[meeting.pk])).status_code == 404


# --- The import, step by step --------------------------------------------------------------


def test_import_reads_guesses_previews_then_imports_every_gift(client, world, ann):
    mapped = upload(client, world.event, stripe_csv(world.day), name="june.csv")
    assert mapped.status_code == 200 and mapped.context["step"] == "map"
    form = mapped.context["form"]
    assert (form["reference"].value(), form["amount"].value(), form["code"].value()) == (
        0, 4, 15)
    assert "A: id" in page(mapped) and "ch_3PaaA1" in page(mapped)
    assert not CardGift.objects.exists()

    shown = client.post(import_url(world.event), mapping_data(mapped, step="preview"))
    assert shown.status_code == 200 and shown.context["can_import"]
    assert shown.context["new_count"] == 4
    text = page(shown)
    assert "Passed over, status “Failed”: 1 row (5)." in text
    assert "1 gift without a giving code Rally knows" in text
    assert "Row 4: ch_3PaaA3, $10.00, code “ZZZ-99” unknown" in text
    assert "4 new gifts to import, $350.00 in all ($11.50 in fees)" in text
    assert not CardGift.objects.exists()

    done = client.post(import_url(world.event), mapping_data(shown, step="import"), follow=True)

    assert CardGift.objects.count() == 4
    assert done.redirect_chain[-1][0] == gifts_url(world, "?show=unattributed")
    text = page(done)
    assert "Imported 4 gifts from june.csv ($350.00)." in text
    assert "1 of them carries no giving code Rally knows" in text
    assert "ZZZ-99" in text and "ch_3PaaA3" in text and "ch_3PaaA1" not in text
    assert MoneyAudit.objects.filter(action="card_import.imported").count() == 1


def test_import_with_a_bad_row_shows_the_row_and_column_and_saves_nothing(client, world, ann):
    rows = [("ch_1", "Donation", "25.00", "0", "usd", "1.03", "Paid", "", "", TEAM_CODE),
            ("ch_2", "Donation", "12.3x", "0", "usd", "0.50", "Paid", "", "", TEAM_CODE)]
    shown = previewed(client, world, stripe_csv(world.day, rows))

    assert shown.status_code == 422
    assert shown.context["errors"] == [(3, "E: Amount", "“12.3x” is not an amount of money.")]
    assert not shown.context["can_import"]
    text = page(shown)
    assert "1 row needs attention: nothing will be imported until it is right" in text
    assert 'value="import"' not in text
    forced = client.post(import_url(world.event), mapping_data(shown, step="import"))
    assert forced.status_code == 422 and forced.context["errors"][0][0] == 3
    assert not CardGift.objects.exists() and not CardImport.objects.exists()


def test_import_of_a_reference_already_imported_is_refused_or_passed_over(client, world, ann):
    CardGift.objects.create(event=world.event, processor="Stripe", reference="ch_3PaaA1",
                            amount_cents=2_500, given_at=timezone.now(), entered_by=world.ben)
    shown = previewed(client, world)
    assert shown.context["known_count"] == 1 and shown.context["new_count"] == 3
    assert "Already in Rally: passed over." in page(shown)
    assert 'value="import_new"' in page(shown)

    refused = client.post(import_url(world.event), mapping_data(shown, step="import"))
    assert refused.status_code == 422
    assert refused.context["errors"][0][0] == 2
    assert refused.context["errors"][0][2].startswith("This gift is already in Rally")
    assert CardGift.objects.count() == 1

    client.post(import_url(world.event), mapping_data(shown, step="import_new"))

    assert CardGift.objects.count() == 4
    assert CardGift.objects.filter(reference="ch_3PaaA1").count() == 1


def test_import_with_the_wrong_column_is_refused_at_that_select(client, world, ann):
    mapped = upload(client, world.event, stripe_csv(world.day))

    response = client.post(import_url(world.event),
                           mapping_data(mapped, step="preview", amount="1"))

    assert response.status_code == 422
    assert response.context["form"].errors["amount"][0].startswith(
        "Column B: Description does not hold amounts of money")


def test_a_file_with_the_wrong_columns_is_refused_at_the_reference_select(client, world, ann):
    text = "When,How much,Who\n" f"{world.day:%Y-%m-%d},25.00,Ana\n"
    mapped = upload(client, world.event, text, processor="other")

    response = client.post(import_url(world.event),
                           mapping_data(mapped, step="preview", processor_name="Zeffy"))

    assert response.status_code == 422
    assert response.context["form"].errors["reference"][0].startswith(
        "Choose the column that holds the processor's reference")


def test_another_processors_columns_are_applied_keeping_the_days(client, world, ann):
    mapped = upload(client, world.event, paypal_csv(world.day), processor="stripe")
    assert mapped.context["form"]["code"].value() == 15  # "Note": Stripe's names are not there
    data = mapping_data(mapped, step="apply", processor="paypal", since="2026-01-02")

    applied = client.post(import_url(world.event), data)

    form = applied.context["form"]
    assert applied.status_code == 200 and applied.context["step"] == "map"
    assert (form["processor"].value(), form["amount"].value(), form["code"].value()) == (
        "paypal", 7, 14)
    assert form["since"].value() == "2026-01-02"
    shown = client.post(import_url(world.event), mapping_data(applied, step="preview"))
    assert shown.context["new_count"] == 2


def test_other_processor_asks_for_its_name(client, world, ann):
    mapped = upload(client, world.event, other_csv(world.day), processor="other")
    assert 'name="processor_name"' in page(mapped)

    nameless = client.post(import_url(world.event), mapping_data(mapped, step="preview"))
    assert nameless.status_code == 422
    assert nameless.context["form"].errors["processor_name"]

    shown = client.post(import_url(world.event),
                        mapping_data(mapped, step="preview", processor_name="Benevity"))
    client.post(import_url(world.event), mapping_data(shown, step="import"))

    assert CardGift.objects.get().processor == "Benevity"


def test_import_after_the_columns_changed_shows_the_preview_again(client, world, ann):
    shown = previewed(client, world)

    response = client.post(import_url(world.event),
                           mapping_data(shown, step="import", email=""))

    assert response.status_code == 200 and response.context["step"] == "preview"
    assert "The columns changed since the preview" in page(response)
    assert not CardGift.objects.exists()


def test_import_sent_twice_imports_once(client, world, ann):
    shown = previewed(client, world)
    data = mapping_data(shown, step="import")

    client.post(import_url(world.event), data)
    again = client.post(import_url(world.event), data, follow=True)

    assert CardGift.objects.count() == 4 and CardImport.objects.count() == 1
    assert "This file was already imported (the form was sent twice)" in page(again)


def test_import_with_a_tampered_file_is_refused(client, world, ann):
    mapped = upload(client, world.event, stripe_csv(world.day))
    data = mapping_data(mapped, step="preview")
    data["payload"] = data["payload"][:-3] + "abc"

    response = client.post(import_url(world.event), data)

    assert response.status_code == 422 and response.context["step"] == "upload"
    assert "This import has expired or its page was changed." in page(response)


def test_a_file_read_for_one_drive_or_treasurer_cannot_be_replayed(client, world, ann):
    mapped = upload(client, world.event, stripe_csv(world.day))
    data = mapping_data(mapped, step="preview")
    other = EventFactory()

    assert client.post(import_url(other), data).context["step"] == "upload"
    client.force_login(world.ben)
    assert client.post(import_url(world.event), data).context["step"] == "upload"


def test_an_unknown_step_asks_for_the_file_again(client, world, ann):
    response = client.post(import_url(world.event), {"step": "drop"})

    assert response.status_code == 400 and "Choose the file again." in page(response)


def test_upload_that_is_not_an_export_is_refused_at_the_file(client, world, ann):
    response = upload(client, world.event, "hello\n")

    assert response.status_code == 422
    assert response.context["upload"].errors["file"][0].startswith(
        "Rally found only one column")


def test_import_on_a_reconciled_drive_is_refused_at_the_top(client, world, ann):
    shown = previewed(client, world)
    DriveMoneyStep.objects.create(event=world.event, kind="reconciled", by=world.tess)

    response = client.post(import_url(world.event), mapping_data(shown, step="import"))

    assert response.status_code == 422
    assert "reconciled and locked" in page(response)
    assert not CardGift.objects.exists()


# --- The drive's gift list -----------------------------------------------------------------


def test_gift_list_shows_every_gift_its_attribution_and_the_totals(client, world, ann):
    gift(world, 2_500, team=world.team, code=TEAM_CODE, donor_name="Ana Donor", fee_cents=103)
    gift(world, 30_000, site=world.site, code=SITE_CODE)
    gift(world, 1_000, code="ZZZ-99")
    gift(world, 700)

    response = client.get(gifts_url(world))

    text = page(response)
    summary = response.context["summary"]
    assert (summary["gifts"], summary["gross_cents"], summary["fees_cents"]) == (4, 34_200, 103)
    assert (summary["unattributed"], summary["unattributed_cents"]) == (2, 1_700)
    assert "Team Peoples Church Youth" in text and "Ana Donor" in text
    assert f"Site {world.site.name}".replace("&", "&amp;") in text
    assert "code ZZZ-99 · unknown to Rally" in text and "no code" in text
    assert "$342.00" in text and "2 gifts, $17.00" in text


def test_gift_list_filtered_to_the_unattributed(client, world, ann):
    gift(world, 2_500, team=world.team, code=TEAM_CODE)
    stray = gift(world, 1_000, code="ZZZ-99")

    response = client.get(gifts_url(world, "?show=unattributed"))

    assert [g.pk for g in response.context["page"].object_list] == [stray.pk]
    assert 'aria-current="page">Not attributed' in page(response)


def test_gift_list_of_a_locked_drive_offers_no_import(client, world, ann):
    DriveMoneyStep.objects.create(event=world.event, kind="reconciled", by=world.tess)

    text = page(client.get(gifts_url(world)))

    assert "no more gifts can be imported" in text
    assert import_url(world.event) not in text


def test_gift_list_runs_the_same_queries_for_10_and_1000_gifts(client, world, ann):
    counted = {}
    for total in (10, 1_000):
        CardGift.objects.bulk_create([
            CardGift(event=world.event, processor="Stripe", reference=f"r{total}-{n}",
                     amount_cents=100 + n, given_at=timezone.now(), entered_by=world.ann,
                     team=world.team if n % 3 else None, site=world.site if n % 3 == 1 else None)
            for n in range(total - CardGift.objects.count())])
        CardImport.objects.create(event=world.event, processor="Stripe", file_name=f"{total}",
                                  imported_by=world.ann)
        for query in ("", "?show=unattributed", "?page=2"):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(gifts_url(world, query)).status_code == 200
            counted[total, query] = len(captured)
    for query in ("", "?show=unattributed", "?page=2"):
        assert counted[10, query] == counted[1_000, query], query


def test_card_pages_have_no_inline_script_or_style(client, world, ann):
    gift(world, 2_500, team=world.team)
    shown = previewed(client, world)

    for text in (page(client.get(gifts_url(world))), page(client.get(import_url(world.event))),
                 page(shown)):
        assert not re.search(r"<script(?![^>]*\bsrc=)", text)
        assert " style=" not in text


# --- Hostile input -------------------------------------------------------------------------


def test_hostile_input_to_every_import_step_is_refused_without_500_or_a_save(client, world,
                                                                             ann):
    import random

    from tests.test_hostile_forms import HOSTILE_VALUES

    chance = random.Random(12)
    mapped = upload(client, world.event, stripe_csv(world.day))
    base = mapping_data(mapped)
    names = [*base, "step"]
    tried = [("preview", name, value) for name in names
             for value in chance.sample(HOSTILE_VALUES, 3)]
    tried += [(step, chance.choice(names), chance.choice(HOSTILE_VALUES))
              for step in ("apply", "import", "import_new") for _n in range(8)]
    for step, name, value in tried:
        response = client.post(import_url(world.event), {**base, "step": step, name: value})
        assert response.status_code in (200, 400, 422), (step, name, value)
    for value in chance.sample(HOSTILE_VALUES, 10):
        response = client.post(import_url(world.event), {"step": "upload", "processor": value})
        assert response.status_code == 422
    assert not CardGift.objects.exists()
    for value in HOSTILE_VALUES:  # 400: the project refuses a NUL byte in any address
        response = client.get(gifts_url(world), {"show": value, "page": value})
        assert response.status_code in (200, 400), value


# --- Run sheets and badges -----------------------------------------------------------------


def test_run_sheet_prints_the_teams_giving_link_and_qr(client, world, settings):
    settings.DONATION_PAGE_URL = "https://coalition.example.org/give"
    client.force_login(world.organizer)

    text = page(client.get(reverse("organize_event_run_sheets", args=[world.event.pk])))

    assert "https://coalition.example.org/give?code=PCY-27" in text
    assert "Gifts made with the code <strong>PCY-27</strong> count toward this team." in text
    assert text.count('class="rs-give"') == 1 and text.count("<svg") == 1


def test_run_sheet_of_a_team_without_a_code_prints_no_giving_link(client, world):
    world.team.giving_code = None
    world.team.save()
    client.force_login(world.organizer)

    text = page(client.get(reverse("organize_event_run_sheets", args=[world.event.pk])))

    assert "rs-give" not in text and "<svg" not in text
    assert "Peoples Church Youth has no giving code: its run sheet prints no giving link." in text
    assert reverse("money_giving_code_team", args=[world.team.pk]) in text


def test_badges_print_the_giving_link_of_the_holders_team(client, world, settings):
    settings.DONATION_PAGE_URL = "https://coalition.example.org/give?src=badge"
    badge_issue_all(event=world.event, by=world.organizer)
    client.force_login(world.organizer)

    text = page(client.get(reverse("organize_event_badges_print", args=[world.event.pk])))

    assert "https://coalition.example.org/give?src=badge&amp;code=PCY-27" in text
    assert text.count('class="cb-give"') == 1
    assert text.count("<svg") == 2  # the badge's own QR and the giving QR
    assert "No cash? Give by card or phone:" in text


def test_a_badge_without_a_team_prints_its_sites_code(client, world):
    from tests.factories import SignupFactory

    loner = SignupFactory(shift=world.shift).volunteer
    world.team.giving_code = None
    world.team.save()
    badge_issue_all(event=world.event, by=world.organizer)
    client.force_login(world.organizer)

    text = page(client.get(reverse("organize_event_badges_print", args=[world.event.pk])))

    assert text.count(f"code={SITE_CODE}") == 2  # the collector's and the loner's
    assert loner.pk


def test_badges_print_page_query_count_does_not_grow_with_badges(client, world,
                                                                 django_assert_max_num_queries):
    from tests.factories import SignupFactory

    for _ in range(20):
        SignupFactory(shift=world.shift, volunteer=UserFactory(), team=world.team)
    badge_issue_all(event=world.event, by=world.organizer)
    client.force_login(world.organizer)

    with django_assert_max_num_queries(11):
        response = client.get(reverse("organize_event_badges_print", args=[world.event.pk]))

    assert page(response).count('class="cb-give"') == 21
