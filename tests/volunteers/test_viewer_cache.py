"""Who is asking, kept in the cache (volunteers.viewer_cache), with the production cache (a
real Redis): a logged-in request after the first reads the person's row, roles and team
standing from one entry and makes no query for them, and every change to those counts from
the very next request: a role taken back, a password changed elsewhere, an account closed,
an invitation to the person's address. A change committed while a request was building the
entry is never hidden; with Redis down every request reads the rows."""


import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UserFactory
from volunteers import viewer_cache
from volunteers.models import Role, RoleGrant
from volunteers.services.teams import team_invite

from .conftest import log_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("production_cache")]


def tables_read(client, url) -> set[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return {table for q in queries for table in (
        "volunteers_user", "volunteers_rolegrant", "volunteers_teammembership")
        if f'"{table}"' in q["sql"] or f" {table} " in q["sql"]}


def test_a_second_request_reads_neither_the_person_nor_their_roles_nor_teams(
        client, commit):
    person = UserFactory()
    RoleGrant.objects.create(user=person, role=Role.ORGANIZER)
    log_in(client, person, commit)

    assert tables_read(client, reverse("profile")) >= {"volunteers_user",
                                                       "volunteers_rolegrant"}
    assert tables_read(client, reverse("profile")) == set()
    assert tables_read(client, reverse("organize_event_list")) == set()


def test_a_role_taken_back_counts_from_the_next_request(client, commit):
    person = UserFactory()
    with commit():
        grant = RoleGrant.objects.create(user=person, role=Role.ORGANIZER)
    log_in(client, person, commit)
    assert client.get(reverse("organize_event_list")).status_code == 200
    assert client.get(reverse("organize_event_list")).status_code == 200  # from the entry

    with commit():
        grant.delete()

    assert client.get(reverse("organize_event_list")).status_code == 403


def test_a_password_changed_elsewhere_logs_this_session_out(client, commit):
    person = UserFactory()
    log_in(client, person, commit)
    assert client.get(reverse("profile")).status_code == 200

    with commit():
        person.set_password("a new long passphrase 2026")
        person.save()

    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_closed_account_is_logged_out(client, commit):
    person = UserFactory()
    log_in(client, person, commit)
    assert client.get(reverse("profile")).status_code == 200

    with commit():
        person.is_active = False
        person.save()

    assert client.get(reverse("profile")).status_code == 302


def test_an_invitation_to_the_persons_address_shows_in_the_nav_at_once(client, commit, people):
    from allauth.account.models import EmailAddress

    invited = UserFactory(email="invited.nav@example.org")
    EmailAddress.objects.update_or_create(user=invited, email=invited.email,
                                          defaults={"verified": True, "primary": True})
    log_in(client, invited, commit)
    assert "1 invitation" not in client.get(reverse("profile")).content.decode()

    with commit():
        team_invite(team=people["team"], email=invited.email, by=people["own_captain"])

    assert "1 invitation" in client.get(reverse("profile")).content.decode()


@pytest.mark.parametrize("when", ["after the row was read", "after the entry was kept"])
def test_a_role_taken_back_while_the_entry_is_built_is_never_hidden(
        client, commit, monkeypatch, when):
    person = UserFactory()
    with commit():
        grant = RoleGrant.objects.create(user=person, role=Role.ORGANIZER)
    log_in(client, person, commit)

    # The entry is kept between reading the rows and reading the counter again.
    where = (viewer_cache.auth, "get_user") if when.startswith("after the row") else (
        viewer_cache, "_versions")
    original = getattr(*where)

    def revoke():
        # The role is taken back in another process: here, only its after-commit work is
        # seen (no signal, so no drop at the change itself).
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM volunteers_rolegrant WHERE id = %s", [grant.pk])
        viewer_cache._after_commit(person.pk)

    def then_revoke(*args, **kwargs):
        monkeypatch.setattr(*where, original)  # once
        if where[1] == "_versions":
            revoke()
            return original(*args, **kwargs)
        result = original(*args, **kwargs)
        result.role_names  # noqa: B018 (read before the change, as a slow request would)
        revoke()
        return result

    monkeypatch.setattr(*where, then_revoke)
    assert client.get(reverse("organize_event_list")).status_code == 200  # read before

    assert client.get(reverse("organize_event_list")).status_code == 403


def test_logged_in_pages_work_while_redis_is_down(client, commit, production_cache):
    person = UserFactory()
    RoleGrant.objects.create(user=person, role=Role.ORGANIZER)
    log_in(client, person, commit)
    production_cache.stop()

    for _ in range(2):
        assert client.get(reverse("organize_event_list")).status_code == 200


def sign_up(client, shift):
    from volunteers.models import Signup

    response = client.post(reverse("shift_signup", args=[shift.pk]))
    return response, Signup.objects.filter(shift=shift).count()


@pytest.fixture
def open_shift():
    from tests.factories import ShiftFactory

    return ShiftFactory(capacity=5, needed=5)


def test_a_form_post_reads_only_the_persons_row(client, commit, open_shift):
    """A sign-up before any page kept the person: their row, read once and by the written-out
    statement, and the place is theirs."""
    person = UserFactory()
    log_in(client, person, commit)

    with CaptureQueriesContext(connection) as queries:
        response, signed = sign_up(client, open_shift)

    assert response.status_code == 302 and signed == 1
    user_reads = [q["sql"] for q in queries if "FROM volunteers_user u WHERE" in q["sql"]]
    assert len(user_reads) == 1


def test_a_password_changed_elsewhere_logs_a_form_post_out(client, commit, open_shift):
    person = UserFactory()
    log_in(client, person, commit)
    with commit():
        person.set_password("a new long passphrase 2026")
        person.save()

    response, signed = sign_up(client, open_shift)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert signed == 0


@pytest.mark.parametrize("change", ["closed", "deleted"])
def test_a_closed_or_deleted_account_cannot_post(client, commit, open_shift, change):
    person = UserFactory()
    log_in(client, person, commit)
    with commit():
        if change == "closed":
            person.is_active = False
            person.save()
        else:
            person.delete()

    response, signed = sign_up(client, open_shift)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert signed == 0


def test_a_backend_that_reads_people_its_own_way_is_asked(settings):
    assert viewer_cache._row("1", "rules.permissions.ObjectPermissionBackend") is None
    assert viewer_cache._row("not a number",
                             "django.contrib.auth.backends.ModelBackend") is None
