"""Bucket custody services: every rule of the custody log, its refusals (message and field),
re-posts, seals, lost / stolen / found, and who may do what."""

import datetime
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, transaction

from donations import rules
from donations.custody import (
    CustodyError,
    bucket_create,
    bucket_found,
    bucket_hand_over,
    bucket_history,
    bucket_issue,
    bucket_report_missing,
    bucket_retire,
    bucket_return,
    bucket_state,
    buckets_with_state,
    incident_create,
)
from donations.handoff import ALPHABET, code_matches, personal_code
from donations.models import Bucket, CustodyEvent, Incident
from tests.factories import (
    BucketFactory,
    EventFactory,
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


class Drive:
    """A street drive: one site with two windows (9-12, 12-15), another site, a team, an
    organizer, a volunteer on each window, a bucket in stock."""

    def __init__(self):
        self.event = EventFactory()
        self.site = SiteFactory()
        self.other_site = SiteFactory()
        self.team = TeamFactory()
        start = self.event.starts_at
        self.first = ShiftFactory(event=self.event, site=self.site, starts_at=start,
                                  ends_at=start + datetime.timedelta(hours=3))
        self.second = ShiftFactory(event=self.event, site=self.site,
                                   starts_at=start + datetime.timedelta(hours=3),
                                   ends_at=start + datetime.timedelta(hours=6))
        self.elsewhere = ShiftFactory(event=self.event, site=self.other_site, starts_at=start,
                                      ends_at=start + datetime.timedelta(hours=3))
        self.organizer = organizer()
        self.alice = SignupFactory(shift=self.first, team=self.team).volunteer
        self.bob = SignupFactory(shift=self.second, team=self.team).volunteer
        self.carol = SignupFactory(shift=self.elsewhere).volunteer
        self.bucket = BucketFactory()

    def code(self, person):
        return personal_code(person, self.event)

    def issue(self, **kwargs):
        defaults = {"bucket": self.bucket, "shift": self.first, "to": self.alice,
                    "seal_number": "S-1001", "by": self.organizer,
                    "receiver_code": self.code(self.alice)}
        return bucket_issue(**{**defaults, **kwargs})

    def hand_over(self, **kwargs):
        defaults = {"bucket": self.bucket, "to": self.bob, "by": self.alice,
                    "receiver_code": self.code(self.bob)}
        return bucket_hand_over(**{**defaults, **kwargs})

    def give_back(self, **kwargs):
        defaults = {"bucket": self.bucket, "seal_number": "S-1001", "seal_intact": True,
                    "by": self.organizer}
        return bucket_return(**{**defaults, **kwargs})


@pytest.fixture
def drive():
    return Drive()


def refusal(call, **kwargs) -> CustodyError:
    with pytest.raises(CustodyError) as caught:
        call(**kwargs)
    return caught.value


def rows(bucket) -> int:
    return CustodyEvent.objects.filter(bucket=bucket).count()


# --- Personal codes ------------------------------------------------------------------------


def test_personal_code_is_six_unambiguous_characters(drive):
    code = personal_code(drive.alice, drive.event)

    assert len(code) == 6
    assert set(code) <= set(ALPHABET)
    assert not set(code) & set("0O1I")
    assert code == personal_code(drive.alice, drive.event)


def test_personal_code_differs_per_person_and_per_drive(drive):
    other_drive = EventFactory()

    assert personal_code(drive.alice, drive.event) != personal_code(drive.bob, drive.event)
    assert personal_code(drive.alice, drive.event) != personal_code(drive.alice, other_drive)


def test_personal_code_changes_with_the_secret_key(drive, settings):
    before = personal_code(drive.alice, drive.event)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"

    assert personal_code(drive.alice, drive.event) != before


def test_code_matches_ignores_case_and_spaces(drive):
    code = personal_code(drive.alice, drive.event)
    typed = f" {code[:3].lower()} {code[3:]} "

    assert code_matches(typed, drive.alice, drive.event)
    assert code_matches(f"{code[:3]}-{code[3:]}", drive.alice, drive.event)


def test_code_matches_refuses_wrong_empty_and_someone_elses_code(drive):
    assert not code_matches("", drive.alice, drive.event)
    assert not code_matches(None, drive.alice, drive.event)
    wrong = "AAAAAA" if drive.code(drive.alice) != "AAAAAA" else "BBBBBB"
    assert not code_matches(wrong, drive.alice, drive.event)
    assert not code_matches(drive.code(drive.bob), drive.alice, drive.event)


# --- Buckets -------------------------------------------------------------------------------


def test_bucket_create_makes_a_bucket_in_stock(drive):
    bucket = bucket_create(number=7, kind=Bucket.Kind.KETTLE, by=drive.organizer)

    assert (bucket.number, bucket.kind, bucket.is_active) == (7, "kettle", True)
    assert bucket_state(bucket) is None
    assert buckets_with_state().get(pk=bucket.pk).custody_state == "in_stock"


def test_bucket_create_refuses_a_number_taken(drive):
    error = refusal(bucket_create, number=drive.bucket.number, kind="bucket", by=drive.organizer)

    assert error.field == "number"
    assert error.message == (f"There is already a bucket {drive.bucket.number}. Each bucket "
                             "needs its own number.")
    assert Bucket.objects.count() == 1


@pytest.mark.parametrize("number", ["", "abc", 0, None])
def test_bucket_create_refuses_a_missing_or_bad_number(drive, number):
    error = refusal(bucket_create, number=number, kind="bucket", by=drive.organizer)

    assert error.field == "number"


def test_bucket_create_refuses_an_unknown_kind(drive):
    error = refusal(bucket_create, number=9, kind="barrel", by=drive.organizer)

    assert (error.field, error.message) == ("kind", "Choose bucket, tin or kettle.")


def test_bucket_retire_then_issue_is_refused(drive):
    bucket_retire(bucket=drive.bucket, by=drive.organizer)

    error = refusal(drive.issue)

    assert error.field == "bucket"
    assert error.message == (f"Bucket {drive.bucket.number} is retired and cannot be issued. "
                             "Pick another bucket.")
    assert rows(drive.bucket) == 0
    assert buckets_with_state().get(pk=drive.bucket.pk).custody_state == "retired"


def test_bucket_retire_refuses_a_bucket_out_on_the_street(drive):
    drive.issue()

    error = refusal(bucket_retire, bucket=drive.bucket, by=drive.organizer)

    assert error.field == "bucket"
    assert "Receive it back before retiring it" in error.message
    drive.bucket.refresh_from_db()
    assert drive.bucket.is_active


# --- Issue ---------------------------------------------------------------------------------


def test_bucket_issue_records_holder_shift_team_and_seal(drive):
    issued = drive.issue()

    assert issued.kind == "issued"
    assert (issued.holder, issued.shift, issued.team) == (drive.alice, drive.first, drive.team)
    assert (issued.seal_number, issued.by, issued.override_reason) == (
        "S-1001", drive.organizer, "")
    state = buckets_with_state().get(pk=drive.bucket.pk)
    assert (state.custody_state, state.latest_holder_id, state.latest_site_id) == (
        "out", drive.alice.pk, drive.site.pk)
    assert (state.latest_team_name, state.latest_seal_number) == (drive.team.name, "S-1001")


def test_bucket_issue_takes_the_team_the_shift_is_held_for(drive):
    drive.first.held_for = drive.team
    drive.first.save()
    Signup.objects.filter(volunteer=drive.alice).update(team=None)

    assert drive.issue().team == drive.team


def test_bucket_issue_refuses_a_bucket_already_out(drive):
    drive.issue()
    other = SignupFactory(shift=drive.first).volunteer

    error = refusal(drive.issue, to=other, receiver_code=drive.code(other))

    assert error.field == "bucket"
    assert error.message.startswith(
        f"Bucket {drive.bucket.number} is already out with {drive.alice} at {drive.site.name}")
    assert rows(drive.bucket) == 1


def test_bucket_issue_refuses_a_shift_without_a_site(drive):
    hall = ShiftFactory(event=drive.event)
    SignupFactory(shift=hall, volunteer=drive.alice)

    error = refusal(drive.issue, shift=hall)

    assert (error.field, error.message) == (
        "shift", "Buckets go out only on street shifts. Choose a shift at a collection site.")
    assert rows(drive.bucket) == 0


def test_bucket_issue_refuses_a_cancelled_shift(drive):
    drive.first.is_cancelled = True
    drive.first.save()

    error = refusal(drive.issue)

    assert (error.field, error.message) == ("shift", "This shift is cancelled.")


@pytest.mark.parametrize("status", ["waitlisted", "cancelled", None])
def test_bucket_issue_refuses_someone_not_confirmed_on_the_shift(drive, status):
    person = UserFactory()
    if status:
        SignupFactory(shift=drive.first, volunteer=person, status=status)

    error = refusal(drive.issue, to=person, receiver_code=drive.code(person))

    assert error.field == "to"
    assert error.message == (f"{person} is not confirmed on this shift at {drive.site.name}. "
                             "Only someone on the shift can take its bucket.")
    assert rows(drive.bucket) == 0


@pytest.mark.parametrize("seal", ["", "   ", None])
def test_bucket_issue_refuses_a_missing_seal_number(drive, seal):
    error = refusal(drive.issue, seal_number=seal)

    assert (error.field, error.message) == ("seal_number", "Enter the number printed on the seal.")
    assert rows(drive.bucket) == 0


def test_bucket_issue_refuses_a_wrong_receiver_code(drive):
    error = refusal(drive.issue, receiver_code=drive.code(drive.bob))

    assert error.field == "receiver_code"
    assert error.message.startswith(f"That is not {drive.alice}'s code.")
    assert rows(drive.bucket) == 0


def test_bucket_issue_refuses_a_missing_receiver_code(drive):
    error = refusal(drive.issue, receiver_code="  ")

    assert error.field == "receiver_code"
    assert error.message.startswith(f"Enter {drive.alice}'s personal code")


def test_bucket_issue_accepts_the_code_typed_in_lower_case(drive):
    issued = drive.issue(receiver_code=drive.code(drive.alice).lower())

    assert issued.override_reason == ""


def test_bucket_issue_records_an_organizers_override_reason(drive):
    issued = drive.issue(receiver_code="", override_reason="  Phone battery dead; I know her. ")

    assert issued.override_reason == "Phone battery dead; I know her."
    assert CustodyEvent.objects.get(pk=issued.pk).override_reason == issued.override_reason


def test_bucket_issue_refuses_an_override_by_someone_not_organizer(drive):
    volunteer_captain = captain()

    error = refusal(drive.issue, by=volunteer_captain, receiver_code="",
                    override_reason="I know her")

    assert error.field == "override_reason"
    assert error.message.startswith("Only an organizer can skip the receiver's code.")
    assert rows(drive.bucket) == 0


def test_bucket_issue_refuses_an_override_reason_too_long(drive):
    error = refusal(drive.issue, receiver_code="", override_reason="x" * 301)

    assert error.field == "override_reason"


def test_bucket_issue_reposted_with_the_same_token_records_once(drive):
    token = uuid.uuid4()

    first = drive.issue(request_token=token)
    again = drive.issue(request_token=str(token))

    assert again.pk == first.pk
    assert rows(drive.bucket) == 1


def test_bucket_issue_reposted_after_a_return_returns_the_first_row_unchanged(drive):
    token = uuid.uuid4()
    first = drive.issue(request_token=token)
    drive.give_back()

    again = drive.issue(request_token=token)

    assert (again.pk, again.kind, again.holder_id) == (first.pk, "issued", drive.alice.pk)
    assert rows(drive.bucket) == 2
    assert bucket_state(drive.bucket).kind == "returned"


def test_bucket_issue_refuses_a_broken_token(drive):
    error = refusal(drive.issue, request_token="not-a-uuid")

    assert error.field == "request_token"
    assert rows(drive.bucket) == 0


# --- Hand over -----------------------------------------------------------------------------


def test_bucket_hand_over_by_the_holder_to_the_next_window(drive):
    drive.issue()

    handed = drive.hand_over()

    assert handed.kind == "handed_over"
    assert (handed.from_holder, handed.holder, handed.by) == (drive.alice, drive.bob, drive.alice)
    assert (handed.shift, handed.team, handed.seal_number) == (drive.second, drive.team,
                                                              "S-1001")
    assert buckets_with_state().get(pk=drive.bucket.pk).latest_holder_id == drive.bob.pk


def test_bucket_hand_over_picks_the_next_window_when_on_several(drive):
    third = ShiftFactory(event=drive.event, site=drive.site,
                         starts_at=drive.second.ends_at,
                         ends_at=drive.second.ends_at + datetime.timedelta(hours=2))
    SignupFactory(shift=third, volunteer=drive.bob)
    drive.issue()

    assert drive.hand_over().shift == drive.second


def test_bucket_hand_over_refuses_someone_at_another_site(drive):
    drive.issue()

    error = refusal(drive.hand_over, to=drive.carol, receiver_code=drive.code(drive.carol))

    assert error.field == "to"
    assert error.message == (f"{drive.carol} is not on a shift at {drive.site.name} on this "
                             "drive. A bucket is handed only to the volunteer taking the next "
                             "shift at the same site.")
    assert rows(drive.bucket) == 1


def test_bucket_hand_over_refuses_someone_on_no_shift(drive):
    drive.issue()
    stranger = UserFactory()

    error = refusal(drive.hand_over, to=stranger, receiver_code=drive.code(stranger))

    assert error.field == "to"
    assert rows(drive.bucket) == 1


def test_bucket_hand_over_refuses_someone_waitlisted_on_the_next_window(drive):
    drive.issue()
    waiting = SignupFactory(shift=drive.second, status="waitlisted").volunteer

    error = refusal(drive.hand_over, to=waiting, receiver_code=drive.code(waiting))

    assert error.field == "to"


def test_bucket_hand_over_refuses_a_wrong_code(drive):
    drive.issue()

    error = refusal(drive.hand_over, receiver_code=drive.code(drive.alice))

    assert error.field == "receiver_code"
    assert error.message.startswith(f"That is not {drive.bob}'s code.")
    assert rows(drive.bucket) == 1


def test_bucket_hand_over_refuses_the_holders_own_override(drive):
    drive.issue()

    error = refusal(drive.hand_over, receiver_code="", override_reason="He is my friend")

    assert error.field == "override_reason"
    assert rows(drive.bucket) == 1


def test_bucket_hand_over_by_an_organizer_with_an_override_is_recorded(drive):
    drive.issue()

    handed = drive.hand_over(by=drive.organizer, receiver_code="",
                             override_reason="Bob's phone was stolen; ID checked")

    assert handed.override_reason == "Bob's phone was stolen; ID checked"
    assert (handed.by, handed.from_holder) == (drive.organizer, drive.alice)


def test_bucket_hand_over_refuses_someone_who_does_not_hold_it(drive):
    drive.issue()
    other = SignupFactory(shift=drive.first).volunteer

    error = refusal(drive.hand_over, by=other)

    assert error.field is None
    assert error.message == (f"Only {drive.alice}, who holds bucket {drive.bucket.number}, or "
                             "an organizer can hand it over.")
    assert rows(drive.bucket) == 1


def test_bucket_hand_over_refuses_the_former_holder_after_the_handover(drive):
    drive.issue()
    drive.hand_over()
    dave = SignupFactory(shift=drive.second).volunteer

    error = refusal(drive.hand_over, to=dave, receiver_code=drive.code(dave))

    assert error.field is None
    assert rows(drive.bucket) == 2


def test_bucket_hand_over_refuses_the_current_holder_as_receiver(drive):
    drive.issue()

    error = refusal(drive.hand_over, to=drive.alice, receiver_code=drive.code(drive.alice))

    assert (error.field, error.message) == (
        "to", f"{drive.alice} already holds bucket {drive.bucket.number}.")


def test_bucket_hand_over_refuses_a_bucket_never_issued(drive):
    error = refusal(drive.hand_over, by=drive.organizer)

    assert error.field == "bucket"
    assert error.message == (f"Bucket {drive.bucket.number} was never issued, so it cannot be "
                             "handed over. Check the number on the bucket.")


def test_bucket_hand_over_reposted_with_the_same_token_records_once(drive):
    drive.issue()
    token = uuid.uuid4()

    first = drive.hand_over(request_token=token)
    again = drive.hand_over(request_token=token)

    assert again.pk == first.pk
    assert rows(drive.bucket) == 2


# --- Return --------------------------------------------------------------------------------


def test_bucket_return_with_the_issued_intact_seal_is_not_flagged(drive):
    drive.issue()

    returned = drive.give_back(note="Heavy!")

    assert returned.kind == "returned"
    assert (returned.seal_number, returned.seal_intact, returned.seal_matches) == (
        "S-1001", True, True)
    assert (returned.from_holder, returned.by, returned.note) == (
        drive.alice, drive.organizer, "Heavy!")
    assert not returned.flagged
    assert buckets_with_state().get(pk=drive.bucket.pk).custody_state == "in_stock"


def test_bucket_return_matches_the_seal_ignoring_case_and_spaces(drive):
    drive.issue(seal_number="ab-1001")

    returned = drive.give_back(seal_number=" AB 1001 ")

    assert returned.seal_matches


def test_bucket_return_with_a_different_seal_is_flagged(drive):
    drive.issue()

    returned = drive.give_back(seal_number="S-2002")

    assert (returned.seal_number, returned.seal_intact, returned.seal_matches) == (
        "S-2002", True, False)
    assert returned.flagged


def test_bucket_return_with_a_broken_seal_is_flagged(drive):
    drive.issue()

    returned = drive.give_back(seal_intact=False)

    assert (returned.seal_intact, returned.seal_matches) == (False, True)
    assert returned.flagged


def test_bucket_return_after_a_handover_compares_with_the_seal_at_issue(drive):
    drive.issue()
    drive.hand_over()

    returned = drive.give_back(seal_number="S-1002")

    assert returned.from_holder == drive.bob
    assert returned.flagged


def test_bucket_return_flag_stays_in_the_history_after_later_steps(drive):
    drive.issue()
    flagged = drive.give_back(seal_intact=False)
    drive.issue(seal_number="S-3003")
    drive.give_back(seal_number="S-3003")

    history = list(bucket_history(drive.bucket))

    assert [step.kind for step in history] == ["issued", "returned", "issued", "returned"]
    assert history[1].pk == flagged.pk
    assert history[1].flagged
    assert (history[1].seal_intact, history[1].seal_matches) == (False, True)
    assert not history[3].flagged


def test_bucket_return_refuses_a_bucket_never_issued(drive):
    error = refusal(drive.give_back)

    assert error.field == "bucket"
    assert error.message == (f"Bucket {drive.bucket.number} was never issued, so it cannot be "
                             "returned. Check the number on the bucket.")
    assert rows(drive.bucket) == 0


def test_bucket_return_refuses_a_second_return(drive):
    drive.issue()
    drive.give_back()

    error = refusal(drive.give_back, seal_number="S-9999", seal_intact=False)

    assert error.field == "bucket"
    assert error.message.startswith(f"Bucket {drive.bucket.number} was already returned on ")
    assert f"(received by {drive.organizer})" in error.message
    assert rows(drive.bucket) == 2
    assert not bucket_state(drive.bucket).flagged


def test_bucket_return_reposted_with_the_same_token_records_once(drive):
    drive.issue()
    token = uuid.uuid4()

    first = drive.give_back(request_token=token)
    again = drive.give_back(request_token=token)

    assert again.pk == first.pk
    assert rows(drive.bucket) == 2


@pytest.mark.parametrize("seal", ["", None, "  "])
def test_bucket_return_refuses_a_missing_seal_number(drive, seal):
    drive.issue()

    error = refusal(drive.give_back, seal_number=seal)

    assert (error.field, error.message) == ("seal_number", "Enter the number printed on the seal.")
    assert rows(drive.bucket) == 1


def test_bucket_return_refuses_an_unanswered_seal_intact(drive):
    drive.issue()

    error = refusal(drive.give_back, seal_intact=None)

    assert (error.field, error.message) == ("seal_intact", "Say whether the seal was intact.")
    assert rows(drive.bucket) == 1


# --- Lost, stolen, found -------------------------------------------------------------------


def test_bucket_stolen_logs_the_incident_and_blocks_issue_until_found(drive):
    drive.issue()

    stolen = bucket_report_missing(
        bucket=drive.bucket, kind="stolen", description="Snatched by a man on a bike",
        police_report_number="FPD-24-1187", by=drive.organizer)

    incident = stolen.incident
    assert (stolen.kind, stolen.from_holder, stolen.shift) == ("stolen", drive.alice,
                                                               drive.first)
    assert (incident.kind, incident.event, incident.site, incident.shift, incident.bucket) == (
        Incident.Kind.THEFT, drive.event, drive.site, drive.first, drive.bucket)
    assert (incident.police_report_number, incident.reported_by) == ("FPD-24-1187",
                                                                     drive.organizer)
    assert incident.description == "Snatched by a man on a bike"
    assert buckets_with_state().get(pk=drive.bucket.pk).custody_state == "stolen"

    error = refusal(drive.issue)
    assert error.field == "bucket"
    assert error.message.startswith(f"Bucket {drive.bucket.number} was reported stolen on ")
    assert error.message.endswith("Record it as found before issuing it again.")

    error = refusal(drive.give_back)
    assert error.field == "bucket"
    assert "If it is back, record it as found." in error.message

    found = bucket_found(bucket=drive.bucket, by=drive.organizer, note="Left at the church")
    assert (found.kind, found.incident, found.note) == ("found", incident, "Left at the church")
    assert buckets_with_state().get(pk=drive.bucket.pk).custody_state == "in_stock"

    assert drive.issue(seal_number="S-5005").kind == "issued"
    assert [step.kind for step in bucket_history(drive.bucket)] == [
        "issued", "stolen", "found", "issued"]


def test_bucket_lost_without_a_police_number_is_recorded(drive):
    drive.issue()

    lost = bucket_report_missing(bucket=drive.bucket, kind="lost",
                                 description="Not at the corner at 12:00",
                                 police_report_number="", by=drive.organizer)

    assert lost.kind == "lost"
    assert (lost.incident.kind, lost.incident.police_report_number) == ("lost_bucket", "")
    error = refusal(drive.issue)
    assert "was reported lost on" in error.message


def test_bucket_report_missing_refuses_a_missing_description(drive):
    drive.issue()

    error = refusal(bucket_report_missing, bucket=drive.bucket, kind="stolen",
                    description="  ", police_report_number="", by=drive.organizer)

    assert (error.field, error.message) == ("description",
                                            "Say what happened: where, when, who saw it.")
    assert rows(drive.bucket) == 1
    assert Incident.objects.count() == 0


def test_bucket_report_missing_refuses_an_unknown_kind(drive):
    drive.issue()

    error = refusal(bucket_report_missing, bucket=drive.bucket, kind="found",
                    description="x", police_report_number="", by=drive.organizer)

    assert (error.field, error.message) == ("kind", "Choose lost or stolen.")


def test_bucket_report_missing_twice_is_refused(drive):
    drive.issue()
    bucket_report_missing(bucket=drive.bucket, kind="lost", description="Gone",
                          police_report_number="", by=drive.organizer)

    error = refusal(bucket_report_missing, bucket=drive.bucket, kind="stolen",
                    description="Gone", police_report_number="", by=drive.organizer)

    assert error.field == "bucket"
    assert error.message.startswith(f"Bucket {drive.bucket.number} was already reported lost")
    assert Incident.objects.count() == 1


def test_bucket_report_missing_reposted_records_once(drive):
    drive.issue()
    token = uuid.uuid4()
    fields = {"bucket": drive.bucket, "kind": "stolen", "description": "Gone",
              "police_report_number": "", "by": drive.organizer, "request_token": token}

    first = bucket_report_missing(**fields)
    again = bucket_report_missing(**fields)

    assert again.pk == first.pk
    assert Incident.objects.count() == 1


def test_bucket_report_missing_of_a_bucket_never_out_needs_the_drive(drive):
    error = refusal(bucket_report_missing, bucket=drive.bucket, kind="lost",
                    description="Not on the shelf", police_report_number="",
                    by=drive.organizer)
    assert error.field == "event"

    lost = bucket_report_missing(bucket=drive.bucket, kind="lost",
                                 description="Not on the shelf", police_report_number="",
                                 by=drive.organizer, event=drive.event)
    assert (lost.incident.event, lost.incident.site) == (drive.event, None)


def test_bucket_found_refuses_a_bucket_not_missing(drive):
    drive.issue()

    error = refusal(bucket_found, bucket=drive.bucket, by=drive.organizer)

    assert error.field == "bucket"
    assert error.message == (f"Bucket {drive.bucket.number} was not reported lost or stolen, "
                             "so it cannot be found.")
    assert rows(drive.bucket) == 1


def test_bucket_found_then_returned_is_refused_as_in_stock(drive):
    drive.issue()
    bucket_report_missing(bucket=drive.bucket, kind="lost", description="Gone",
                          police_report_number="", by=drive.organizer)
    bucket_found(bucket=drive.bucket, by=drive.organizer)

    error = refusal(drive.give_back)

    assert error.message == (f"Bucket {drive.bucket.number} is in stock, not out on the "
                             "street, so it cannot be returned.")


# --- Incidents -----------------------------------------------------------------------------


def test_incident_create_takes_the_site_from_the_shift(drive):
    incident = incident_create(event=drive.event, kind="aggression",
                               description="Shouting man", by=drive.organizer,
                               shift=drive.first, police_report_number=" 24-77 ")

    assert (incident.site, incident.shift, incident.police_report_number) == (
        drive.site, drive.first, "24-77")


def test_incident_create_refuses_a_shift_of_another_drive(drive):
    other = ShiftFactory(site=drive.site)

    error = refusal(incident_create, event=drive.event, kind="injury", description="Fell",
                    by=drive.organizer, shift=other)

    assert (error.field, error.message) == ("shift", "That shift is not on this drive.")
    assert Incident.objects.count() == 0


def test_incident_create_refuses_a_missing_description_and_unknown_kind(drive):
    assert refusal(incident_create, event=drive.event, kind="injury", description="",
                   by=drive.organizer).field == "description"
    assert refusal(incident_create, event=drive.event, kind="fire", description="x",
                   by=drive.organizer).field == "kind"


# --- Reads ---------------------------------------------------------------------------------


def test_buckets_with_state_shows_every_state(drive):
    out, returned, lost, stolen, retired, never = (BucketFactory() for _ in range(6))
    drive.issue(bucket=out)
    drive.issue(bucket=returned, to=drive.bob, shift=drive.second,
                receiver_code=drive.code(drive.bob))
    drive.give_back(bucket=returned)
    for bucket, kind in ((lost, "lost"), (stolen, "stolen")):
        drive.issue(bucket=bucket, to=drive.carol, shift=drive.elsewhere,
                    receiver_code=drive.code(drive.carol))
        bucket_report_missing(bucket=bucket, kind=kind, description="Gone",
                              police_report_number="", by=drive.organizer)
    bucket_retire(bucket=retired, by=drive.organizer)

    states = dict(buckets_with_state().values_list("pk", "custody_state"))

    assert [states[b.pk] for b in (out, returned, lost, stolen, retired, never)] == [
        "out", "in_stock", "lost", "stolen", "retired", "in_stock"]
    row = buckets_with_state().get(pk=out.pk)
    assert (row.latest_kind, row.latest_holder_name, row.latest_site_name,
            row.latest_event_id, row.latest_shift_ends_at) == (
        "issued", drive.alice.display_name, drive.site.name, drive.event.pk, drive.first.ends_at)


def test_buckets_with_state_runs_one_query_for_many_buckets(drive, django_assert_num_queries):
    for n in range(30):
        bucket = BucketFactory()
        if n % 2:
            drive.issue(bucket=bucket, seal_number=f"S-{n}")

    with django_assert_num_queries(1):
        listed = list(buckets_with_state(Bucket.objects.order_by("number")))

    assert len(listed) == 31
    assert sum(b.custody_state == "out" for b in listed) == 15


def test_bucket_history_is_oldest_first_in_one_query(drive, django_assert_num_queries):
    drive.issue()
    drive.hand_over()
    drive.give_back()

    with django_assert_num_queries(1):
        history = [(s.kind, str(s.holder or ""), s.shift.site.name, str(s.by))
                   for s in bucket_history(drive.bucket)]

    assert [kind for kind, *_ in history] == ["issued", "handed_over", "returned"]


# --- Who may do what -----------------------------------------------------------------------


def test_rules_organizer_does_everything(drive):
    boss = drive.organizer

    assert rules.can_see_custody(boss) and rules.can_manage_buckets(boss)
    assert rules.can_issue(boss) and rules.can_return(boss) and rules.can_report_missing(boss)
    assert rules.can_record_found(boss) and rules.can_log_incident(boss)
    assert rules.can_override_code(boss)
    assert rules.can_hand_over(boss, None)
    assert boss.has_perm("donations.manage_buckets")


def test_rules_treasurer_only_reads(drive):
    money = treasurer()
    latest = drive.issue()

    assert rules.can_see_custody(money)
    assert money.has_perm("donations.see_custody")
    assert not rules.can_manage_buckets(money)
    assert not rules.can_issue(money) and not rules.can_return(money)
    assert not rules.can_hand_over(money, latest)
    assert not rules.can_override_code(money)


def test_rules_holder_may_hand_over_only_their_own_bucket(drive):
    latest = drive.issue()

    assert rules.can_hand_over(drive.alice, latest)
    assert drive.alice.has_perm("donations.hand_over_bucket", latest)
    assert not rules.can_hand_over(drive.bob, latest)
    assert not rules.can_see_custody(drive.alice)
    assert not rules.can_issue(drive.alice) and not rules.can_override_code(drive.alice)
    handed = drive.hand_over()
    assert not rules.can_hand_over(drive.alice, handed)
    assert rules.can_hand_over(drive.bob, handed)
    returned = drive.give_back()
    assert not rules.can_hand_over(drive.bob, returned)


def test_rules_captains_and_anonymous_have_no_custody_powers(drive):
    team_captain = TeamMembershipFactory(team=drive.team, is_captain=True,
                                         user=captain()).user
    latest = drive.issue()

    for person in (team_captain, AnonymousUser()):
        assert not rules.can_see_custody(person)
        assert not rules.can_manage_buckets(person)
        assert not rules.can_hand_over(person, latest)
        assert not rules.can_override_code(person)


@pytest.mark.postgres
def test_custody_rows_cannot_be_edited_or_deleted_even_in_the_database(drive):
    drive.issue()
    flagged = drive.give_back(seal_intact=False)

    with pytest.raises(DatabaseError), transaction.atomic():
        CustodyEvent.objects.filter(pk=flagged.pk).update(seal_intact=True, seal_matches=True)
    with pytest.raises(DatabaseError), transaction.atomic():
        CustodyEvent.objects.filter(pk=flagged.pk).delete()

    assert CustodyEvent.objects.get(pk=flagged.pk).flagged
    assert rows(drive.bucket) == 2
