"""Collection sites through the organizer pages: the form, CSV import and export, retiring,
who may open what, and the list's query count."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from events.models import Event, Site, SiteKind
from events.sites import CSV_COLUMNS, MAX_CSV_BYTES, RowError, active_sites
from tests.events.conftest import ROLES, field_errors
from tests.factories import (
    EventFactory,
    ShiftFactory,
    SignupFactory,
    SiteFactory,
    UserFactory,
    in_days,
    organizer,
)
from tests.test_hostile_forms import hostile
from volunteers.messaging.kinds import Kind
from volunteers.models import Message, Signup

pytestmark = pytest.mark.django_db

HEADER = "name,address,lat,lon,type,jurisdiction,min,max,notes\r\n"
GOOD_ROWS = (
    "Blackstone & Shaw NE,N Blackstone Ave & E Shaw Ave,36.8078,-119.7901,sidewalk,Fresno,2,4,"
    "Stay on the sidewalk\r\n"
    "Shaw & Clovis median,E Shaw Ave & N Clovis Ave,36.8081,-119.7003,median,Clovis,3,5,"
    "\"Vests on.\nNo stepping off the curb.\"\r\n"
)


def site_form(**overrides) -> dict:
    data = {
        "name": "Herndon & Blackstone, SW corner",
        "address": "W Herndon Ave & N Blackstone Ave, Fresno",
        "latitude": "36.8377",
        "longitude": "-119.7904",
        "kind": SiteKind.SIDEWALK,
        "jurisdiction": "Fresno",
        "host_contact": "",
        "min_people": "2",
        "max_people": "4",
        "min_age": "",
        "safety_notes": "",
        "safety_notes_es": "",
    }
    data.update(overrides)
    return data


def upload(text: str | bytes, name: str = "sites.csv") -> SimpleUploadedFile:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def post_csv(client, text: str | bytes):
    return client.post(reverse("organize_site_import"), {"file": upload(text)})


# --- The form --------------------------------------------------------------------------------


def test_site_form_good_input_saves_the_site(organizer_client):
    response = organizer_client.post(reverse("organize_site_create"), site_form())

    assert response.status_code == 302
    site = Site.objects.get()
    assert site.name == "Herndon & Blackstone, SW corner"
    assert (site.latitude, site.longitude) == (Decimal("36.837700"), Decimal("-119.790400"))
    assert site.is_active
    assert site.created_by == organizer_client.user
    assert site.min_age is None


def test_site_form_median_without_age_asks_adults(organizer_client):
    organizer_client.post(reverse("organize_site_create"),
                          site_form(kind=SiteKind.MEDIAN, min_age=""))

    assert Site.objects.get().min_age == 18


def test_site_form_long_coordinates_are_rounded_not_refused(organizer_client):
    response = organizer_client.post(reverse("organize_site_create"),
                                     site_form(latitude="36.83771234", longitude="-119.79041299"))

    assert response.status_code == 302
    site = Site.objects.get()
    assert (site.latitude, site.longitude) == (Decimal("36.837712"), Decimal("-119.790413"))


@pytest.mark.parametrize(("field", "value"), [
    ("latitude", "90.5"), ("latitude", "-91"), ("longitude", "180.01"), ("longitude", "-200"),
    ("latitude", "north"), ("longitude", "1e400"),
])
def test_site_form_coordinate_out_of_range_is_refused_at_the_field(organizer_client, field,
                                                                   value):
    response = organizer_client.post(reverse("organize_site_create"), site_form(**{field: value}))

    assert response.status_code == 422
    assert field_errors(response, field)
    assert not Site.objects.exists()


def test_site_form_minimum_above_maximum_is_refused_at_the_field(organizer_client):
    response = organizer_client.post(reverse("organize_site_create"),
                                     site_form(min_people="5", max_people="3"))

    assert response.status_code == 422
    assert field_errors(response, "min_people") == [
        "The minimum (5) is above the maximum (3) people."]
    assert not Site.objects.exists()


def test_site_form_same_name_in_other_case_is_refused(organizer_client):
    SiteFactory(name="Herndon & Blackstone, SW corner")

    response = organizer_client.post(reverse("organize_site_create"),
                                     site_form(name="herndon & blackstone, sw CORNER"))

    assert response.status_code == 422
    assert field_errors(response, "name") == [
        "A site called “herndon & blackstone, sw CORNER” exists already."]
    assert Site.objects.count() == 1


def test_site_form_spanish_notes_are_offered_and_saved(organizer_client):
    page = organizer_client.get(reverse("organize_site_create"))
    assert "En español" in page.content.decode()

    organizer_client.post(reverse("organize_site_create"), site_form(
        safety_notes="Stay on the curb.", safety_notes_es="Quédate en la banqueta."))

    site = Site.objects.get()
    assert site.safety_notes_es == "Quédate en la banqueta."


def test_site_edit_new_address_sends_updated_invites(organizer_client):
    site = SiteFactory()
    shift = ShiftFactory(site=site)
    signup = SignupFactory(shift=shift)
    data = site_form(name=site.name, address="Somewhere else, Fresno",
                     latitude=str(site.latitude), longitude=str(site.longitude))

    response = organizer_client.post(reverse("organize_site_edit", args=[site.pk]), data)

    assert response.status_code == 302
    site.refresh_from_db()
    assert site.address == "Somewhere else, Fresno"
    assert Message.objects.filter(kind=Kind.SHIFT_CHANGED, signup=signup).count() == 1


def test_site_edit_notes_only_sends_nothing(organizer_client):
    site = SiteFactory()
    SignupFactory(shift=ShiftFactory(site=site))
    data = site_form(name=site.name, address=site.address, latitude=str(site.latitude),
                     longitude=str(site.longitude), safety_notes="Bring water.")

    organizer_client.post(reverse("organize_site_edit", args=[site.pk]), data)

    assert not Message.objects.filter(kind=Kind.SHIFT_CHANGED).exists()


# --- CSV import --------------------------------------------------------------------------


def test_csv_import_good_file_creates_every_site(organizer_client):
    response = post_csv(organizer_client, "\ufeff" + HEADER + GOOD_ROWS)

    assert response.status_code == 302
    sites = {site.name: site for site in Site.objects.all()}
    assert set(sites) == {"Blackstone & Shaw NE", "Shaw & Clovis median"}
    median = sites["Shaw & Clovis median"]
    assert (median.kind, median.jurisdiction, median.min_people, median.max_people) == (
        SiteKind.MEDIAN, "Clovis", 3, 5)
    assert median.min_age == 18
    assert median.safety_notes == "Vests on.\nNo stepping off the curb."
    assert median.created_by == organizer_client.user


def test_csv_import_page_says_what_was_imported(organizer_client):
    response = organizer_client.post(reverse("organize_site_import"),
                                     {"file": upload(HEADER + GOOD_ROWS)}, follow=True)

    assert "Imported: 2 new sites, 0 updated, 0 unchanged." in response.content.decode()


def test_csv_import_columns_in_another_order_and_case_are_accepted(organizer_client):
    text = ("Type,Name,Address,Lat,Lon,Jurisdiction,Min,Max,Notes\n"
            "Private lot,Tower Records lot,Olive Ave,36.75,-119.79,Fresno,,,\n")

    response = post_csv(organizer_client, text)

    assert response.status_code == 302
    site = Site.objects.get()
    assert (site.kind, site.min_people, site.max_people) == (SiteKind.PRIVATE_LOT, 2, 4)


def test_csv_import_bad_header_saves_nothing_and_names_the_columns(organizer_client):
    text = "name,address,latitude,longitude,type,jurisdiction,min,max,notes\n" + GOOD_ROWS

    response = post_csv(organizer_client, text)

    assert response.status_code == 422
    assert response.context["report"].errors == [
        RowError(1, "header", "Missing columns: lat, lon."),
        RowError(1, "header", "Unknown columns: latitude, longitude. The columns are: name, "
                              "address, lat, lon, type, jurisdiction, min, max, notes."),
    ]
    assert "Nothing was imported" in response.content.decode()
    assert not Site.objects.exists()


def test_csv_import_one_bad_row_saves_nothing_and_names_the_row(organizer_client):
    text = HEADER + GOOD_ROWS + "Cedar & Herndon,Cedar Ave,96.1,-119.74,sidewalk,Fresno,2,4,\r\n"

    response = post_csv(organizer_client, text)

    assert response.status_code == 422
    errors = response.context["report"].errors
    assert [(error.row, error.column) for error in errors] == [(4, "lat")]
    body = response.content.decode()
    assert errors[0].message in body
    assert not Site.objects.exists()


def test_csv_import_reports_every_bad_row(organizer_client):
    text = HEADER + (
        "A,a st,36.1,-119.1,sidewalk,Fresno,5,3,\n"          # row 2: min above max
        "B,b st,36.1,-119.1,bridge,Fresno,2,4,\n"            # row 3: unknown type
        ",c st,36.1,-119.1,sidewalk,Fresno,2,4,\n"           # row 4: no name
        "D,d st,36.1,-119.1,sidewalk,Fresno,2,4\n"           # row 5: a value missing
        "a,e st,36.1,-119.1,sidewalk,Fresno,2,4,\n"          # row 6: same name as row 2
        "F,f st,36.1,east,sidewalk,Fresno,two,4,\n"          # row 7: two bad values
    )

    response = post_csv(organizer_client, text)

    found = [(error.row, error.column) for error in response.context["report"].errors]
    assert found == [(2, "min"), (3, "type"), (4, "name"), (5, "file"), (6, "name"),
                     (7, "lon"), (7, "min")]
    messages = [error.message for error in response.context["report"].errors]
    assert messages[1] == ("“bridge” is not a site type. Use one of: sidewalk, private_lot, "
                           "median, roadway.")
    assert messages[4] == "“a” is on row 2 already; a file names each site once."
    assert not Site.objects.exists()


def test_csv_import_existing_name_updates_that_site(organizer_client):
    existing = SiteFactory(name="Blackstone & Shaw NE", min_people=2, max_people=3,
                           host_contact="Mr. Patel, 559-555-0101")

    response = post_csv(organizer_client, HEADER + GOOD_ROWS.replace(
        "Blackstone & Shaw NE", "blackstone & shaw ne"))

    assert response.status_code == 302
    assert Site.objects.count() == 2
    existing.refresh_from_db()
    assert existing.name == "blackstone & shaw ne"
    assert existing.max_people == 4
    assert existing.host_contact == "Mr. Patel, 559-555-0101"  # not a CSV column: kept


@pytest.mark.parametrize(("data", "row", "message"), [
    (b"", None, "The file is empty."),
    (HEADER.encode() + "Caf\u00e9,x,1,1,sidewalk,Fresno,2,4,\n".encode("latin-1"), 2,
     "This line is not UTF-8 text. Save the file as “CSV UTF-8” and import it again."),
    (HEADER.encode() + b"A,x\x00,1,1,sidewalk,Fresno,2,4,\n", 2,
     "This line holds a NUL character; is it really a CSV file?"),
    (HEADER.encode(), None, "The file has a header but no sites."),
    (HEADER.encode() + b"a,b,1,1,sidewalk,x,2,4," + b"x" * MAX_CSV_BYTES, None,
     "The file is larger than 2 MB. Split it in parts."),
])
def test_csv_import_unreadable_file_is_refused(organizer_client, data, row, message):
    response = post_csv(organizer_client, data)

    assert response.status_code == 422
    if data:
        assert [(e.row, e.message) for e in response.context["report"].errors] == [
            (row, message)]
    assert not Site.objects.exists()


def test_csv_import_too_many_rows_is_refused(organizer_client):
    rows = "".join(f"S{n},x,36.1,-119.1,sidewalk,Fresno,2,4,\n" for n in range(5001))

    response = post_csv(organizer_client, HEADER + rows)

    assert response.status_code == 422
    assert response.context["report"].errors[-1].message == (
        "A file holds at most 5,000 sites. Split it in parts.")
    assert not Site.objects.exists()


# --- CSV export ---------------------------------------------------------------------------


def test_csv_export_has_the_import_columns(organizer_client):
    SiteFactory(name="Olive & Palm", latitude=Decimal("36.757"), longitude=Decimal("-119.8"),
                kind=SiteKind.ROADWAY, min_people=3, max_people=6,
                safety_notes="Two lines\nof notes")

    response = organizer_client.get(reverse("organize_site_export"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode("utf-8-sig")
    assert body == (HEADER + 'Olive & Palm,"N Blackstone Ave & E Shaw Ave, Fresno, CA",'
                    '36.757000,-119.800000,roadway,Fresno,3,6,"Two lines\nof notes"\r\n')


def test_csv_export_then_import_round_trip_gives_the_same_sites(organizer_client):
    SiteFactory(name="=HYPERLINK(\"http://evil\")", address="-1 Main St",
                safety_notes="@ night: vests\non")
    SiteFactory(name="Shaw & Clovis median", kind=SiteKind.MEDIAN, jurisdiction="Clovis",
                min_people=3, max_people=5, safety_notes="Café, señal, «quotes», \"more\"")
    SiteFactory(is_active=False, name="Old corner")
    columns = ["name", "address", "latitude", "longitude", "kind", "jurisdiction",
               "min_people", "max_people", "safety_notes"]
    before = sorted(Site.objects.values_list(*columns))
    exported = organizer_client.get(reverse("organize_site_export") + "?status=all").content
    assert b"'=HYPERLINK" in exported  # a spreadsheet does not run it

    unchanged = post_csv(organizer_client, exported)
    assert unchanged.status_code == 302
    assert sorted(Site.objects.values_list(*columns)) == before

    Site.objects.all().delete()
    created = post_csv(organizer_client, exported)

    assert created.status_code == 302
    assert sorted(Site.objects.values_list(*columns)) == before


def test_csv_export_follows_the_list_filter(organizer_client):
    SiteFactory(name="Active one")
    SiteFactory(name="Retired one", is_active=False)

    body = organizer_client.get(reverse("organize_site_export") + "?status=retired").content

    assert b"Retired one" in body
    assert b"Active one" not in body


# --- Retiring -----------------------------------------------------------------------------


@pytest.fixture
def site_with_people():
    site = SiteFactory(name="Cedar & Shaw")
    coming = ShiftFactory(site=site)
    confirmed = SignupFactory(shift=coming)
    waiting = SignupFactory(shift=coming, status=Signup.Status.WAITLISTED, confirmed_at=None)
    gone = SignupFactory(shift=coming, status=Signup.Status.CANCELLED, confirmed_at=None)
    past_event = EventFactory(starts_at=in_days(-10, 7))
    past = SignupFactory(shift=ShiftFactory(event=past_event, site=site))
    return site, coming, {"confirmed": confirmed, "waiting": waiting, "gone": gone,
                          "past": past}


def test_site_retire_asks_first_and_counts_the_people(organizer_client, site_with_people):
    site, _shift, _signups = site_with_people

    response = organizer_client.get(reverse("organize_site_retire", args=[site.pk]))

    assert response.status_code == 200
    assert "2 people are signed up on its coming shifts" in response.content.decode()
    site.refresh_from_db()
    assert site.is_active


def test_site_retire_keeps_history_and_tells_the_people_signed_up(
    organizer_client, site_with_people, django_capture_on_commit_callbacks
):
    site, shift, signups = site_with_people

    with django_capture_on_commit_callbacks():
        response = organizer_client.post(reverse("organize_site_retire", args=[site.pk]))

    assert response.status_code == 302
    site.refresh_from_db()
    assert not site.is_active
    assert site.shifts.count() == 2  # history kept
    shift.refresh_from_db()
    assert shift.site_id == site.pk and not shift.is_cancelled
    told = set(Message.objects.filter(kind=Kind.SITE_RETIRED).values_list("signup_id", flat=True))
    assert told == {signups["confirmed"].pk, signups["waiting"].pk}
    assert site not in active_sites()


def test_site_retire_twice_tells_people_once(organizer_client, site_with_people):
    site, _shift, _signups = site_with_people

    organizer_client.post(reverse("organize_site_retire", args=[site.pk]))
    organizer_client.post(reverse("organize_site_retire", args=[site.pk]))

    assert Message.objects.filter(kind=Kind.SITE_RETIRED).count() == 2


def test_site_retire_cancelled_event_tells_nobody(organizer_client, site_with_people):
    site, shift, _signups = site_with_people
    Event.objects.filter(pk=shift.event_id).update(status=Event.Status.CANCELLED)

    organizer_client.post(reverse("organize_site_retire", args=[site.pk]))

    assert not Message.objects.filter(kind=Kind.SITE_RETIRED).exists()


def test_retired_site_is_listed_under_retired_and_can_be_used_again(organizer_client):
    site = SiteFactory(name="Old corner", is_active=False)
    SiteFactory(name="New corner")

    active = organizer_client.get(reverse("organize_site_list")).content.decode()
    retired = organizer_client.get(reverse("organize_site_list") + "?status=retired")

    assert "Old corner" not in active and "New corner" in active
    assert "Old corner" in retired.content.decode()
    assert "New corner" not in retired.content.decode()
    organizer_client.post(reverse("organize_site_restore", args=[site.pk]))
    site.refresh_from_db()
    assert site.is_active and site in active_sites()


def test_site_list_search_finds_by_name_address_or_city(organizer_client):
    SiteFactory(name="Olive & Palm", jurisdiction="Fresno")
    SiteFactory(name="Herndon & Clovis", jurisdiction="Clovis")

    body = organizer_client.get(reverse("organize_site_list") + "?q=clovis").content.decode()

    assert "Herndon &amp; Clovis" in body
    assert "Olive &amp; Palm" not in body


# --- Permissions and queries --------------------------------------------------------------


def site_urls() -> list[tuple[str, str]]:
    site = SiteFactory()
    return [
        ("get", reverse("organize_site_list")),
        ("get", reverse("organize_site_create")),
        ("get", reverse("organize_site_edit", args=[site.pk])),
        ("get", reverse("organize_site_retire", args=[site.pk])),
        ("get", reverse("organize_site_import")),
        ("get", reverse("organize_site_export")),
        ("post", reverse("organize_site_restore", args=[site.pk])),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_site_pages_are_for_organizers_only(client, login_as, role):
    login_as(role)
    for method, url in site_urls():
        response = getattr(client, method)(url)
        if role == "anonymous":
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/"), url
        elif role == "organizer":
            assert response.status_code in (200, 302), url
        else:
            assert response.status_code == 403, (role, url)


@pytest.mark.parametrize("role", ["volunteer", "captain", "treasurer"])
def test_site_writes_by_non_organizers_change_nothing(client, login_as, role):
    login_as(role)
    site = SiteFactory(name="Keep me")

    responses = [
        client.post(reverse("organize_site_create"), site_form()),
        client.post(reverse("organize_site_edit", args=[site.pk]), site_form(name="Changed")),
        client.post(reverse("organize_site_retire", args=[site.pk])),
        client.post(reverse("organize_site_import"), {"file": upload(HEADER + GOOD_ROWS)}),
    ]

    assert [r.status_code for r in responses] == [403] * 4
    assert list(Site.objects.values_list("name", "is_active")) == [("Keep me", True)]


def test_nav_links_collection_sites_for_organizers_only(client, login_as):
    login_as("volunteer")
    assert "Collection sites" not in client.get(reverse("my_shifts")).content.decode()
    login_as("organizer")
    assert "Collection sites" in client.get(reverse("my_shifts")).content.decode()


def _many_sites(count: int) -> None:
    for n in range(count):
        site = SiteFactory(kind=[SiteKind.SIDEWALK, SiteKind.MEDIAN][n % 2],
                           is_active=n % 7 != 0)
        ShiftFactory(site=site, starts_at=in_days(3, 7) + datetime.timedelta(hours=n % 5))


def test_site_list_and_export_queries_do_not_grow_with_sites(
    organizer_client, django_assert_max_num_queries
):
    _many_sites(60)

    with django_assert_max_num_queries(8):
        list_page = organizer_client.get(reverse("organize_site_list") + "?status=all")
    with django_assert_max_num_queries(6):
        export = organizer_client.get(reverse("organize_site_export") + "?status=all")

    assert list_page.content.decode().count('href="/organize/sites/') >= 60
    assert export.content.decode("utf-8-sig").count("\r\n") == 61


def test_active_sites_leaves_out_retired_ones():
    keep = SiteFactory()
    SiteFactory(is_active=False)
    UserFactory()

    assert list(active_sites()) == [keep]


# --- Hostile input --------------------------------------------------------------------------

SITE_FORM_FIELDS = ["name", "address", "latitude", "longitude", "kind", "jurisdiction",
                    "host_contact", "min_people", "max_people", "min_age", "safety_notes"]


@settings(max_examples=40, deadline=None, derandomize=True, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(SITE_FORM_FIELDS), value=hostile)
def test_site_form_hostile_value_is_refused_or_saved_clean(client, field, value):
    Site.objects.all().delete()
    client.force_login(organizer())

    response = client.post(reverse("organize_site_create"), site_form(**{field: value}))

    assert response.status_code in (302, 422)
    if response.status_code == 422:
        assert not Site.objects.exists()
    else:
        site = Site.objects.get()
        assert -90 <= site.latitude <= 90 and -180 <= site.longitude <= 180
        assert site.min_people <= site.max_people
        assert "\x00" not in site.name + site.address + site.safety_notes


@settings(max_examples=40, deadline=None, derandomize=True, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(column=st.integers(min_value=0, max_value=8), value=hostile)
def test_csv_import_hostile_cell_is_reported_or_imported_clean(client, column, value):
    Site.objects.all().delete()
    client.force_login(organizer())
    cells = ["Cedar & Shaw", "Cedar Ave", "36.8", "-119.7", "sidewalk", "Fresno", "2", "4", ""]
    cells[column] = value
    out = io.StringIO()
    csv.writer(out).writerows([CSV_COLUMNS, cells])

    response = post_csv(client, out.getvalue().encode("utf-8", errors="surrogatepass"))

    assert response.status_code in (302, 422)
    if response.status_code == 422:
        assert not Site.objects.exists()
        if response.context["report"] is not None:
            assert response.context["report"].errors
