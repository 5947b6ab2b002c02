"""The custody pages, through the views: every custody rule as an organizer at the staging
point (or a volunteer on the phone) meets it, who may open each page, and query counts."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from donations.custody import bucket_hand_over, bucket_issue, bucket_return
from donations.handoff import personal_code
from donations.models import Bucket, CustodyEvent, Incident
from events.models import Event
from tests.factories import (
    BucketFactory,
    EventFactory,
    RoleGrantFactory,
    ShiftFactory,
    SignupFactory,
    SiteFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
    organizer,
    treasurer,
)
from volunteers.models import Role

pytestmark = pytest.mark.django_db


class Drive:
    """A drive under way: site A has the 8-10 window (Alice, through the team) and the next
    one (Ben); site B has Cleo. Bucket 7 is in stock."""

    def __init__(self):
        now = timezone.now().replace(second=0, microsecond=0)
        self.event = EventFactory(title="Pledge Drive", starts_at=now - datetime.timedelta(hours=2),
                                  ends_at=now + datetime.timedelta(hours=8))
        self.site = SiteFactory(name="Shaw & Blackstone")
        self.other_site = SiteFactory(name="Fig Garden")
        self.team = TeamFactory(name="Peoples Church Youth")
        self.other_team = TeamFactory(name="Rotary Club")
        self.first = ShiftFactory(event=self.event, site=self.site, held_for=self.team,
                                  starts_at=now - datetime.timedelta(hours=1),
                                  ends_at=now + datetime.timedelta(hours=1))
        self.next = ShiftFactory(event=self.event, site=self.site,
                                 starts_at=now + datetime.timedelta(hours=1),
                                 ends_at=now + datetime.timedelta(hours=3))
        self.elsewhere = ShiftFactory(event=self.event, site=self.other_site,
                                      starts_at=now - datetime.timedelta(hours=1),
                                      ends_at=now + datetime.timedelta(hours=1))
        self.alice = UserFactory(display_name="Alice Nguyen", phone="(559) 555-0101")
        self.ben = UserFactory(display_name="Ben Ortiz")
        self.cleo = UserFactory(display_name="Cleo Park")
        self.captain = UserFactory(display_name="Cap Tain")
        RoleGrantFactory(user=self.captain, role=Role.CAPTAIN)
        TeamMembershipFactory(team=self.team, user=self.captain, is_captain=True)
        TeamMembershipFactory(team=self.team, user=self.alice)
        self.other_captain = UserFactory(display_name="Other Cap")
        RoleGrantFactory(user=self.other_captain, role=Role.CAPTAIN)
        TeamMembershipFactory(team=self.other_team, user=self.other_captain, is_captain=True)
        self.alice_signup = SignupFactory(shift=self.first, volunteer=self.alice, team=self.team)
        self.ben_signup = SignupFactory(shift=self.next, volunteer=self.ben)
        self.cleo_signup = SignupFactory(shift=self.elsewhere, volunteer=self.cleo)
        self.boss = organizer()
        self.treasurer = treasurer()
        self.bucket = BucketFactory(number=7)

    def code(self, person) -> str:
        return personal_code(person, self.event)

    def issue_to_alice(self, seal="S-100"):
        return bucket_issue(bucket=self.bucket, shift=self.first, to=self.alice,
                            seal_number=seal, by=self.boss, receiver_code=self.code(self.alice))


@pytest.fixture
def drive():
    return Drive()


def url(name, *args):
    return reverse(name, args=args)


def step_url(pk):
    return reverse("organize_bucket_detail", args=[pk])


def issue_form(drive, **changes):
    data = {"action": "issue", "issue-signup": drive.alice_signup.pk, "issue-seal_number": "S-100",
            "issue-receiver_code": drive.code(drive.alice),
            "issue-request_token": str(uuid.uuid4())}
    data.update(changes)
    return data


def latest(bucket) -> CustodyEvent:
    return CustodyEvent.objects.filter(bucket=bucket).order_by("-at", "-pk").first()


# --- Issue ---------------------------------------------------------------------------------


def test_issue_with_the_right_code_records_the_holder(client, drive):
    client.force_login(drive.boss)

    response = client.post(step_url(drive.bucket.pk), issue_form(drive),
                           follow=True)

    step = latest(drive.bucket)
    assert step.kind == "issued" and step.holder == drive.alice and step.seal_number == "S-100"
    assert step.team == drive.team and step.override_reason == ""
    assert "Bucket 7 is issued to Alice Nguyen." in response.content.decode()


def test_issue_page_offers_the_volunteers_on_street_shifts(client, drive):
    client.force_login(drive.boss)

    page = client.get(url("organize_bucket_detail", drive.bucket.pk)).content.decode()

    assert "Shaw &amp; Blackstone" in page and "Alice Nguyen" in page and "Cleo Park" in page
    assert 'name="issue-request_token"' in page
    assert "override_reason" not in page  # shown only after a wrong code


def test_issue_with_a_wrong_code_is_refused_at_the_field_and_offers_the_override(client,
                                                                                 drive):
    client.force_login(drive.boss)

    response = client.post(step_url(drive.bucket.pk),
                           issue_form(drive, **{"issue-receiver_code": "ZZZZZZ"}))

    assert response.status_code == 422
    page = response.content.decode()
    assert "That is not Alice Nguyen" in page
    assert 'name="issue-override_reason"' in page
    assert not CustodyEvent.objects.exists()


def test_issue_with_an_override_reason_is_recorded_with_the_reason(client, drive):
    client.force_login(drive.boss)

    response = client.post(step_url(drive.bucket.pk), issue_form(
        drive, **{"issue-receiver_code": "", "issue-override_reason": "Phone battery dead"}))

    assert response.status_code == 302
    assert latest(drive.bucket).override_reason == "Phone battery dead"
    page = client.get(url("organize_bucket_detail", drive.bucket.pk)).content.decode()
    assert "Code not checked, because: Phone battery dead" in page


def test_issue_without_a_seal_number_is_refused(client, drive):
    client.force_login(drive.boss)

    response = client.post(step_url(drive.bucket.pk),
                           issue_form(drive, **{"issue-seal_number": ""}))

    assert response.status_code == 422
    assert not CustodyEvent.objects.exists()


def test_issue_of_a_bucket_already_out_is_refused(client, drive):
    drive.issue_to_alice()
    client.force_login(drive.boss)

    response = client.post(step_url(drive.bucket.pk),
                           issue_form(drive, **{"issue-signup": drive.cleo_signup.pk,
                                                "issue-receiver_code": drive.code(drive.cleo)}))

    assert response.status_code == 422
    assert "already out with Alice Nguyen" in response.content.decode()
    assert CustodyEvent.objects.count() == 1


def test_issue_of_a_retired_bucket_is_refused(client, drive):
    Bucket.objects.filter(pk=drive.bucket.pk).update(is_active=False)
    client.force_login(drive.boss)

    response = client.post(step_url(drive.bucket.pk), issue_form(drive))

    assert response.status_code == 422
    assert not CustodyEvent.objects.exists()


def test_issue_reposted_with_the_same_token_is_recorded_once(client, drive):
    client.force_login(drive.boss)
    form = issue_form(drive)

    client.post(step_url(drive.bucket.pk), form)
    again = client.post(step_url(drive.bucket.pk), form, follow=True)

    assert CustodyEvent.objects.count() == 1
    assert "already recorded" in again.content.decode()


# --- Hand over -----------------------------------------------------------------------------


def test_organizer_hands_over_to_the_next_shifts_volunteer_by_code(client, drive):
    drive.issue_to_alice()
    client.force_login(drive.boss)

    response = client.post(step_url(drive.bucket.pk), {
        "action": "hand_over", "handover-signup": drive.ben_signup.pk,
        "handover-receiver_code": drive.code(drive.ben).lower(),
        "handover-request_token": str(uuid.uuid4())})

    assert response.status_code == 302
    step = latest(drive.bucket)
    assert (step.kind, step.from_holder, step.holder) == ("handed_over", drive.alice, drive.ben)


def test_organizer_hand_over_form_offers_only_people_at_the_same_site(client, drive):
    drive.issue_to_alice()
    client.force_login(drive.boss)

    page = client.get(url("organize_bucket_detail", drive.bucket.pk)).content.decode()
    hand_over = page.split('id="hand-over"')[1].split("</section>")[0]

    assert "Ben Ortiz" in hand_over
    assert "Cleo Park" not in hand_over and "Alice Nguyen" not in hand_over


def test_holder_hands_over_from_my_shifts_by_the_receivers_code(client, drive):
    drive.issue_to_alice()
    client.force_login(drive.alice)

    my_shifts = client.get(reverse("my_shifts")).content.decode()
    assert url("my_bucket", drive.bucket.pk) in my_shifts
    response = client.post(url("my_bucket", drive.bucket.pk), {
        "receiver_code": drive.code(drive.ben), "request_token": str(uuid.uuid4())},
        follow=True)

    step = latest(drive.bucket)
    assert (step.kind, step.from_holder, step.holder, step.by) == (
        "handed_over", drive.alice, drive.ben, drive.alice)
    assert "Bucket 7 is now with Ben Ortiz." in response.content.decode()
    assert url("my_bucket", drive.bucket.pk) not in response.content.decode()


def test_holder_handoff_with_a_wrong_code_is_refused(client, drive):
    drive.issue_to_alice()
    client.force_login(drive.alice)

    response = client.post(url("my_bucket", drive.bucket.pk), {
        "receiver_code": "ABCDEF", "request_token": str(uuid.uuid4())})

    assert response.status_code == 422
    assert "Nobody on a shift at Shaw &amp; Blackstone has that code" in (
        response.content.decode())
    assert latest(drive.bucket).holder == drive.alice


def test_holder_cannot_hand_over_to_someone_at_another_site(client, drive):
    drive.issue_to_alice()
    client.force_login(drive.alice)

    response = client.post(url("my_bucket", drive.bucket.pk), {
        "receiver_code": drive.code(drive.cleo), "request_token": str(uuid.uuid4())})

    assert response.status_code == 422
    assert latest(drive.bucket).kind == "issued"


def test_holder_handoff_reposted_is_recorded_once(client, drive):
    drive.issue_to_alice()
    client.force_login(drive.alice)
    form = {"receiver_code": drive.code(drive.ben), "request_token": str(uuid.uuid4())}

    client.post(url("my_bucket", drive.bucket.pk), form)
    again = client.post(url("my_bucket", drive.bucket.pk), form, follow=True)

    assert CustodyEvent.objects.filter(kind="handed_over").count() == 1
    assert "already recorded" in again.content.decode()


def test_holder_page_has_no_override(client, drive):
    drive.issue_to_alice()
    client.force_login(drive.alice)

    response = client.post(url("my_bucket", drive.bucket.pk), {
        "receiver_code": "ABCDEF", "override_reason": "trust me",
        "request_token": str(uuid.uuid4())})

    assert "override_reason" not in response.content.decode()
    assert latest(drive.bucket).kind == "issued"


# --- Return --------------------------------------------------------------------------------


def return_form(seal="S-100", intact="yes", **changes):
    data = {"action": "return", "return-seal_number": seal, "return-seal_intact": intact,
            "return-note": "", "return-request_token": str(uuid.uuid4())}
    data.update(changes)
    return data


def test_return_with_the_seal_intact_is_not_flagged(client, drive):
    drive.issue_to_alice()
    client.force_login(drive.boss)

    response = client.post(step_url(drive.bucket.pk), return_form(),
                           follow=True)

    step = latest(drive.bucket)
    assert step.kind == "returned" and not step.flagged
    assert "seal intact" in response.content.decode()


def test_return_with_a_different_seal_is_flagged_on_the_custody_list(client, drive):
    drive.issue_to_alice()
    client.force_login(drive.boss)

    client.post(step_url(drive.bucket.pk), return_form(seal="S-999"))

    assert latest(drive.bucket).flagged
    page = client.get(url("organize_event_buckets", drive.event.pk)).content.decode()
    assert "1 flagged return" in page and "not the one issued" in page
    assert 'class="state-in_stock flagged"' in page


def test_return_with_a_broken_seal_stays_flagged_after_the_bucket_goes_out_again(client,
                                                                                   drive):
    drive.issue_to_alice()
    client.force_login(drive.boss)
    client.post(step_url(drive.bucket.pk), return_form(intact="no"))
    drive.issue_to_alice(seal="S-101")

    page = client.get(url("organize_event_buckets", drive.event.pk)).content.decode()

    assert "1 flagged return" in page and "broken" in page


def test_return_twice_is_refused(client, drive):
    drive.issue_to_alice()
    client.force_login(drive.boss)
    client.post(step_url(drive.bucket.pk), return_form())

    response = client.post(step_url(drive.bucket.pk), return_form())

    assert response.status_code == 422
    assert "already returned" in response.content.decode()
    assert CustodyEvent.objects.filter(kind="returned").count() == 1


def test_return_reposted_with_the_same_token_says_already_recorded(client, drive):
    drive.issue_to_alice()
    client.force_login(drive.boss)
    form = return_form()

    client.post(step_url(drive.bucket.pk), form)
    again = client.post(step_url(drive.bucket.pk), form, follow=True)

    assert again.status_code == 200 and "already recorded" in again.content.decode()
    assert CustodyEvent.objects.filter(kind="returned").count() == 1


def test_return_of_a_bucket_never_issued_is_refused(client, drive):
    client.force_login(drive.boss)

    response = client.post(step_url(drive.bucket.pk), return_form())

    assert response.status_code == 422
    assert "never issued" in response.content.decode()
    assert not CustodyEvent.objects.exists()


def test_return_without_seal_answers_is_refused_at_the_fields(client, drive):
    drive.issue_to_alice()
    client.force_login(drive.boss)

    response = client.post(step_url(drive.bucket.pk),
                           return_form(seal="", intact=""))

    assert response.status_code == 422
    assert response.content.decode().count('role="alert"') >= 2
    assert latest(drive.bucket).kind == "issued"


# --- Lost, stolen, found -------------------------------------------------------------------


def test_stolen_bucket_logs_an_incident_and_cannot_be_issued_until_found(client, drive):
    drive.issue_to_alice()
    client.force_login(drive.boss)

    client.post(step_url(drive.bucket.pk), {
        "action": "missing", "missing-kind": "stolen",
        "missing-description": "Grabbed at the corner",
        "missing-police_report_number": "FPD-26-1234",
        "missing-request_token": str(uuid.uuid4())})
    refused = client.post(step_url(drive.bucket.pk), issue_form(drive))

    incident = Incident.objects.get()
    assert (incident.kind, incident.police_report_number) == ("theft", "FPD-26-1234")
    assert latest(drive.bucket).kind == "stolen"
    assert refused.status_code == 422
    incidents = client.get(url("organize_event_incidents", drive.event.pk)).content.decode()
    assert "Grabbed at the corner" in incidents and "FPD-26-1234" in incidents


def test_lost_then_found_puts_the_bucket_back_in_stock(client, drive):
    drive.issue_to_alice()
    client.force_login(drive.boss)
    client.post(step_url(drive.bucket.pk), {
        "action": "missing", "missing-kind": "lost", "missing-description": "Left on the bench",
        "missing-police_report_number": "", "missing-request_token": str(uuid.uuid4())})

    page = client.get(url("organize_bucket_detail", drive.bucket.pk)).content.decode()
    assert 'id="found"' in page and 'id="issue"' not in page
    client.post(step_url(drive.bucket.pk), {
        "action": "found", "found-note": "At the church", "found-request_token": str(uuid.uuid4())})

    assert latest(drive.bucket).kind == "found"
    page = client.get(url("organize_bucket_detail", drive.bucket.pk)).content.decode()
    assert 'id="issue"' in page and "In stock" in page


def test_missing_report_without_a_description_is_refused(client, drive):
    drive.issue_to_alice()
    client.force_login(drive.boss)

    response = client.post(step_url(drive.bucket.pk), {
        "action": "missing", "missing-kind": "lost", "missing-description": "",
        "missing-request_token": str(uuid.uuid4())})

    assert response.status_code == 422
    assert not Incident.objects.exists()


def test_found_for_a_bucket_not_missing_is_refused(client, drive):
    client.force_login(drive.boss)

    response = client.post(step_url(drive.bucket.pk), {
        "action": "found", "found-note": "", "found-request_token": str(uuid.uuid4())})

    assert response.status_code == 422
    assert not CustodyEvent.objects.exists()


# --- Inventory, incidents ------------------------------------------------------------------


def test_inventory_creates_a_range_of_buckets(client, drive):
    client.force_login(drive.boss)

    response = client.post(url("organize_bucket_list"), {"numbers": "20-29", "kind": "tin"})

    assert response.status_code == 302
    assert Bucket.objects.filter(number__range=(20, 29), kind="tin").count() == 10


def test_inventory_range_with_a_used_number_saves_nothing(client, drive):
    client.force_login(drive.boss)

    response = client.post(url("organize_bucket_list"), {"numbers": "5-9", "kind": "bucket"})

    assert response.status_code == 422
    assert "already used: 7" in response.content.decode()
    assert Bucket.objects.count() == 1


@pytest.mark.parametrize("numbers", ["", "abc", "9-3", "0", "1-100000", "1e5", "-4"])
def test_inventory_refuses_bad_numbers(client, drive, numbers):
    client.force_login(drive.boss)

    response = client.post(url("organize_bucket_list"), {"numbers": numbers, "kind": "bucket"})

    assert response.status_code == 422
    assert Bucket.objects.count() == 1


def test_retire_an_in_stock_bucket_and_refuse_one_out(client, drive):
    out = BucketFactory(number=8)
    bucket_issue(bucket=out, shift=drive.first, to=drive.alice, seal_number="S-8",
                 by=drive.boss, override_reason="test")
    client.force_login(drive.boss)

    retired = client.post(step_url(drive.bucket.pk), {"action": "retire"})
    refused = client.post(step_url(out.pk), {"action": "retire"})

    assert retired.status_code == 302
    assert refused.status_code == 422 and "Receive it back" in refused.content.decode()
    assert list(Bucket.objects.filter(is_active=False)) == [drive.bucket]


def test_incident_logged_once_with_its_site_shift_and_bucket(client, drive):
    client.force_login(drive.boss)
    page = client.get(url("organize_event_incidents", drive.event.pk))
    token = page.context["form"]["form_token"].value()
    form = {"kind": "aggression", "site": drive.site.pk, "shift": drive.first.pk,
            "bucket": drive.bucket.pk, "description": "Shouting man, we backed away",
            "police_report_number": "", "form_token": token}

    client.post(url("organize_event_incidents", drive.event.pk), form)
    again = client.post(url("organize_event_incidents", drive.event.pk), form, follow=True)

    incident = Incident.objects.get()
    assert (incident.site, incident.shift, incident.bucket) == (drive.site, drive.first,
                                                                 drive.bucket)
    assert "already recorded" in again.content.decode()


def test_incident_with_a_shift_of_another_drive_is_refused(client, drive):
    client.force_login(drive.boss)
    other = ShiftFactory(site=drive.site)

    response = client.post(url("organize_event_incidents", drive.event.pk), {
        "kind": "other", "shift": other.pk, "description": "x"})

    assert response.status_code == 422
    assert not Incident.objects.exists()


# --- Who may open what ---------------------------------------------------------------------


def pages(drive) -> list[tuple[str, str]]:
    return [
        ("list", url("organize_event_buckets", drive.event.pk)),
        ("inventory", url("organize_bucket_list")),
        ("bucket", url("organize_bucket_detail", drive.bucket.pk)),
        ("incidents", url("organize_event_incidents", drive.event.pk)),
    ]


STEPS = ["issue", "hand_over", "return", "missing", "found", "retire"]


def actions(drive) -> list[str]:
    """Where the forms post: the bucket's page (each step its ``action``), the inventory,
    the incident log."""
    return [url("organize_bucket_detail", drive.bucket.pk), url("organize_bucket_list"),
            url("organize_event_incidents", drive.event.pk)]


@pytest.mark.parametrize("role", ["volunteer", "captain", "other_captain"])
def test_volunteers_and_captains_get_403_on_every_custody_page(client, drive, role):
    person = {"volunteer": drive.cleo, "captain": drive.captain,
              "other_captain": drive.other_captain}[role]
    client.force_login(person)

    for _name, address in pages(drive):
        assert client.get(address).status_code == 403, address
    for address in actions(drive):
        for action in STEPS:
            assert client.post(address, {"action": action}).status_code == 403, address
    assert not CustodyEvent.objects.exists() and Bucket.objects.get().is_active


def test_anonymous_is_sent_to_log_in_from_every_custody_page(client, drive):
    for address in [*(a for _n, a in pages(drive)), url("my_bucket", drive.bucket.pk)]:
        for method in (client.get, client.post):
            response = method(address)
            assert response.status_code == 302, address
            assert response["Location"].startswith("/accounts/login/"), address


def test_treasurer_reads_the_lists_without_forms_and_cannot_act(client, drive):
    drive.issue_to_alice()
    client.force_login(drive.treasurer)

    for name, address in pages(drive):
        response = client.get(address)
        assert response.status_code == 200, name
        main = response.content.decode().split("<main")[1].split("</main>")[0]
        assert 'method="post"' not in main, name
    for address in actions(drive):
        for action in STEPS:
            assert client.post(address, {"action": action}).status_code == 403, address
    assert CustodyEvent.objects.count() == 1
    assert drive.alice.phone not in client.get(pages(drive)[0][1]).content.decode()


def test_post_without_a_known_step_is_refused(client, drive):
    client.force_login(drive.boss)

    response = client.post(step_url(drive.bucket.pk), {"action": "explode"})

    assert response.status_code == 400
    assert not CustodyEvent.objects.exists() and Bucket.objects.get().is_active


def test_organizer_opens_every_custody_page(client, drive):
    drive.issue_to_alice()
    client.force_login(drive.boss)

    for name, address in pages(drive):
        assert client.get(address).status_code == 200, name
    listing = client.get(pages(drive)[0][1]).content.decode()
    assert drive.alice.phone in listing  # whom to call about an overdue bucket


def test_my_bucket_is_only_for_its_holder(client, drive):
    drive.issue_to_alice()
    address = url("my_bucket", drive.bucket.pk)

    for person in (drive.ben, drive.captain, drive.other_captain):
        client.force_login(person)
        assert client.get(address).status_code == 404
        assert client.post(address, {"receiver_code": drive.code(drive.ben)}).status_code == 404
    client.force_login(drive.boss)
    assert client.get(address)["Location"] == url("organize_bucket_detail", drive.bucket.pk)
    client.force_login(drive.alice)
    assert client.get(address).status_code == 200
    assert latest(drive.bucket).kind == "issued"


def test_treasurer_does_not_see_a_draft_drives_custody(client, drive):
    Event.objects.filter(pk=drive.event.pk).update(status=Event.Status.DRAFT)
    client.force_login(drive.treasurer)

    assert client.get(pages(drive)[0][1]).status_code == 404


# --- Query counts --------------------------------------------------------------------------


def big_drive(drive, *, buckets=100, sites=50, volunteers=300):
    now = timezone.now()
    shifts = []
    for n in range(sites):
        shifts.append(ShiftFactory(event=drive.event, site=SiteFactory(),
                                   starts_at=now - datetime.timedelta(hours=1),
                                   ends_at=now + datetime.timedelta(hours=1 + n % 3)))
    signups = [SignupFactory(shift=shifts[n % sites], volunteer=UserFactory(),
                             team=drive.team if n % 2 else None) for n in range(volunteers)]
    for n in range(buckets):
        bucket = BucketFactory(number=1000 + n)
        signup = signups[n]
        bucket_issue(bucket=bucket, shift=signup.shift, to=signup.volunteer,
                     seal_number=f"S{n}", by=drive.boss, override_reason="bulk")
        if n % 4 == 0:
            bucket_return(bucket=bucket, seal_number=f"S{n}" if n % 8 else "X", seal_intact=True,
                          by=drive.boss)
        elif n % 4 == 1:
            other = signups[n + sites]  # same shift (n + sites ≡ n mod sites)
            bucket_hand_over(bucket=bucket, to=other.volunteer, by=drive.boss,
                             override_reason="bulk")


@pytest.mark.parametrize("size", [1, 100])
def test_custody_list_queries_do_not_grow(client, drive, size, django_assert_max_num_queries):
    big_drive(drive, buckets=size, sites=max(1, size // 2), volunteers=3 * size)
    client.force_login(drive.boss)

    with django_assert_max_num_queries(9):
        response = client.get(url("organize_event_buckets", drive.event.pk))

    assert response.status_code == 200
    assert response.content.decode().count('id="bucket-') == size + 1


@pytest.mark.parametrize("size", [1, 100])
def test_inventory_and_incidents_queries_do_not_grow(client, drive, size,
                                                     django_assert_max_num_queries):
    big_drive(drive, buckets=size, sites=max(1, size // 2), volunteers=3 * size)
    for _n in range(size):
        Incident.objects.create(event=drive.event, kind="other", site=drive.site,
                                shift=drive.first, bucket=drive.bucket, description="x",
                                reported_by=drive.boss)
    client.force_login(drive.boss)

    with django_assert_max_num_queries(8):
        assert client.get(url("organize_bucket_list")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(url("organize_event_incidents", drive.event.pk)).status_code == 200


def test_bucket_page_queries_do_not_grow_with_its_history(client, drive,
                                                          django_assert_max_num_queries):
    for n in range(15):
        drive.issue_to_alice(seal=f"S{n}")
        bucket_return(bucket=drive.bucket, seal_number=f"S{n}", seal_intact=True, by=drive.boss)
    big_drive(drive, buckets=0, sites=50, volunteers=300)
    client.force_login(drive.boss)

    with django_assert_max_num_queries(12):
        response = client.get(url("organize_bucket_detail", drive.bucket.pk))

    assert response.content.decode().count("<li class") >= 30
