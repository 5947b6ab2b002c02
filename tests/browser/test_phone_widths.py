"""Every page people were seen to use on a phone fits a 390-pixel screen, in English and
Spanish, and shows the hotline on the first screen."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from events.models import Event, EventKind, Shift
from volunteers.models import Team, User

from .conftest import PHONE, browser_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pages_for(email: str) -> list[str]:
    drive = Event.objects.filter(kind=EventKind.FUNDRAISER, status="published").order_by(
        "starts_at").first()
    shift = Shift.objects.filter(event=drive).first()
    team = Team.objects.filter(memberships__user__email="captain@example.org").first()
    training = Event.objects.filter(kind=EventKind.TRAINING).order_by("starts_at").first()
    street = Event.objects.filter(shifts__site__isnull=False).distinct().first()
    volunteer_pages = [
        "/", reverse("event_list"), reverse("event_detail", args=[drive.pk]),
        reverse("my_shifts"), reverse("profile"), reverse("calendar_settings"),
        reverse("team_list"),
    ]
    if email == "captain@example.org":
        return [*volunteer_pages, reverse("team_detail", args=[team.pk]),
                reverse("shift_checkin", args=[shift.pk])]
    if email == "organizer@example.org":
        return [
            *volunteer_pages, reverse("team_detail", args=[team.pk]), reverse("role_list"),
            reverse("organize_event_list"), reverse("organize_event_edit", args=[drive.pk]),
            reverse("organize_event_shifts", args=[drive.pk]),
            reverse("event_board", args=[drive.pk]), reverse("shift_roster", args=[shift.pk]),
            reverse("shift_checkin", args=[shift.pk]), reverse("message_list"),
            reverse("organize_event_create"),
            # The training's RSVP list and the street drive's pages.
            reverse("organize_event_rsvps", args=[training.pk]),
            reverse("site_board", args=[street.pk]), reverse("drive_grid", args=[street.pk]),
            reverse("drive_map", args=[street.pk]), reverse("drive_day", args=[street.pk]),
            reverse("organize_event_buckets", args=[street.pk]),
            reverse("organize_event_incidents", args=[street.pk]),
            reverse("organize_event_badges", args=[street.pk]),
            reverse("organize_bucket_list"), reverse("organize_site_list"),
            reverse("organize_permit_list"),
        ]
    if email == "treasurer@example.org":  # the money pages (issues 11 and 12)
        from donations.models import CountSession, Deposit

        october = CountSession.objects.first().event
        return [
            reverse("money_home"), reverse("money_drive", args=[october.pk]),
            reverse("money_dashboard", args=[october.pk]),
            reverse("money_session", args=[CountSession.objects.first().pk]),
            reverse("money_deposit", args=[Deposit.objects.first().pk]),
            reverse("money_bank"), reverse("money_card_gifts", args=[october.pk]),
            reverse("money_acknowledgments"), reverse("money_journal"),
            reverse("money_audit"), reverse("money_giving_codes"),
            reverse("money_reconciliation_report", args=[october.pk]),
            reverse("fundraiser_raised", args=[october.pk]),
        ]
    return volunteer_pages



@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(
    "email", ["volunteer@example.org", "captain@example.org", "organizer@example.org",
              "treasurer@example.org"]
)
def test_every_page_fits_a_phone_and_shows_the_hotline_first(chromium, live_server, email,
                                                            language):
    call_command("seed_demo", verbosity=0)
    User.objects.filter(email=email).update(language=language)
    context, page = browser_as(chromium, live_server, User.objects.get(email=email),
                               language=language)
    too_wide, hotline_hidden = [], []
    try:
        for url in pages_for(email):
            response = page.goto(url)
            assert response.status == 200, url
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide.append((url, width))
            box = page.get_by_role("complementary", name="National Human Trafficking Hotline"
                                   if language == "en" else
                                   "Línea Nacional contra la Trata de Personas").bounding_box()
            if box is None or box["y"] + box["height"] > PHONE["height"]:
                hotline_hidden.append(url)
    finally:
        context.close()

    assert too_wide == []
    assert hotline_hidden == []
