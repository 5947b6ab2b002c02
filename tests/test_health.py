"""/healthz says the process is alive (no database, no Redis); /readyz says whether this
instance can do its work: 503, naming what failed, while the database or Redis is unreachable."""

import socket
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def database_unreachable():
    """Point the default connection at a database that is not there (a file in a missing
    directory for SQLite, a closed port for PostgreSQL), then put it back."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-rally-directory/db.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=free_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@pytest.fixture
def broker_at(settings):
    def point(url: str) -> None:
        settings.CELERY_BROKER_URL = url

    return point


def test_healthz_answers_ok_without_touching_the_database(client):
    response = client.get("/healthz")  # no django_db mark: a query would raise here

    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_readyz_answers_200_when_database_and_redis_answer(client, spare_redis, broker_at):
    broker_at(spare_redis.url)

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.content.decode() == "database: ok\nredis: ok\n"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_answers_503_naming_redis_while_redis_is_down(client, spare_redis, broker_at):
    broker_at(spare_redis.url)
    spare_redis.stop()

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.content.decode() == "database: ok\nredis: unreachable\n"


@pytest.mark.django_db(transaction=True)
def test_readyz_answers_503_naming_the_database_while_it_is_unreachable(spare_redis, broker_at):
    broker_at(spare_redis.url)
    client = Client()

    with database_unreachable():
        response = client.get("/readyz")
        alive = client.get("/healthz")

    assert response.status_code == 503
    assert response.content.decode() == "database: unreachable\nredis: ok\n"
    assert alive.status_code == 200
    assert Client().get("/readyz").status_code == 200  # and ready again once it is back
