"""An organizer may add a volunteer who has not attended a shift's required training, with a
written reason that is kept in the sign-up's history; an age limit is never waived, and
captains and volunteers cannot waive anything."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from events.models import EventKind
from tests.factories import EventFactory, TeamFactory, TeamMembershipFactory, UserFactory
from tests.factories import captain as make_captain
from tests.factories import organizer as make_organizer
from tests.factories import treasurer as make_treasurer
from volunteers.models import Signup, SignupChange
from volunteers.services.signups import (
    SignupError,
    TrainingRequired,
    signup_create,
    team_signup_members,
)

from .conftest import attended_training, make_shift

pytestmark = pytest.mark.django_db

REASON = "Trained with the Modesto coalition last spring"


@pytest.fixture
def training():
    return EventFactory(kind=EventKind.TRAINING, title="Bucket Drive Volunteer Training")


@pytest.fixture
def collector_shift(training):
    return make_shift(required_training=training, capacity=3)


@pytest.fixture
def boss():
    return make_organizer()


def add_url(shift) -> str:
    return reverse("shift_roster_add", args=[shift.pk])


# --- The service ------------------------------------------------------------------------


def test_signup_create_training_refusal_is_overridable_kind(collector_shift, volunteer, boss):
    with pytest.raises(TrainingRequired, match="has not attended it"):
        signup_create(shift=collector_shift, volunteer=volunteer, by=boss)


def test_signup_create_organizer_override_records_who_and_why(collector_shift, volunteer,
                                                              boss):
    signup = signup_create(shift=collector_shift, volunteer=volunteer, by=boss,
                           override_reason=f"  {REASON}  ")

    assert signup.status == Signup.Status.CONFIRMED
    added, waived = signup.changes.all()
    assert (added.action, added.by, added.detail) == (
        SignupChange.Action.ADDED, boss, "Confirmed")
    assert (waived.action, waived.by) == (SignupChange.Action.TRAINING_WAIVED, boss)
    assert waived.detail == (
        f"“Bucket Drive Volunteer Training” not attended, added anyway by {boss.name}: "
        f"{REASON}"
    )


def test_signup_create_override_never_waives_the_age(training, boss):
    shift = make_shift(required_training=training, min_age=18)
    day = timezone.localtime(shift.starts_at).date()
    teen = UserFactory(display_name="Young Person", confirmed_adult=False,
                       date_of_birth=day.replace(year=day.year - 16))

    with pytest.raises(SignupError, match="18 or older") as refusal:
        signup_create(shift=shift, volunteer=teen, by=boss, override_reason=REASON)

    assert not isinstance(refusal.value, TrainingRequired)
    assert not Signup.objects.exists()


def test_signup_create_override_does_not_waive_an_overlap(collector_shift, volunteer, boss):
    attended_training(volunteer)
    other = make_shift(starts_in_hours=73)
    signup_create(shift=other, volunteer=volunteer, by=volunteer)

    with pytest.raises(SignupError, match="already has a shift at that time"):
        signup_create(shift=collector_shift, volunteer=volunteer, by=boss, override_reason=REASON)

    assert not Signup.objects.filter(shift=collector_shift).exists()


def test_signup_create_override_for_a_trained_volunteer_records_no_waiver(
    collector_shift, training, volunteer, boss
):
    attended_training(volunteer, training)

    signup = signup_create(shift=collector_shift, volunteer=volunteer, by=boss,
                           override_reason=REASON)

    assert signup.changes.get().detail == "Confirmed"


def test_signup_create_captain_cannot_override(collector_shift, people):
    team, member = people["team"], people["member"]

    with pytest.raises(PermissionDenied):
        signup_create(shift=collector_shift, volunteer=member, by=people["own_captain"],
                      team=team, override_reason=REASON)

    results = team_signup_members(team=team, shift=collector_shift, volunteers=[member],
                                  by=people["own_captain"])
    assert "has not attended it" in results[0].error
    assert not Signup.objects.exists()


def test_signup_create_volunteer_cannot_override_for_themselves(collector_shift, volunteer):
    with pytest.raises(PermissionDenied):
        signup_create(shift=collector_shift, volunteer=volunteer, by=volunteer,
                      override_reason=REASON)

    assert not Signup.objects.exists()


def test_signup_create_override_reason_over_200_characters_is_refused(collector_shift,
                                                                       volunteer, boss):
    with pytest.raises(SignupError, match="200 characters"):
        signup_create(shift=collector_shift, volunteer=volunteer, by=boss,
                      override_reason="x" * 201)

    assert not Signup.objects.exists()


# --- The roster page --------------------------------------------------------------------


def test_roster_add_untrained_offers_the_override(client, collector_shift, volunteer, boss):
    client.force_login(boss)

    response = client.post(add_url(collector_shift), {"email": volunteer.email})

    page = response.content.decode()
    assert response.status_code == 409
    assert "This shift needs the “Bucket Drive Volunteer Training”, and Ana Gutierrez has " \
           "not attended it." in page
    assert 'name="add_anyway"' in page
    assert 'name="reason"' in page
    assert f'value="{volunteer.email}"' in page
    assert reverse("organize_event_rsvps", args=[collector_shift.required_training_id]) in page
    assert not Signup.objects.exists()


def test_roster_add_override_adds_and_shows_it_on_roster_and_history(
    client, collector_shift, volunteer, boss
):
    client.force_login(boss)
    roster = reverse("shift_roster", args=[collector_shift.pk])

    response = client.post(add_url(collector_shift), {
        "email": volunteer.email, "add_anyway": "on", "reason": REASON,
    }, HTTP_REFERER=roster)

    assert response["Location"] == roster
    signup = Signup.objects.get(shift=collector_shift, volunteer=volunteer)
    assert signup.status == Signup.Status.CONFIRMED
    roster_page = client.get(roster).content.decode()
    assert "Training waived" in roster_page
    history = client.get(reverse("signup_manage", args=[signup.pk])).content.decode()
    assert REASON in history
    assert f"added anyway by {boss.name}" in history


def test_roster_add_override_without_reason_is_refused_at_the_field(
    client, collector_shift, volunteer, boss
):
    client.force_login(boss)

    response = client.post(add_url(collector_shift), {
        "email": volunteer.email, "add_anyway": "on", "reason": "   ",
    })

    assert response.status_code == 422
    assert "Write why they may take the shift without the training." in (
        response.content.decode())
    assert not Signup.objects.exists()


def test_roster_add_reason_without_the_box_does_not_override(client, collector_shift,
                                                             volunteer, boss):
    client.force_login(boss)

    response = client.post(add_url(collector_shift), {"email": volunteer.email,
                                                      "reason": REASON})

    assert response.status_code == 409
    assert not Signup.objects.exists()


def test_roster_add_age_refusal_offers_no_override(client, training, boss):
    shift = make_shift(required_training=training, min_age=18)
    teen = UserFactory(display_name="Young Person", confirmed_adult=False)
    client.force_login(boss)

    response = client.post(add_url(shift), {
        "email": teen.email, "add_anyway": "on", "reason": REASON,
    }, follow=True)

    page = response.content.decode()
    assert "Young Person has not confirmed being 18 or older" in page
    assert 'name="add_anyway"' not in page
    assert not Signup.objects.exists()


def test_roster_without_waivers_shows_no_badge(client, collector_shift, training, volunteer,
                                               boss):
    attended_training(volunteer, training)
    signup_create(shift=collector_shift, volunteer=volunteer, by=boss)
    client.force_login(boss)

    page = client.get(reverse("shift_roster", args=[collector_shift.pk])).content.decode()

    assert "Ana Gutierrez" in page
    assert "Training waived" not in page


@pytest.mark.parametrize("role", ["anonymous", "volunteer", "captain", "treasurer"])
def test_roster_add_override_refused_to_everyone_but_organizers(client, collector_shift,
                                                                volunteer, role):
    if role == "captain":
        team = TeamFactory()
        someone = make_captain()
        TeamMembershipFactory(team=team, user=someone, is_captain=True)
        TeamMembershipFactory(team=team, user=volunteer)
        client.force_login(someone)
    elif role != "anonymous":
        client.force_login({"volunteer": UserFactory, "treasurer": make_treasurer}[role]())

    response = client.post(add_url(collector_shift), {
        "email": volunteer.email, "add_anyway": "on", "reason": REASON,
    })

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == 403
    assert not Signup.objects.exists()
