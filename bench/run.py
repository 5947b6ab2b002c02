"""Rally's benchmarks, on this machine, against gunicorn on loopback.

    .venv/bin/python bench/run.py [--database-url postgres://postgres@127.0.0.1:5432/rally_bench]

1. Pages of a 300-shift bucket-drive day: requests per second, latency and size of the
   public event page (anonymous, as cached for the public), the organizer's shift board, and a
   bare Django view (/healthz) on the same server as the yardstick; the street drive's sites
   board and drive-day view; the treasurers' drive books, count session and deposit pages
   for a drive of 100 counted buckets.
2. The sign-up race: 20 volunteers press "Sign up" on a 10-place shift at the same instant.

The database is dropped and rebuilt each run. Results print as Markdown; copy them into
bench/RESULTS.md with the date and the machine.
"""

import argparse
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765


def reset_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = f"{parts.scheme}://{parts.netloc}/postgres".replace("postgres://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def get(conn: http.client.HTTPConnection, path: str, cookie: str = "") -> tuple[int, int]:
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    body = response.read()
    return response.status, len(body)


def measure(path: str, *, seconds: float, threads: int, cookie: str = "") -> dict:
    latencies: list[float] = []
    sizes: set[int] = set()
    statuses: set[int] = set()
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        mine = []
        while time.monotonic() < stop_at:
            began = time.perf_counter()
            status, size = get(conn, path, cookie)
            mine.append(time.perf_counter() - began)
            statuses.add(status)
            sizes.add(size)
        with lock:
            latencies.extend(mine)

    for _ in range(3):  # warm up: templates, connections, the public cache
        get(http.client.HTTPConnection("127.0.0.1", PORT, timeout=30), path, cookie)
    workers = [threading.Thread(target=loop) for _ in range(threads)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "path": path, "requests": len(latencies), "rps": len(latencies) / elapsed,
        "median_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "kb": max(sizes) / 1024, "statuses": sorted(statuses),
    }


def race(shift_pk: int, sessions: list[str]) -> dict:
    barrier = threading.Barrier(len(sessions))
    results: list[int] = []

    def click(session: str) -> None:
        token = secrets.token_hex(16)  # 32 characters: a valid unmasked CSRF secret
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        barrier.wait()
        conn.request("POST", f"/shifts/{shift_pk}/signup/", body="",
                     headers={"Cookie": f"sessionid={session}; csrftoken={token}",
                              "X-CSRFToken": token,
                              "Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        response.read()
        results.append(response.status)

    threads = [threading.Thread(target=click, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"statuses": sorted(results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url",
                        default="postgres://postgres@127.0.0.1:5432/rally_bench")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production",
           "DATABASE_URL": args.database_url, "SECRET_KEY": secrets.token_urlsafe(40),
           "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false",
           "DATABASE_CONN_MAX_AGE": "60", "REDIS_URL": os.environ.get(
               "REDIS_URL", "redis://127.0.0.1:6379/9"),
           "CELERY_QUEUE": "rally-bench", "LOG_LEVEL": "WARNING"}
    reset_database(args.database_url)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT,
                   env=env, check=True)
    subprocess.run([python, "-c", "import redis,os; redis.Redis.from_url("
                    "os.environ['REDIS_URL']).flushdb()"], env=env, check=True)
    seeded = json.loads(subprocess.run([python, "bench/seed.py"], cwd=ROOT, env=env,
                                       check=True, capture_output=True, text=True).stdout)
    server = subprocess.Popen(
        [python, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{PORT}",
         "-w", str(args.workers), "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                get(http.client.HTTPConnection("127.0.0.1", PORT, timeout=2), "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        organizer = f"sessionid={seeded['organizer_session']}"
        treasurer = f"sessionid={seeded['treasurer_session']}"
        event = seeded["event"]
        rows = [
            ("bare Django view (/healthz)", measure("/healthz", seconds=args.seconds,
                                                    threads=args.threads)),
            ("event page, 300 shifts, anonymous", measure(
                f"/events/{event}/", seconds=args.seconds, threads=args.threads)),
            ("shift board, 300 shifts, organizer", measure(
                f"/organize/events/{event}/board/", seconds=args.seconds,
                threads=args.threads, cookie=organizer)),
            ("event page, 300 shifts, logged in", measure(
                f"/events/{event}/", seconds=args.seconds, threads=args.threads,
                cookie=organizer)),
            ("sites board, 50 sites x 6 windows, 30 teams, organizer", measure(
                f"/organize/events/{seeded['street_event']}/sites/", seconds=args.seconds,
                threads=args.threads, cookie=organizer)),
            ("drive-day view, 50 sites, 100 buckets, organizer", measure(
                f"/organize/events/{seeded['street_event']}/live/", seconds=args.seconds,
                threads=args.threads, cookie=organizer)),
            ("treasurer: drive's books, 100 counted buckets", measure(
                f"/money/drives/{seeded['money_event']}/", seconds=args.seconds,
                threads=args.threads, cookie=treasurer)),
            ("treasurer: count session, 100 buckets", measure(
                f"/money/sessions/{seeded['money_session']}/", seconds=args.seconds,
                threads=args.threads, cookie=treasurer)),
            ("treasurer: deposit, 50 buckets, matched", measure(
                f"/money/deposits/{seeded['money_deposit']}/", seconds=args.seconds,
                threads=args.threads, cookie=treasurer)),
            ("treasurer: dashboard, 100 buckets, 30 teams, 1,000 card gifts", measure(
                f"/money/drives/{seeded['money_event']}/dashboard/", seconds=args.seconds,
                threads=args.threads, cookie=treasurer)),
            ("public total page, same drive, anonymous", measure(
                f"/events/{seeded['money_event']}/raised/", seconds=args.seconds,
                threads=args.threads)),
        ]
        clicks = race(seeded["race_shift"], seeded["racer_sessions"])
        check = subprocess.run(
            [python, "-c", "import django; django.setup(); from volunteers.models import Signup;"
             f"q=Signup.objects.filter(shift_id={seeded['race_shift']});"
             "print(q.filter(status='confirmed').count(), q.filter(status='waitlisted').count())"],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.split()
    finally:
        server.terminate()
        server.wait(timeout=20)

    print(f"Signed-up volunteers on the 300-shift day: {seeded['signups']}; gunicorn "
          f"{args.workers} sync workers; {args.threads} client threads for {args.seconds:.0f} s.\n")
    print("| page | req/s | median ms | p95 ms | size KB | HTTP |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for label, row in rows:
        print(f"| {label} | {row['rps']:.0f} | {row['median_ms']:.1f} | {row['p95_ms']:.1f} "
              f"| {row['kb']:.1f} | {row['statuses']} |")
    base = rows[0][1]["rps"]
    for label, row in rows[1:]:
        print(f"\n{label}: {100 * row['rps'] / base:.1f}% of the bare view's rate", end="")
    print(f"\n\nSign-up race: 20 volunteers, a 10-place shift: {check[0]} confirmed, "
          f"{check[1]} waitlisted; HTTP statuses {clicks['statuses']}")


if __name__ == "__main__":
    main()
