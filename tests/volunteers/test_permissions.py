"""Who may open each new page: anonymous, volunteer, captain of this team, captain of another
team, organizer, treasurer. 'login' means sent to the login page; 422 means let in, and the
empty form refused."""

import pytest
from django.urls import reverse

from volunteers.models import Signup
from volunteers.services.signups import signup_create

from .conftest import make_shift

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "volunteer", "own_captain", "other_captain", "organizer", "treasurer"]

# page: (method, url builder, expected status for each of ROLES)
PAGES = {
    "my_shifts": ("get", lambda w: reverse("my_shifts"),
                  ["login", 200, 200, 200, 200, 200]),
    "team_list": ("get", lambda w: reverse("team_list"),
                  ["login", 200, 200, 200, 200, 200]),
    "team_detail": ("get", lambda w: reverse("team_detail", args=[w["team"].pk]),
                    ["login", 403, 200, 403, 200, 403]),
    "team_new": ("get", lambda w: reverse("team_new"),
                 ["login", 403, 403, 403, 200, 403]),
    "team_edit": ("get", lambda w: reverse("team_edit", args=[w["team"].pk]),
                  ["login", 403, 403, 403, 200, 403]),
    "team_member_add": ("post", lambda w: reverse("team_member_add", args=[w["team"].pk]),
                        ["login", 403, 422, 403, 422, 403]),
    "team_member_remove": ("post", lambda w: reverse(
        "team_member_remove", args=[w["team"].pk, w["member"].pk]),
        ["login", 403, 302, 403, 302, 403]),
    "team_captain": ("post", lambda w: reverse(
        "team_captain", args=[w["team"].pk, w["member"].pk]),
        ["login", 403, 403, 403, 302, 403]),
    "team_signup": ("get", lambda w: reverse("team_signup", args=[w["team"].pk]),
                    ["login", 403, 200, 403, 200, 403]),
    "event_board": ("get", lambda w: reverse("event_board", args=[w["shift"].event_id]),
                    ["login", 403, 200, 200, 200, 403]),
    "shift_roster": ("get", lambda w: reverse("shift_roster", args=[w["shift"].pk]),
                     ["login", 403, 200, 200, 200, 403]),
    "roster_csv": ("get", lambda w: reverse("event_roster_csv", args=[w["shift"].event_id]),
                   ["login", 403, 403, 403, 200, 403]),
    "roster_add": ("post", lambda w: reverse("shift_roster_add", args=[w["shift"].pk]),
                   ["login", 403, 403, 403, 302, 403]),
    "checkin": ("get", lambda w: reverse("shift_checkin", args=[w["shift"].pk]),
                ["login", 403, 200, 403, 200, 403]),
    "attendance": ("post", lambda w: reverse("signup_attendance", args=[w["signup"].pk]),
                   ["login", 403, 302, 403, 302, 403]),
    "signup_manage": ("get", lambda w: reverse("signup_manage", args=[w["signup"].pk]),
                      ["login", 403, 403, 403, 200, 403]),
    "signup_hours": ("post", lambda w: reverse("signup_hours", args=[w["signup"].pk]),
                     ["login", 403, 403, 403, 302, 403]),
    "signup_move": ("post", lambda w: reverse("signup_move", args=[w["signup"].pk]),
                    ["login", 403, 403, 403, 422, 403]),
    "signup_remove": ("post", lambda w: reverse("signup_remove", args=[w["signup"].pk]),
                      ["login", 403, 403, 403, 302, 403]),
}

CASES = [
    pytest.param(page, role, expected, id=f"{page}-{role}")
    for page, (_method, _url, statuses) in PAGES.items()
    for role, expected in zip(ROLES, statuses, strict=True)
]


@pytest.fixture
def world(people):
    shift = make_shift(starts_in_hours=0.5, capacity=5)
    signup = signup_create(shift=shift, volunteer=people["member"], by=people["own_captain"],
                           team=people["team"])
    return {**people, "shift": shift, "signup": signup}


@pytest.mark.parametrize(("page", "role", "expected"), CASES)
def test_page_permissions(client, world, page, role, expected):
    method, url_for, _statuses = PAGES[page]
    if role != "anonymous":
        client.force_login(world[role])
    url = url_for(world)

    response = getattr(client, method)(url)

    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == expected


def test_volunteer_cannot_cancel_a_team_members_signup_but_their_captain_can(client, world):
    client.force_login(world["other_captain"])
    # Someone who may not cancel a sign-up learns nothing about it (issue 7): 404, not 403.
    assert client.post(reverse("signup_cancel", args=[world["signup"].pk])).status_code == 404

    client.force_login(world["own_captain"])
    client.post(reverse("signup_cancel", args=[world["signup"].pk]))

    assert Signup.objects.get(pk=world["signup"].pk).status == "confirmed"  # past the cut-off


def test_captain_of_another_team_cannot_see_the_draft_board(client, world):
    from events.models import Event

    Event.objects.filter(pk=world["shift"].event_id).update(status=Event.Status.DRAFT)
    client.force_login(world["own_captain"])

    assert client.get(reverse("event_board", args=[world["shift"].event_id])).status_code == 404
