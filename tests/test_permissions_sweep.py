"""Every organizer page, found by walking the URL configuration, refuses anonymous visitors
(sent to log in) and plain volunteers (403, or 404 where the object is hidden) — so a page
added later without a permission check fails here."""


import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from events.models import Event, EventSeries, Shift
from tests.factories import UserFactory, organizer
from volunteers.models import Message, Signup, Team

pytestmark = pytest.mark.django_db


def named_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace:  # admin: guarded by Django itself
                continue
            yield from named_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + str(entry.pattern), entry


def kwargs_for(name: str, params: list[str]) -> dict:
    drive = Event.objects.get(title__startswith="Pledge 2 Stop Trafficking", series__isnull=True,
                              starts_at__year__gte=2026, duplicated_from__isnull=False)
    shift = Shift.objects.filter(event=drive).first()
    signup = Signup.objects.filter(shift__event=drive).first()
    team = Team.objects.first()
    objects = {
        "event_pk": drive.pk, "shift_pk": shift.pk, "user_pk": team.members.first().pk,
    }
    if name.startswith(("organize_event", "event_")):
        objects["pk"] = drive.pk
    elif name.startswith(("organize_shift", "shift_")):
        objects["pk"] = shift.pk
    elif name.startswith("signup"):
        objects["pk"] = signup.pk
    elif name.startswith(("site_board", "drive_")):
        from tests.factories import ShiftFactory, SiteFactory

        objects["pk"] = drive.pk
        at_site = (drive.shifts.filter(site__isnull=False).first()
                   or ShiftFactory(event=drive, site=SiteFactory()))
        objects["shift_pk"] = at_site.pk
    elif name.startswith("organize_bucket"):
        from donations.models import Bucket
        from tests.factories import BucketFactory

        objects["pk"] = (Bucket.objects.first() or BucketFactory()).pk
    elif name.startswith("organize_badge"):
        from donations.badges import badge_issue_all
        from donations.models import Badge

        badge_issue_all(event=drive, by=organizer())
        badge = (Badge.objects.filter(event=drive).first()
                 or Badge.objects.create(event=drive, volunteer=UserFactory(), number=1))
        objects["pk"] = badge.pk
    elif name.startswith("organize_series"):
        objects["pk"] = EventSeries.objects.first().pk
    elif name.startswith("message"):
        objects["pk"] = Message.objects.first().pk
    elif name.startswith("team"):
        objects["pk"] = team.pk
    elif name.startswith("organize_site_"):
        from events.models import Site
        from tests.factories import SiteFactory

        objects["pk"] = (Site.objects.first() or SiteFactory()).pk
    elif name.startswith("organize_permit_requirement"):
        from events.models import PermitRequirement

        objects["pk"] = PermitRequirement.objects.get_or_create(jurisdiction="Clovis")[0].pk
    elif name.startswith("organize_permit_") or name == "permit_return":
        from events.models import Permit
        from tests.factories import PermitFactory

        objects["pk"] = (Permit.objects.first() or PermitFactory()).pk
    return {param: objects[param] for param in params}


def organizer_urls() -> list[tuple[str, str]]:
    urls = []
    for route, pattern in named_patterns():
        if not route.startswith("organize/"):
            continue
        params = list(pattern.pattern.converters)
        urls.append((pattern.name, reverse(pattern.name, kwargs=kwargs_for(pattern.name, params))))
    return urls



@pytest.fixture(autouse=True)
def viewer_kept(settings):
    """Each person as volunteers.viewer_cache keeps them after their first request: what
    this sweep proves holds for the kept person too."""
    settings.VIEWER_CACHE = True

@pytest.fixture
def demo(seeded_demo, db):
    """The demo coalition, seeded once for this module (tests/conftest.py)."""


def test_every_organizer_page_refuses_anonymous_and_volunteers(client, demo):
    urls = organizer_urls()
    assert len(urls) >= 20
    volunteer = UserFactory()
    boss = organizer()

    for name, url in urls:
        client.logout()
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, (name, url)
            assert response["Location"].startswith("/accounts/login/"), (name, url)

        client.force_login(volunteer)
        # A POST-only page may answer a GET with 405 before looking at who asks.
        assert client.get(url).status_code in (403, 404, 405), (name, url)
        assert client.post(url).status_code in (403, 404), (name, url)

        client.force_login(boss)
        assert client.get(url).status_code in (200, 302, 405), (name, url)


# --- The treasurers' books (issue 11) -------------------------------------------------------


def money_urls() -> list[tuple[str, str]]:
    """Every /money/ page, with October's demo drive and its money records."""
    from donations.acknowledgments import gifts_to_acknowledge
    from donations.models import CountSession, CountSheet, Deposit, JournalExport, OddItem
    from events.models import Site

    session = CountSession.objects.select_related("event").first()
    gift = next(g for g in gifts_to_acknowledge(event=session.event) if g.kind == "check")
    objects = {
        "money_session": session.pk, "money_sheet": CountSheet.objects.first().pk,
        "money_count": CountSheet.objects.first().pk,
        "money_switch_counter": CountSheet.objects.first().pk,
        "money_proceeds": OddItem.objects.first().pk, "money_deposit": Deposit.objects.first().pk,
        "money_journal_export": JournalExport.objects.first().pk,
        "money_giving_code_team": Team.objects.exclude(giving_code=None).first().pk,
        "money_giving_code_site": Site.objects.exclude(giving_code=None).first().pk,
        "money_acknowledgment": gift.pk, "money_acknowledgment_letter": gift.pk,
    }
    urls = []
    for route, pattern in named_patterns():
        if not route.startswith("money/"):
            continue
        params = list(pattern.pattern.converters)
        kwargs = {"pk": objects.get(pattern.name, session.event_id)} if "pk" in params else {}
        if "kind" in params:
            kwargs["kind"] = gift.kind
        urls.append((pattern.name, reverse(pattern.name, kwargs=kwargs)))
    return urls


# Money pages organizers use too (giving codes go on their run sheets and badges).
ORGANIZERS_TOO = {"money_giving_codes", "money_giving_code_team", "money_giving_code_site"}


def test_every_money_page_is_for_treasurers_only(client, demo):
    from tests.factories import captain, treasurer

    urls = money_urls()
    assert len(urls) >= 25
    outsiders = [UserFactory(), organizer(), captain()]  # [1]: the organizer
    cashier = treasurer()

    for name, url in urls:
        client.logout()
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, (name, url)
            assert response["Location"].startswith("/accounts/login/"), (name, url)
        for person in outsiders:
            if name in ORGANIZERS_TOO and person == outsiders[1]:
                continue
            client.force_login(person)
            assert client.get(url).status_code in (403, 404, 405), (name, url, person)
            assert client.post(url).status_code in (403, 404), (name, url, person)

        client.force_login(cashier)
        if name == "money_reopen":  # superusers only, with a reason
            assert client.get(url).status_code == 403
        else:
            assert client.get(url).status_code in (200, 302, 405), (name, url)
