"""Every login form is rate limited, per client address behind the trusted proxy, and failures
count per (address, email) so that knowing an email is not enough to lock its owner out."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from config.proxy import client_ip
from config.settings.base import ACCOUNT_RATE_LIMITS
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"
TOO_MANY = b"Too many failed login attempts"


@pytest.fixture(autouse=True)
def rate_limits_on(settings):
    """Test settings turn rate limits off; these tests use the real ones, counted in the
    test cache (LocMemCache, emptied before each test)."""
    settings.ACCOUNT_RATE_LIMITS = ACCOUNT_RATE_LIMITS
    settings.TRUSTED_PROXIES = []


def log_in(client, email, password, *, remote="127.0.0.1", forwarded=None, next_url=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    url = reverse("account_login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"login": email, "password": password},
                       REMOTE_ADDR=remote, headers=headers)


def logged_in(client) -> bool:
    return client.get(reverse("profile")).status_code == 200


def test_admin_login_page_sends_people_to_the_rate_limited_login(client):
    admin = UserFactory(is_staff=True, is_superuser=True)

    page = client.get("/admin/login/?next=/admin/")
    posted = client.post("/admin/login/?next=/admin/",
                         {"username": admin.email, "password": PASSWORD})

    assert page.status_code == 302
    assert page["Location"].startswith(reverse("account_login") + "?next=")
    assert posted.status_code == 302
    assert posted["Location"].startswith(reverse("account_login"))
    assert client.get("/admin/").status_code == 302  # the admin's own form logged no one in


def test_admin_login_after_five_failures_refuses_the_right_password_too(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    for _ in range(5):
        assert log_in(client, admin.email, "guess-123456", next_url="/admin/").status_code == 200

    response = log_in(client, admin.email, PASSWORD, next_url="/admin/")

    assert response.status_code == 200
    assert TOO_MANY in response.content
    assert client.get("/admin/").status_code == 302


def test_admin_login_works_through_the_login_page_when_not_limited(client):
    admin = UserFactory(is_staff=True, is_superuser=True)

    response = log_in(client, admin.email, PASSWORD, next_url="/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_login_after_ten_failures_a_minute_from_one_address_is_refused(client):
    volunteer = UserFactory()
    for number in range(10):
        log_in(client, f"nobody{number}@example.org", "guess-123456", remote="198.51.100.7")

    response = log_in(client, volunteer.email, PASSWORD, remote="198.51.100.7")

    assert response.status_code == 200
    assert TOO_MANY in response.content
    assert not logged_in(client)


def test_stranger_failing_with_an_email_does_not_lock_its_owner_out():
    volunteer = UserFactory()
    stranger, owner = Client(), Client()
    for _ in range(6):
        log_in(stranger, volunteer.email, "guess-123456", remote="198.51.100.7")
    assert TOO_MANY in log_in(stranger, volunteer.email, PASSWORD, remote="198.51.100.7").content

    response = log_in(owner, volunteer.email, PASSWORD, remote="203.0.113.5")

    assert response.status_code == 302
    assert logged_in(owner)


def test_clients_behind_the_trusted_proxy_are_limited_separately(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    volunteer = UserFactory()
    attacker, neighbour = Client(), Client()
    for number in range(11):
        log_in(attacker, f"nobody{number}@example.org", "guess-123456", remote=PROXY,
               forwarded="198.51.100.7")
    limited = log_in(attacker, volunteer.email, PASSWORD, remote=PROXY, forwarded="198.51.100.7")

    response = log_in(neighbour, volunteer.email, PASSWORD, remote=PROXY,
                      forwarded="203.0.113.5")

    assert TOO_MANY in limited.content
    assert response.status_code == 302
    assert logged_in(neighbour)
    assert not logged_in(attacker)


def test_forwarded_for_from_an_untrusted_peer_is_ignored(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    volunteer = UserFactory()
    attacker = Client()
    for number in range(11):  # a new made-up address each time
        log_in(attacker, f"nobody{number}@example.org", "guess-123456", remote="192.0.2.66",
               forwarded=f"203.0.113.{number}")

    response = log_in(attacker, volunteer.email, PASSWORD, remote="192.0.2.66",
                      forwarded="203.0.113.200")

    assert TOO_MANY in response.content
    assert not logged_in(attacker)


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("198.51.100.7", "", "198.51.100.7"),
        ("198.51.100.7", "203.0.113.5", "198.51.100.7"),  # not from a proxy: header ignored
        ("10.0.0.1", "203.0.113.5", "203.0.113.5"),
        ("10.0.0.1", "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # spoofed entries on the left
        ("10.0.0.1", "203.0.113.5, 10.0.0.9", "203.0.113.5"),  # two proxies of ours
        ("10.0.0.1", "", "10.0.0.1"),
        ("10.0.0.1", "garbage", "10.0.0.1"),
        ("10.0.0.1", "[2001:db8::1]:443", "2001:db8::1"),
    ],
)
def test_client_ip_believes_forwarded_for_only_from_trusted_proxies(
    settings, remote, forwarded, expected
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    request = RequestFactory().get("/", REMOTE_ADDR=remote,
                                   headers={"X-Forwarded-For": forwarded} if forwarded else {})

    assert client_ip(request) == expected


def test_client_ip_ignores_forwarded_for_when_no_proxy_is_trusted():
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1",
                                   headers={"X-Forwarded-For": "203.0.113.5"})

    assert client_ip(request) == "10.0.0.1"


def test_too_many_logins_from_one_address_answers_429_with_a_page_in_rally_layout(client):
    for number in range(30):
        log_in(client, f"nobody{number}@example.org", "guess-123456", remote="198.51.100.7")

    response = log_in(client, "nobody@example.org", "guess-123456", remote="198.51.100.7")

    assert response.status_code == 429
    assert b"Too many attempts from your connection" in response.content
    assert b"1-888-373-7888" in response.content
