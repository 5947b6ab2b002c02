"""Street collection permits: which sites need one, shifts refused outside them, the collector
cap, the organizer pages, and who may download the private documents."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from events.models import Permit, PermitRequirement, Shift, ShiftRole, SiteKind
from events.permits import (
    MAX_UPLOAD_BYTES,
    coverage_by_shift,
    permit_cap_refusal,
    permit_create,
    shift_permit_refusal,
    site_needs_permit,
)
from tests.events.conftest import field_errors, local
from tests.factories import (
    EventFactory,
    PermitFactory,
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

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SATURDAY = datetime.date(2027, 3, 6)


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def drive():
    return EventFactory(title="Pledge 2 Stop Trafficking", starts_at=local(2027, 3, 6, 7),
                        ends_at=local(2027, 3, 6, 17))


@pytest.fixture
def median():
    """A Fresno median; Fresno requires a permit for medians."""
    PermitRequirement.objects.create(kind=SiteKind.MEDIAN, jurisdiction="Fresno")
    return SiteFactory(name="Blackstone & Shaw median", kind=SiteKind.MEDIAN,
                       jurisdiction="Fresno")


def permit(*sites, **fields):
    fields.setdefault("valid_from", SATURDAY)
    fields.setdefault("valid_until", SATURDAY)
    return PermitFactory(sites=list(sites), **fields)


def shift_at(site, event, start_hour=7, end_hour=9, **fields):
    return ShiftFactory(event=event, site=site, starts_at=local(2027, 3, 6, start_hour),
                        ends_at=local(2027, 3, 6, end_hour), **fields)


def shift_form(site, start="07:00", end="09:00", day="2027-03-06") -> dict:
    return {
        "role": ShiftRole.COLLECTOR, "site": site.pk if site else "", "title": "",
        "starts_at": f"{day}T{start}", "ends_at": f"{day}T{end}", "needed": 2, "capacity": 4,
        "min_age": "", "notes": "",
    }


def add_shift(client, drive, site, **times):
    return client.post(reverse("organize_event_shifts", args=[drive.pk]),
                       shift_form(site, **times))


# --- Which sites need a permit --------------------------------------------------------------


def test_site_needs_permit_jurisdiction_rule_ignores_case():
    PermitRequirement.objects.create(jurisdiction="  clovis ")
    site = SiteFactory(jurisdiction="CLOVIS", kind=SiteKind.SIDEWALK)
    elsewhere = SiteFactory(jurisdiction="Fresno")

    assert site_needs_permit(site) is True
    assert site_needs_permit(elsewhere) is False


def test_site_needs_permit_kind_rule_matches_only_that_kind():
    PermitRequirement.objects.create(kind=SiteKind.ROADWAY)
    roadway = SiteFactory(kind=SiteKind.ROADWAY, jurisdiction="Clovis")
    corner = SiteFactory(kind=SiteKind.SIDEWALK, jurisdiction="Clovis")

    assert site_needs_permit(roadway) is True
    assert site_needs_permit(corner) is False


def test_site_needs_permit_rule_with_both_needs_both():
    rules = [PermitRequirement.objects.create(kind=SiteKind.MEDIAN, jurisdiction="Fresno")]
    fresno_median = SiteFactory(kind=SiteKind.MEDIAN, jurisdiction="fresno")
    clovis_median = SiteFactory(kind=SiteKind.MEDIAN, jurisdiction="Clovis")
    fresno_corner = SiteFactory(kind=SiteKind.SIDEWALK, jurisdiction="Fresno")

    assert [site_needs_permit(s, rules) for s in (fresno_median, clovis_median, fresno_corner)
            ] == [True, False, False]


# --- Shifts refused outside permits, through the organizer's shift form -----------------------


def test_shift_add_at_site_needing_permit_without_one_is_refused(organizer_client, drive,
                                                                 median):
    response = add_shift(organizer_client, drive, median)

    assert response.status_code == 200
    assert field_errors(response, "site") == [
        "Blackstone & Shaw median needs a permit (Fresno, medians) and no permit covers this "
        "site."]
    assert not Shift.objects.exists()


def test_shift_add_inside_permit_dates_and_hours_is_saved(organizer_client, drive, median):
    permit(median, daily_start=datetime.time(7), daily_end=datetime.time(11))

    response = add_shift(organizer_client, drive, median, start="07:00", end="09:00")

    assert response.status_code == 302
    assert Shift.objects.get().site == median


def test_shift_add_outside_permit_hours_is_refused_naming_the_time(organizer_client, drive,
                                                                   median):
    permit(median, daily_start=datetime.time(9), daily_end=datetime.time(17), reference="FR-12")

    response = add_shift(organizer_client, drive, median, start="07:00", end="09:00")

    errors = field_errors(response, "site")
    assert errors[0].startswith(
        "Blackstone & Shaw median needs a permit (Fresno, medians) and none covers "
        "Saturday 6 March, 7:00\u20139:00 AM.")
    assert "FR-12" in errors[0]
    assert not Shift.objects.exists()


def test_shift_add_partly_outside_permit_hours_is_refused(organizer_client, drive, median):
    permit(median, daily_start=datetime.time(7), daily_end=datetime.time(10))

    response = add_shift(organizer_client, drive, median, start="09:00", end="11:00")

    assert response.status_code == 200
    assert not Shift.objects.exists()


def test_shift_add_with_all_day_permit_is_saved_at_any_hour(organizer_client, drive, median):
    permit(median)  # no daily hours: all day

    response = add_shift(organizer_client, drive, median, start="15:00", end="17:00")

    assert response.status_code == 302


def test_shift_add_after_permit_expired_is_refused(organizer_client, drive, median):
    permit(median, valid_from=SATURDAY - datetime.timedelta(days=30),
           valid_until=SATURDAY - datetime.timedelta(days=1))

    response = add_shift(organizer_client, drive, median)

    assert "none covers Saturday 6 March" in field_errors(response, "site")[0]
    assert not Shift.objects.exists()


def test_shift_add_with_permit_for_another_site_is_refused(organizer_client, drive, median):
    permit(SiteFactory(name="Shaw & Cedar median", kind=SiteKind.MEDIAN))

    response = add_shift(organizer_client, drive, median)

    assert "no permit covers this site" in field_errors(response, "site")[0]
    assert not Shift.objects.exists()


def test_shift_add_at_site_needing_no_permit_is_saved(organizer_client, drive, median):
    corner = SiteFactory(kind=SiteKind.SIDEWALK, jurisdiction="Fresno")

    response = add_shift(organizer_client, drive, corner)

    assert response.status_code == 302


def test_shift_edit_moving_outside_permit_hours_is_refused(organizer_client, drive, median):
    permit(median, daily_start=datetime.time(7), daily_end=datetime.time(11))
    shift = shift_at(median, drive, 7, 9)

    response = organizer_client.post(reverse("organize_shift_edit", args=[shift.pk]),
                                     shift_form(median, start="13:00", end="15:00"))

    assert response.status_code == 200
    assert "none covers" in field_errors(response, "site")[0]
    shift.refresh_from_db()
    assert shift.starts_at == local(2027, 3, 6, 7)


def test_shift_edit_moving_to_a_site_needing_permit_is_refused(organizer_client, drive,
                                                                median):
    shift = shift_at(SiteFactory(), drive, 7, 9)

    response = organizer_client.post(reverse("organize_shift_edit", args=[shift.pk]),
                                     shift_form(median))

    assert response.status_code == 200
    shift.refresh_from_db()
    assert shift.site != median


# --- Coverage for the board (bulk) ---------------------------------------------------------


def test_coverage_by_shift_reports_each_shift(drive, median):
    covering = permit(median, daily_start=datetime.time(7), daily_end=datetime.time(11))
    corner = SiteFactory()
    inside = shift_at(median, drive, 7, 9)
    outside = shift_at(median, drive, 13, 15)
    free = shift_at(corner, drive, 7, 9)
    venue = ShiftFactory(event=drive)

    coverage = coverage_by_shift([inside, outside, free, venue])

    assert coverage[inside.pk].needs_permit is True
    assert [p.id for p in coverage[inside.pk].permits] == [covering.pk]
    assert coverage[inside.pk].covered is True
    assert coverage[outside.pk].covered is False
    assert "none covers Saturday 6 March, 1:00\u20133:00 PM" in coverage[outside.pk].reason
    assert (coverage[free.pk].needs_permit, coverage[free.pk].covered) == (False, True)
    assert (coverage[venue.pk].needs_permit, coverage[venue.pk].permits) == (False, ())


def test_coverage_by_shift_queries_do_not_grow_with_shifts(drive, median,
                                                           django_assert_max_num_queries):
    for number in range(30):
        site = SiteFactory(kind=SiteKind.MEDIAN, jurisdiction="Fresno")
        permit(site, reference=f"P-{number}")
        for hour in (7, 9, 11):
            shift_at(site, drive, hour, hour + 2)
    shifts = list(Shift.objects.all())

    with django_assert_max_num_queries(3):
        coverage = coverage_by_shift(shifts)

    assert len(coverage) == 90
    assert all(info.covered for info in coverage.values())


def test_shift_permit_refusal_none_when_covered(drive, median):
    permit(median)

    assert shift_permit_refusal(Shift(event=drive, site=median, starts_at=local(2027, 3, 6, 7),
                                      ends_at=local(2027, 3, 6, 9))) is None


# --- The collector cap ---------------------------------------------------------------------


@pytest.fixture
def capped(drive, median):
    """A permit for two medians, 3 collectors at once."""
    other = SiteFactory(name="Shaw & Cedar median", kind=SiteKind.MEDIAN)
    return permit(median, other, max_collectors=3), median, other


def confirm(shift, count):
    for _ in range(count):
        SignupFactory(shift=shift, status=Signup.Status.CONFIRMED)


def test_permit_cap_under_the_cap_allows_a_signup(drive, capped):
    _, median, other = capped
    shift = shift_at(median, drive, 7, 9)
    confirm(shift, 1)
    confirm(shift_at(other, drive, 7, 9), 1)

    assert permit_cap_refusal(shift) is None


def test_permit_cap_at_the_cap_refuses_counting_its_other_sites(drive, capped):
    covering, median, other = capped
    shift = shift_at(median, drive, 7, 9)
    confirm(shift, 1)
    confirm(shift_at(other, drive, 8, 10), 2)

    assert permit_cap_refusal(shift) == (
        f"{covering} allows at most 3 collectors at once at its sites, and 3 are already "
        "signed up at that time.")


def test_permit_cap_over_the_cap_refuses(drive, capped):
    _, median, _other = capped
    shift = shift_at(median, drive, 7, 9, capacity=6)
    confirm(shift, 4)

    assert permit_cap_refusal(shift) is not None


def test_permit_cap_ignores_non_overlapping_waitlisted_and_cancelled(drive, capped):
    _, median, other = capped
    shift = shift_at(median, drive, 9, 11)
    confirm(shift_at(other, drive, 7, 9), 3)  # ends as this one starts
    confirm(shift_at(other, drive, 11, 13), 3)
    SignupFactory(shift=shift, status=Signup.Status.WAITLISTED, confirmed_at=None)
    confirm(shift_at(other, drive, 9, 11, is_cancelled=True), 3)

    assert permit_cap_refusal(shift) is None


def test_permit_cap_none_without_a_cap(drive, median):
    permit(median)
    shift = shift_at(median, drive)
    confirm(shift, 3)

    assert permit_cap_refusal(shift) is None


# --- Permit pages ------------------------------------------------------------------------------


def permit_data(sites=(), **overrides) -> dict:
    data = {
        "authority": "City of Fresno", "reference": "SP-2027-014",
        "valid_from": "2027-03-01", "valid_until": "2027-03-31",
        "daily_start": "07:00", "daily_end": "17:00", "sites": [s.pk for s in sites],
        "max_collectors": "6", "conditions": "Safety vests; no collecting on the roadway.",
        "return_due": "2027-04-15",
    }
    data.update(overrides)
    return data


def test_permit_create_saves_it_with_files(organizer_client, median, private_media):
    data = permit_data([median], document=SimpleUploadedFile("permit.pdf", PDF),
                       insurance_certificate=SimpleUploadedFile("cert.png", PNG))

    response = organizer_client.post(reverse("organize_permit_create"), data)

    assert response.status_code == 302
    saved = Permit.objects.get()
    assert (saved.reference, saved.max_collectors, list(saved.sites.all())) == (
        "SP-2027-014", 6, [median])
    assert saved.document.name.endswith(".pdf")
    assert (private_media / saved.document.name).read_bytes() == PDF
    assert (private_media / saved.insurance_certificate.name).exists()


def test_permit_create_ending_before_it_starts_is_refused(organizer_client, median):
    response = organizer_client.post(reverse("organize_permit_create"), permit_data(
        [median], valid_from="2027-03-31", valid_until="2027-03-01"))

    assert response.status_code == 400
    assert field_errors(response, "valid_until") == [
        "The permit ends before it starts: its last day must be on or after its first."]
    assert not Permit.objects.exists()


def test_permit_create_daily_hours_backwards_is_refused(organizer_client):
    response = organizer_client.post(reverse("organize_permit_create"), permit_data(
        daily_start="17:00", daily_end="07:00"))

    assert field_errors(response, "daily_end") == ["The daily hours end before they start."]
    assert not Permit.objects.exists()


def test_permit_create_upload_not_pdf_or_image_is_refused(organizer_client, private_media):
    fake = SimpleUploadedFile("permit.pdf", b"MZ\x90\x00 this is a program", "application/pdf")

    response = organizer_client.post(reverse("organize_permit_create"),
                                     permit_data(document=fake))

    assert response.status_code == 400
    assert field_errors(response, "document") == ["Upload a PDF, PNG or JPEG file."]
    assert not Permit.objects.exists()
    assert not private_media.exists() or not any(private_media.rglob("*.*"))


def test_permit_create_upload_too_large_is_refused(organizer_client, private_media):
    big = SimpleUploadedFile("scan.pdf", PDF + b"0" * MAX_UPLOAD_BYTES)

    response = organizer_client.post(reverse("organize_permit_create"),
                                     permit_data(insurance_certificate=big))

    assert response.status_code == 400
    assert field_errors(response, "insurance_certificate")[0].endswith("upload at most 10 MB.")
    assert not Permit.objects.exists()
    assert not private_media.exists() or not any(private_media.rglob("*.*"))


def test_permit_edit_replaces_document_and_keeps_the_rest(
        organizer_client, median, private_media, django_capture_on_commit_callbacks):
    saved = permit_create(by=None, authority="City of Fresno", reference="SP-1",
                          valid_from=SATURDAY, valid_until=SATURDAY, sites=[median],
                          document=SimpleUploadedFile("old.pdf", PDF))
    old_name = saved.document.name

    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(
            reverse("organize_permit_edit", args=[saved.pk]),
            permit_data([median], reference="SP-1b",
                        document=SimpleUploadedFile("new.png", PNG)))

    assert response.status_code == 302
    saved.refresh_from_db()
    assert saved.reference == "SP-1b"
    assert saved.document.name.endswith(".png")
    assert not (private_media / old_name).exists()


def test_permit_edit_without_new_upload_keeps_files(organizer_client, median):
    saved = permit_create(by=None, authority="City of Fresno", reference="SP-1",
                          valid_from=SATURDAY, valid_until=SATURDAY, sites=[median],
                          document=SimpleUploadedFile("permit.pdf", PDF))
    name = saved.document.name

    organizer_client.post(reverse("organize_permit_edit", args=[saved.pk]),
                          permit_data([median]))

    saved.refresh_from_db()
    assert saved.document.name == name


def test_permit_list_shows_what_each_covers_and_gaps(organizer_client, drive, median):
    permit(median, reference="FR-12", daily_start=datetime.time(7),
           daily_end=datetime.time(11), max_collectors=4, return_due=datetime.date(2027, 4, 1))
    gap = shift_at(median, drive, 7, 9)
    Shift.objects.filter(pk=gap.pk).update(starts_at=local(2027, 3, 6, 13),
                                           ends_at=local(2027, 3, 6, 15))

    page = organizer_client.get(reverse("organize_permit_list")).content.decode()

    assert "FR-12" in page
    assert "Blackstone &amp; Shaw median" in page
    assert "7:00\u201311:00 AM" in page
    assert "Thursday, April 1, 2027" in page
    assert "none covers Saturday 6 March, 1:00\u20133:00 PM" in page
    assert reverse("organize_permit_list") in page  # the nav link


def test_permit_list_queries_do_not_grow(organizer_client, drive,
                                         django_assert_max_num_queries):
    PermitRequirement.objects.create(kind=SiteKind.MEDIAN)
    for number in range(20):
        sites = [SiteFactory(kind=SiteKind.MEDIAN) for _ in range(3)]
        permit(*sites, reference=f"P-{number}")
        for site in sites:
            shift_at(site, drive, 7, 9)
            shift_at(site, drive, 13, 15)

    with django_assert_max_num_queries(10):
        response = organizer_client.get(reverse("organize_permit_list"))

    assert response.status_code == 200
    assert response.content.decode().count("P-1") >= 11


def test_permit_requirement_add_and_remove(organizer_client):
    url = reverse("organize_permit_requirement_add")

    added = organizer_client.post(url, {"kind": SiteKind.ROADWAY, "jurisdiction": "Clovis"})
    again = organizer_client.post(url, {"kind": SiteKind.ROADWAY, "jurisdiction": "clovis"})
    empty = organizer_client.post(url, {"kind": "", "jurisdiction": " "})

    assert added.status_code == 302
    assert again.status_code == 400
    assert "This rule is already in the list." in again.content.decode()
    assert empty.status_code == 400
    rule = PermitRequirement.objects.get()
    assert "Clovis, roadways" in organizer_client.get(reverse("organize_permit_list")
                                                      ).content.decode()

    removed = organizer_client.post(reverse("organize_permit_requirement_delete",
                                            args=[rule.pk]))

    assert removed.status_code == 302
    assert not PermitRequirement.objects.exists()


# --- Who may see permits and download their documents ------------------------------------


def person(role: str):
    if role == "captain":
        user = captain()
        TeamMembershipFactory(team=TeamFactory(), user=user, is_captain=True)
        return user
    return {"volunteer": UserFactory, "organizer": organizer, "treasurer": treasurer}[role]()


@pytest.fixture
def permit_with_files(median):
    return permit_create(by=None, authority="City of Fresno", reference="SP-9",
                         valid_from=SATURDAY, valid_until=SATURDAY, sites=[median],
                         document=SimpleUploadedFile("permit.pdf", PDF),
                         insurance_certificate=SimpleUploadedFile("insurance.png", PNG))


@pytest.mark.parametrize("name", ["organize_permit_document", "organize_permit_insurance"])
def test_permit_document_download_organizer_gets_private_attachment(client, permit_with_files,
                                                                    name):
    client.force_login(organizer())

    response = client.get(reverse(name, args=[permit_with_files.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    cache = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache
    body = b"".join(response.streaming_content)
    assert body == (PDF if name.endswith("document") else PNG)
    assert response["Content-Type"] == ("application/pdf" if name.endswith("document")
                                        else "image/png")


@pytest.mark.parametrize("role", ["volunteer", "captain", "treasurer"])
@pytest.mark.parametrize("name", ["organize_permit_document", "organize_permit_insurance"])
def test_permit_document_download_refused_to_other_roles(client, permit_with_files, role, name):
    client.force_login(person(role))

    response = client.get(reverse(name, args=[permit_with_files.pk]))

    assert response.status_code == 403
    assert not getattr(response, "streaming", False)


def test_permit_document_download_anonymous_goes_to_login(client, permit_with_files):
    response = client.get(reverse("organize_permit_document", args=[permit_with_files.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_permit_document_has_no_public_url(permit_with_files, settings):
    with pytest.raises(ValueError):
        assert permit_with_files.document.url is None
    assert not str(settings.PRIVATE_MEDIA_ROOT).startswith(str(settings.STATIC_ROOT))


def test_permit_document_download_without_file_redirects_to_edit(organizer_client, median):
    saved = permit(median)

    response = organizer_client.get(reverse("organize_permit_document", args=[saved.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("organize_permit_edit", args=[saved.pk])


@pytest.mark.parametrize("role", ["anonymous", "volunteer", "captain", "organizer",
                                  "treasurer"])
def test_permit_pages_permissions_by_role(client, role, median):
    saved = permit(median)
    rule = PermitRequirement.objects.get()
    if role != "anonymous":
        client.force_login(person(role))
    pages = [reverse("organize_permit_list"), reverse("organize_permit_create"),
             reverse("organize_permit_edit", args=[saved.pk])]
    posts = [reverse("organize_permit_requirement_add"),
             reverse("organize_permit_requirement_delete", args=[rule.pk])]

    statuses = [client.get(url).status_code for url in pages]
    post_statuses = [client.post(url).status_code for url in posts]

    expected = {"anonymous": 302, "organizer": 200}.get(role, 403)
    assert statuses == [expected] * 3
    if role == "organizer":
        assert post_statuses == [400, 302]
    else:
        assert post_statuses == [expected] * 2
    assert PermitRequirement.objects.exists() == (role != "organizer")
    assert ("Permits</a>" in client.get(reverse("home")).content.decode()) == (
        role == "organizer")
