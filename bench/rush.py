"""The sign-up rush over HTTP: 1,000 volunteers press "Sign up" at once on a drive of 50
shifts x 10 places (20 per shift, so half end on a waitlist).

    DATABASE_URL=... REDIS_URL=... DJANGO_SETTINGS_MODULE=config.settings.production \\
        .venv/bin/python bench/rush.py --port 8765

Needs a migrated database (DATABASE_URL) and gunicorn already serving it on ``--port``
(bench/run.py starts both). The drive, its shifts, the volunteers (adults, verified emails)
and their sessions (as bench/seed.py's ``session_for`` makes them) are written straight to the
database in bulk, and into the session cache as a login writes them (production keeps
sessions in ``cached_db``: a logged-in volunteer's session is read from Redis, not
PostgreSQL). The client is one asyncio thread speaking raw HTTP/1.1, one connection per
volunteer, all opened at once, so that it takes as little of the machine's CPU as it can.
Afterwards the database is asked what happened: shifts with more confirmed volunteers than
places (overbooked) and sign-up rows beyond one per person and shift (duplicates).

Prints one JSON object on the last line of stdout; progress goes to stderr.
"""

import argparse
import asyncio
import datetime
import json
import os
import random
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

SHIFTS = 50
PLACES = 10
PER_SHIFT = 20


def prepare(*, shifts: int, places: int, per_shift: int) -> tuple[int, list[tuple[int, str]]]:
    """The drive and its people: (event pk, [(shift pk, session key)] one per volunteer)."""
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from events.models import Event, EventKind, Shift, ShiftRole
    from volunteers.models import User

    tag = secrets.token_hex(4)
    start = (timezone.now() + datetime.timedelta(days=10)).replace(minute=0, second=0,
                                                                   microsecond=0)
    event = Event.objects.create(
        kind=EventKind.FUNDRAISER, title=f"Sign-up rush {tag}", venue_name="Fresno",
        address="Fresno, CA", starts_at=start, ends_at=start + datetime.timedelta(hours=12),
        status=Event.Status.PUBLISHED,
    )
    rows = Shift.objects.bulk_create(
        Shift(event=event, role=ShiftRole.COLLECTOR, title=f"Corner {n + 1}",
              starts_at=start + datetime.timedelta(hours=2 * (n % 5)),
              ends_at=start + datetime.timedelta(hours=2 * (n % 5) + 2),
              needed=places, capacity=places)
        for n in range(shifts)
    )
    people = User.objects.bulk_create(
        User(email=f"rush-{tag}-{n}@example.org", display_name=f"Rusher {n}",
             confirmed_adult=True)
        for n in range(shifts * per_shift)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=person, email=person.email, verified=True, primary=True)
        for person in people
    )
    expires = timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    store = SessionStore()
    sessions = [
        Session(session_key=get_random_string(32, VALID_KEY_CHARS), expire_date=expires,
                session_data=store.encode({
                    SESSION_KEY: str(person.pk),
                    BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                    HASH_SESSION_KEY: person.get_session_auth_hash(),
                }))
        for person in people
    ]
    Session.objects.bulk_create(sessions, batch_size=500)
    if settings.SESSION_ENGINE.endswith("cached_db"):
        from django.contrib.sessions.backends.cached_db import SessionStore as CachedStore
        from django.core.cache import caches

        caches[settings.SESSION_CACHE_ALIAS].set_many(
            {CachedStore(session_key=row.session_key).cache_key: store.decode(row.session_data)
             for row in sessions}, settings.SESSION_COOKIE_AGE)
    connection.close()
    plan = [(rows[n // per_shift].pk, sessions[n].session_key) for n in range(len(people))]
    return event.pk, plan


async def press(port: int, shift_pk: int, session: str, began: float) -> tuple[int, float]:
    """One volunteer: connect, POST, read the answer to the end. (status, seconds since the
    start of the rush)."""
    token = secrets.token_hex(16)  # 32 characters: a valid unmasked CSRF secret
    request = (
        f"POST /shifts/{shift_pk}/signup/ HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Cookie: sessionid={session}; csrftoken={token}\r\n"
        f"X-CSRFToken: {token}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 0\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 16)
        writer.write(request)
        head = await reader.readuntil(b"\r\n")
        await reader.read()  # gunicorn's sync workers close the connection after answering
        writer.close()
        status = int(head.split(b" ", 2)[1])
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
        status = 0  # no HTTP answer at all
    return status, time.perf_counter() - began


async def rush(port: int, plan: list[tuple[int, str]]) -> tuple[list[int], list[float], float]:
    began = time.perf_counter()
    answers = await asyncio.gather(*(press(port, shift_pk, session, began)
                                     for shift_pk, session in plan))
    elapsed = time.perf_counter() - began
    return [status for status, _ in answers], [seconds for _, seconds in answers], elapsed


def outcome(event_pk: int) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FILTER (WHERE g.status = 'confirmed'),
                   count(*) FILTER (WHERE g.status = 'waitlisted')
            FROM volunteers_signup g JOIN events_shift s ON s.id = g.shift_id
            WHERE s.event_id = %s
            """, [event_pk])
        confirmed, waitlisted = cursor.fetchone()
        cursor.execute(
            """
            SELECT count(*) FROM (
                SELECT s.id FROM events_shift s
                LEFT JOIN volunteers_signup g ON g.shift_id = s.id AND g.status = 'confirmed'
                WHERE s.event_id = %s GROUP BY s.id, s.capacity
                HAVING count(g.id) > s.capacity) AS over
            """, [event_pk])
        overbooked = cursor.fetchone()[0]
        cursor.execute(
            """
            SELECT coalesce(sum(n - 1), 0) FROM (
                SELECT count(*) AS n FROM volunteers_signup g
                JOIN events_shift s ON s.id = g.shift_id
                WHERE s.event_id = %s GROUP BY g.shift_id, g.volunteer_id) AS per_person
            """, [event_pk])
        duplicates = int(cursor.fetchone()[0])
    return {"confirmed": confirmed, "waitlisted": waitlisted, "overbooked_shifts": overbooked,
            "duplicates": duplicates}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True, help="gunicorn's port on 127.0.0.1")
    parser.add_argument("--shifts", type=int, default=SHIFTS)
    parser.add_argument("--places", type=int, default=PLACES)
    parser.add_argument("--per-shift", type=int, default=PER_SHIFT)
    parser.add_argument("--order", choices=["shuffled", "by-shift"], default="shuffled",
                        help="who presses first: a fixed shuffle (default) or each shift's "
                             "20 volunteers one after the other (the most contention)")
    args = parser.parse_args()

    event_pk, plan = prepare(shifts=args.shifts, places=args.places, per_shift=args.per_shift)
    if args.order == "shuffled":
        random.Random(13).shuffle(plan)
    print(f"Rush: {len(plan)} volunteers, {args.shifts} shifts x {args.places} places, "
          f"event {event_pk}", file=sys.stderr)
    cpu_before = time.process_time()
    statuses, latencies, elapsed = asyncio.run(rush(args.port, plan))
    client_cpu = time.process_time() - cpu_before
    latencies.sort()
    counts: dict[str, int] = {}
    for status in statuses:
        counts[str(status)] = counts.get(str(status), 0) + 1
    print(json.dumps({
        "signups_per_s": round(len(plan) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
        **outcome(event_pk),
        "statuses": dict(sorted(counts.items())),
        "volunteers": len(plan),
        "seconds": round(elapsed, 2),
        "client_cpu_s": round(client_cpu, 2),
    }))


if __name__ == "__main__":
    main()
