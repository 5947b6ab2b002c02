import pytest
from django.urls import reverse

from tests.factories import UserFactory, captain, organizer, treasurer
from volunteers.models import Role, RoleGrant

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("make_user", [UserFactory, captain, treasurer])
def test_roles_page_is_forbidden_to_other_roles(client, make_user):
    client.force_login(make_user())

    response = client.get(reverse("role_list"))

    assert response.status_code == 403
    assert "not for your role" in response.content.decode()


def test_roles_page_sends_anonymous_to_login(client):
    response = client.get(reverse("role_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_non_organizer_cannot_grant_by_posting(client):
    volunteer = UserFactory()
    client.force_login(volunteer)

    response = client.post(reverse("role_list"), {"user": volunteer.pk, "role": "organizer",
                                                  "action": "grant"})

    assert response.status_code == 403
    assert not RoleGrant.objects.filter(user=volunteer).exists()


def test_organizer_grants_and_revokes_a_role(client):
    boss = organizer()
    person = UserFactory(display_name="Grace Nakamura")
    client.force_login(boss)

    response = client.post(reverse("role_list"), {"user": person.pk, "role": "treasurer",
                                                  "action": "grant"}, follow=True)

    assert "Grace Nakamura is now Treasurer." in response.content.decode()
    grant = RoleGrant.objects.get(user=person)
    assert (grant.role, grant.granted_by) == (Role.TREASURER, boss)

    client.post(reverse("role_list"), {"user": person.pk, "role": "treasurer",
                                       "action": "revoke"})
    assert not RoleGrant.objects.filter(user=person).exists()


def test_organizer_cannot_remove_own_organizer_role(client):
    boss = organizer()
    client.force_login(boss)

    response = client.post(reverse("role_list"), {"user": boss.pk, "role": "organizer",
                                                  "action": "revoke"}, follow=True)

    assert "cannot remove your own organizer role" in response.content.decode()
    assert RoleGrant.objects.filter(user=boss, role=Role.ORGANIZER).exists()


def test_roles_page_lists_people_in_constant_queries(client, django_assert_max_num_queries):
    client.force_login(organizer())
    for _ in range(40):
        RoleGrant.objects.create(user=UserFactory(), role=Role.CAPTAIN)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("role_list"))

    assert response.status_code == 200
    assert len(response.context["rows"]) == 41


def test_roles_page_search_finds_by_email(client):
    boss = organizer()
    boss.display_name = "Organizer Person"  # not a random name that may hold "hannah"
    boss.save()
    client.force_login(boss)
    UserFactory(email="hannah@example.org", display_name="Hannah Sorensen")

    response = client.get(reverse("role_list"), {"q": "hannah"})

    assert [person.email for person, _ in response.context["rows"]] == ["hannah@example.org"]


def test_navigation_shows_roles_link_only_to_organizers(client):
    client.force_login(UserFactory())
    assert reverse("role_list") not in client.get("/").content.decode()
    client.force_login(organizer())
    assert reverse("role_list") in client.get("/").content.decode()


def test_roles_page_pages_keep_the_search(client):
    client.force_login(organizer())
    UserFactory.create_batch(55, display_name="Rotary Member")

    html = client.get(reverse("role_list"), {"q": "rotary"}).content.decode()

    assert "Page 1 of 2" in html
    assert '?q=rotary&amp;page=2"' in html
