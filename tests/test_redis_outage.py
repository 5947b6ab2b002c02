"""Redis down is a slower site, not a broken one: the production cache on a redis-server of the
test's own, which the test stops and starts again on the same port."""

import logging
import pickle
import socket
import time

import pytest
import redis
from django.test import Client
from django.urls import reverse

from config.cache import redis_cache
from config.settings.base import ACCOUNT_RATE_LIMITS
from tests.factories import PASSWORD, EventFactory, ShiftFactory, UserFactory
from volunteers.access import PUBLIC_MAX_AGE, public_pages_changed
from volunteers.models import Signup, User

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

RETRY_AFTER = 0.2


@pytest.fixture
def production_cache(settings, spare_redis):
    """The production cache (and broker, and rate limits) pointed at ``spare_redis``."""
    settings.CACHES = {"default": redis_cache(spare_redis.url, retry_after=RETRY_AFTER)}
    settings.CELERY_BROKER_URL = spare_redis.url
    settings.ACCOUNT_RATE_LIMITS = ACCOUNT_RATE_LIMITS
    return spare_redis


def stored_pages(url: str) -> list[bytes]:
    with redis.Redis.from_url(url) as server:
        return server.keys("rally:*:public-page:*")


def version_in_redis(url: str) -> int:
    with redis.Redis.from_url(url) as server:
        return int(server.get("rally:1:public-pages-version"))


def timed(call):
    began = time.monotonic()
    response = call()
    return response, time.monotonic() - began


def test_signup_public_pages_and_login_work_while_redis_is_down_and_caching_resumes(
    production_cache, django_capture_on_commit_callbacks, caplog
):
    spare = production_cache
    shift = ShiftFactory(capacity=5, needed=5)
    event_page = reverse("event_detail", args=[shift.event_id])
    volunteer = UserFactory()
    anonymous = Client()
    assert anonymous.get(event_page).status_code == 200
    assert len(stored_pages(spare.url)) == 1

    spare.stop()
    caplog.set_level(logging.WARNING, logger="rally.cache")
    answers = {}
    for name in ("home", "event_list"):
        answers[name] = timed(lambda: anonymous.get(reverse(name)))  # noqa: B023
    answers["event page"] = timed(lambda: anonymous.get(event_page))
    answers["account sign-up"] = timed(lambda: Client().post(reverse("account_signup"), {
        "display_name": "Rosa Castillo", "email": "rosa@example.org",
        "password1": "bucket-drive-sunday-42", "password2": "bucket-drive-sunday-42"}))
    person = Client()
    answers["wrong password"] = timed(lambda: person.post(
        reverse("account_login"), {"login": volunteer.email, "password": "not-it-at-all"}))
    answers["login"] = timed(lambda: person.post(
        reverse("account_login"), {"login": volunteer.email, "password": PASSWORD}))
    answers["password reset"] = timed(lambda: Client().post(
        reverse("account_reset_password"), {"email": volunteer.email}))
    with django_capture_on_commit_callbacks(execute=True):
        answers["shift sign-up"] = timed(
            lambda: person.post(reverse("shift_signup", args=[shift.pk])))

    statuses = {name: response.status_code for name, (response, _) in answers.items()}
    assert statuses == {
        "home": 200, "event_list": 200, "event page": 200, "account sign-up": 302,
        "wrong password": 200, "login": 302, "password reset": 302, "shift sign-up": 302,
    }
    assert b"password you specified are not correct" in answers["wrong password"][0].content
    assert max(seconds for _, seconds in answers.values()) < 1.0, answers
    assert Signup.objects.get(shift=shift, volunteer=volunteer).status == Signup.Status.CONFIRMED
    assert User.objects.filter(email="rosa@example.org").exists()
    outage_lines = [r.getMessage() for r in caplog.records if r.name == "rally.cache"]
    assert len(outage_lines) == 1
    assert "unreachable" in outage_lines[0]

    spare.start()  # same port, empty: a restart without persistence
    time.sleep(RETRY_AFTER * 2)
    assert anonymous.get(event_page).status_code == 200
    assert len(stored_pages(spare.url)) == 1
    assert "answers again" in caplog.records[-1].getMessage()
    before = version_in_redis(spare.url)
    public_pages_changed()
    assert version_in_redis(spare.url) == before + 1
    assert anonymous.get(event_page).status_code == 200
    # Rendered anew: its one copy now carries the new version (volunteers.access).
    assert len(stored_pages(spare.url)) == 1
    with redis.Redis.from_url(spare.url) as server:
        versions, _copy = pickle.loads(server.get(stored_pages(spare.url)[0]))  # noqa: S301 (our own test server)
    assert versions[0] == before + 1


def test_cached_public_pages_expire_within_a_minute_so_a_missed_bump_heals(production_cache):
    shift = ShiftFactory()
    Client().get(reverse("event_detail", args=[shift.event_id]))

    [key] = stored_pages(production_cache.url)
    with redis.Redis.from_url(production_cache.url) as server:
        assert 0 < server.ttl(key) <= PUBLIC_MAX_AGE


def test_rate_limits_count_in_redis_while_it_is_up(production_cache):
    volunteer = UserFactory()
    client = Client()
    for _ in range(5):
        client.post(reverse("account_login"), {"login": volunteer.email, "password": "wrong"})

    response = client.post(reverse("account_login"),
                           {"login": volunteer.email, "password": PASSWORD})

    assert response.status_code == 200
    assert b"Too many failed login attempts" in response.content


def test_version_bump_after_commit_while_redis_is_down_does_not_fail_the_change(
    production_cache, django_capture_on_commit_callbacks
):
    production_cache.stop()
    organizer_change = EventFactory.build(title="Moved to Saturday")

    with django_capture_on_commit_callbacks(execute=True):
        organizer_change.save()

    assert organizer_change.pk is not None
    public_pages_changed()  # the bump itself, again, directly: still quiet


def test_redis_that_hangs_costs_one_timeout_then_pages_skip_it(settings, caplog):
    """A server that accepts connections and never answers (a hung Redis, a full network
    path): the first cache call waits out the socket timeout, the following ones skip Redis
    until RETRY_AFTER has passed."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        settings.CACHES = {"default": redis_cache(url, retry_after=30)}
        shift = ShiftFactory()
        anonymous = Client()

        first = timed(lambda: anonymous.get(reverse("event_detail", args=[shift.event_id])))
        later = [timed(lambda: anonymous.get(reverse("event_list"))) for _ in range(5)]

    assert [response.status_code for response, _ in [first, *later]] == [200] * 6
    assert first[1] < 1.5
    assert max(seconds for _, seconds in later) < 0.5
    assert len([r for r in caplog.records if r.name == "rally.cache"]) == 1
